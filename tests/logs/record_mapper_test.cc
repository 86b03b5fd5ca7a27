#include "logs/record_mapper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/common/strings.h"

namespace sidecar::logs {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kTaskArn[] =
    "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef";
constexpr char kTaskId[] = "0123456789abcdef0123456789abcdef";

// A Fargate task: `app` logs through FireLens with Datadog options, `worker` without, and the
// sidecar itself (`datadog-agent`) as the log router.
container::TaskMetadata FixtureTask() {
  container::TaskMetadata task;
  task.task_arn = kTaskArn;
  task.task_id = kTaskId;
  task.family = "shop";
  task.revision = "7";

  container::ContainerMetadata app;
  app.name = "app";
  app.docker_id = std::string(kTaskId) + "-1111111111";
  app.log_driver = "awsfirelens";
  app.log_options = {{"Name", "datadog"},
                     {"apikey", "secret-never-logged"},
                     {"dd_service", "payment"},
                     {"dd_source", "nodejs"},
                     {"dd_tags", "team:checkout, env:staging"}};
  task.containers.push_back(app);

  container::ContainerMetadata worker;
  worker.name = "worker";
  worker.docker_id = std::string(kTaskId) + "-2222222222";
  worker.log_driver = "awsfirelens";
  worker.log_options = {{"Name", "datadog"}};
  worker.labels = {{"com.datadoghq.tags.service", "jobs"}, {"com.datadoghq.tags.version", "1.4.2"}};
  task.containers.push_back(worker);

  container::ContainerMetadata agent;
  agent.name = "datadog-agent";
  agent.docker_id = std::string(kTaskId) + "-3333333333";
  task.containers.push_back(agent);
  return task;
}

// Stands in for TagStore::ContainerTags: a few container tags plus task tags.
std::vector<std::string> FakeTags(std::string_view docker_id) {
  std::vector<std::string> tags = {"task_arn:" + std::string(kTaskArn), "task_family:shop",
                                   "region:us-east-1"};
  if (!docker_id.empty()) {
    const std::string name = docker_id.ends_with("1111111111") ? "app" : "worker";
    tags.push_back("ecs_container_name:" + name);
    tags.push_back("container_id:" + std::string(docker_id));
  }
  return tags;
}

MapperOptions SidecarOptions() {
  MapperOptions options;
  options.service = "sidecar-default";
  options.env = "prod";
  options.version = "9.9";
  options.dd_tags = {"owner:platform", "env:ignored-second-env"};
  return options;
}

LogRecord FirelensRecord(std::string container, std::string source = "stdout") {
  LogRecord record;
  record.tag = container + "-firelens-" + kTaskId;
  record.message = "hello";
  record.attributes = {{"container_name", "/" + container},
                       {"source", source},
                       {"ecs_cluster", "arn:aws:ecs:us-east-1:123456789012:cluster/prod"},
                       {"ecs_task_arn", kTaskArn},
                       {"ecs_task_definition", "shop:7"}};
  return record;
}

std::vector<std::string> Tags(const LogRecord& record) {
  std::vector<std::string> tags;
  for (std::string_view tag : common::SplitAnyOf(record.ddtags, ",")) {
    tags.emplace_back(tag);
  }
  return tags;
}

std::vector<std::string> TagsWithKey(const LogRecord& record, std::string_view key) {
  std::vector<std::string> matching;
  for (const std::string& tag : Tags(record)) {
    if (tag.starts_with(std::string(key) + ":")) {
      matching.push_back(tag);
    }
  }
  return matching;
}

class RecordMapperTest : public ::testing::Test {
 protected:
  std::shared_ptr<const MappingSnapshot> snapshot_ = BuildMappingSnapshot(FixtureTask(), FakeTags);
  RecordMapper mapper_{SidecarOptions(), [this] { return snapshot_; }};
};

TEST(FirelensTagTest, ContainerNameIsWhatPrecedesTheFirelensInfix) {
  EXPECT_EQ(FirelensContainerName("app-firelens-0123"), "app");
  EXPECT_EQ(FirelensContainerName("my-firelens-app-firelens-0123"), "my-firelens-app");
  EXPECT_EQ(FirelensContainerName("docker.abc"), "");
  EXPECT_EQ(FirelensContainerName("-firelens-0123"), "");
}

// B4.3 step 3 / B4.4: the tag routes the record to `app`, whose FireLens options give service,
// source and tags.
TEST_F(RecordMapperTest, FirelensOptionsOfTheTaggedContainerGiveServiceSourceAndTags) {
  LogRecord record = FirelensRecord("app");
  mapper_.Map(record);
  EXPECT_EQ(record.service, "payment");
  EXPECT_EQ(record.ddsource, "nodejs");
  EXPECT_EQ(record.status, "info");
  EXPECT_EQ(record.hostname, "");  // B5-6.
  const std::vector<std::string> tags = Tags(record);
  EXPECT_THAT(tags, Contains("team:checkout"));
  EXPECT_THAT(tags, Contains("ecs_container_name:app"));
  EXPECT_THAT(tags, Contains("owner:platform"));
  // One value per unified service key: the container's own option wins over the sidecar's.
  EXPECT_THAT(TagsWithKey(record, "env"), ElementsAre("env:staging"));
  EXPECT_THAT(TagsWithKey(record, "service"), ElementsAre("service:payment"));
  EXPECT_THAT(TagsWithKey(record, "version"), ElementsAre("version:9.9"));
  // B5-5: one comma-joined string, no spaces from the option's ", ".
  EXPECT_THAT(record.ddtags, Not(::testing::HasSubstr(" ")));
  // The API key option never leaks into tags.
  EXPECT_THAT(record.ddtags, Not(::testing::HasSubstr("secret")));
}

TEST_F(RecordMapperTest, LabelsThenSidecarSettingsApplyWithoutFirelensOptions) {
  LogRecord record = FirelensRecord("worker");
  mapper_.Map(record);
  EXPECT_EQ(record.service, "jobs");  // com.datadoghq.tags.service label.
  EXPECT_EQ(record.ddsource, "");
  EXPECT_THAT(TagsWithKey(record, "version"), ElementsAre("version:1.4.2"));
  EXPECT_THAT(TagsWithKey(record, "env"), ElementsAre("env:prod"));  // DD_ENV, not DD_TAGS's.
  EXPECT_THAT(TagsWithKey(record, "service"), ElementsAre("service:jobs"));
}

TEST_F(RecordMapperTest, UnknownContainerFallsBackToTheSidecarsServiceAndTaskTags) {
  LogRecord record = FirelensRecord("gone");
  mapper_.Map(record);
  EXPECT_EQ(record.service, "sidecar-default");
  EXPECT_THAT(Tags(record), Contains("task_family:shop"));
  EXPECT_THAT(TagsWithKey(record, "ecs_container_name"), IsEmpty());
}

TEST_F(RecordMapperTest, RecordContainerIdFindsTheContainerWhenTheTagIsNotFirelens) {
  LogRecord record;
  record.tag = "docker.custom";
  record.attributes = {{"container_id", std::string(kTaskId) + "-1111111111"}};
  mapper_.Map(record);
  EXPECT_EQ(record.service, "payment");
}

// B4.4 `provider ecs` remap: record fields become tags (the fields stay as attributes).
TEST(EcsRemapTest, ConvertsRecordFieldsLikeFluentBit) {
  const nlohmann::json attributes = {
      {"container_id", "abc123"},
      {"container_name", "/ecs-shop-7-app-e4f0"},
      {"container_image", "nginx:1.25"},
      {"ecs_cluster", "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"},
      {"ecs_task_definition", "shop:7"},
      {"ecs_task_arn", "arn:aws:ecs:eu-west-1:123456789012:task/prod/feed"},
      {"source", "stdout"}};
  EXPECT_THAT(EcsRemapTags(attributes),
              UnorderedElementsAre("container_id:abc123", "container_name:ecs-shop-7-app-e4f0",
                                   "container_image:nginx:1.25", "cluster_name:prod",
                                   "task_family:shop", "task_version:7",
                                   "task_arn:arn:aws:ecs:eu-west-1:123456789012:task/prod/feed",
                                   "region:eu-west-1", "task_id:feed"));
}

TEST_F(RecordMapperTest, RemappedTagsNeverDuplicateAKeyTheTaggerAlreadyGave) {
  LogRecord record = FirelensRecord("app");
  mapper_.Map(record);
  EXPECT_THAT(TagsWithKey(record, "task_arn"), ElementsAre(std::string("task_arn:") + kTaskArn));
  EXPECT_THAT(TagsWithKey(record, "container_name"), ElementsAre("container_name:app"));
  EXPECT_THAT(TagsWithKey(record, "cluster_name"), ElementsAre("cluster_name:prod"));
  EXPECT_THAT(TagsWithKey(record, "task_version"), ElementsAre("task_version:7"));
  EXPECT_EQ(record.attributes["ecs_task_definition"], "shop:7");  // Still an attribute.
}

TEST(RecordMapperNoMetadataTest, WorksBeforeTheFirstMetadataFetch) {
  MapperOptions options = SidecarOptions();
  options.hostname = "i-0abc";
  RecordMapper mapper(options, [] { return std::shared_ptr<const MappingSnapshot>(); });
  LogRecord record = FirelensRecord("app", "stderr");
  mapper.Map(record);
  EXPECT_EQ(record.service, "sidecar-default");
  EXPECT_EQ(record.status, "error");
  EXPECT_EQ(record.hostname, "i-0abc");
  EXPECT_THAT(TagsWithKey(record, "env"), ElementsAre("env:prod"));
  EXPECT_THAT(Tags(record), Contains("owner:platform"));
}

TEST(RecordMapperHostnameTest, FirelensHostnameOptionOverridesTheSidecarsHostname) {
  container::TaskMetadata task = FixtureTask();
  task.containers[0].log_options["dd_hostname"] = "web-1";
  std::shared_ptr<const MappingSnapshot> snapshot = BuildMappingSnapshot(task, FakeTags);
  RecordMapper mapper(SidecarOptions(), [&] { return snapshot; });
  LogRecord app = FirelensRecord("app");
  LogRecord worker = FirelensRecord("worker");
  mapper.Map(app);
  mapper.Map(worker);
  EXPECT_EQ(app.hostname, "web-1");
  EXPECT_EQ(worker.hostname, "");
}

struct StatusCase {
  nlohmann::json attributes;
  std::string expected;
};

class StatusMappingTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(StatusMappingTest, MapsLikeTheAgent) {
  EXPECT_EQ(StatusOf(GetParam().attributes), GetParam().expected) << GetParam().attributes.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Table, StatusMappingTest,
    ::testing::Values(
        StatusCase{{{"source", "stdout"}}, "info"}, StatusCase{{{"source", "stderr"}}, "error"},
        StatusCase{nlohmann::json::object(), "info"},
        StatusCase{{{"level", "INFO"}, {"source", "stderr"}}, "info"},
        StatusCase{{{"level", "warning"}}, "warn"}, StatusCase{{{"level", "WARN"}}, "warn"},
        StatusCase{{{"level", "err"}}, "error"}, StatusCase{{{"level", "Error"}}, "error"},
        StatusCase{{{"status", "critical"}}, "critical"},
        StatusCase{{{"severity", "fatal"}}, "emergency"},
        StatusCase{{{"severity", "emerg"}}, "emergency"}, StatusCase{{{"level", "alert"}}, "alert"},
        StatusCase{{{"level", "notice"}}, "notice"}, StatusCase{{{"level", "debug"}}, "debug"},
        StatusCase{{{"level", "trace"}}, "debug"}, StatusCase{{{"level", "OK"}}, "ok"},
        StatusCase{{{"level", 3}}, "error"}, StatusCase{{{"level", "4"}}, "warn"},
        StatusCase{{{"level", "gibberish"}}, "info"},
        // An empty or non-text level does not hide the stderr rule.
        StatusCase{{{"level", ""}, {"source", "stderr"}}, "error"},
        StatusCase{{{"level", true}, {"source", "stderr"}}, "error"},
        // level is read before status and severity.
        StatusCase{{{"severity", "debug"}, {"level", "error"}}, "error"}));

}  // namespace
}  // namespace sidecar::logs
