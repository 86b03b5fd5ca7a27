// Task and container tags (container/tagger.h). Expected sets are written from the tag table of
// spec ecs-logs.md §A2.2 (rows cited by tag name) and its conformance items A2-1..A2-7, not from
// the implementation.
#include "container/tagger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/testing/testdata.h"

namespace sidecar::container {
namespace {

using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;

using Tags = std::vector<std::string>;

constexpr std::string_view kFargateAgentId = "67cd8a22b533459696d4ccab5278e009-2860414825";
constexpr std::string_view kFargateWebId = "67cd8a22b533459696d4ccab5278e009-3591238047";
constexpr std::string_view kEc2CurlId =
    "ee08638adaaf009d78c248913f629e38299471d45fe7dc944d1039077e3424ca";
constexpr std::string_view kEc2PauseId =
    "731a0d6a3b4210e2448339bc7015aaa79bfe4fa256384f4102db86ef94cbbc4c";

TaskMetadata LoadTask(std::string_view fixture) {
  absl::StatusOr<std::string> text =
      sidecar::testing::ReadFileToString(sidecar::testing::TestdataPath(fixture));
  EXPECT_THAT(text, IsOk());
  absl::StatusOr<TaskMetadata> task = ParseTaskDocument(text.ok() ? *text : "");
  EXPECT_THAT(task, IsOk());
  return task.ok() ? *task : TaskMetadata{};
}

Tags Sorted(Tags tags) {
  std::sort(tags.begin(), tags.end());
  return tags;
}

Tags Concat(const Tags& a, const Tags& b) {
  Tags out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Tags Get(const TagStore::TagList& list) { return list ? *list : Tags{"<null>"}; }

// ---- Fargate fixture (fargate_task.json), default config. ----

// §A2.2 rows task_name (A2-1: Family), task_family, task_version, aws_account, region,
// ecs_cluster_name, cluster_name, cluster_arn, availability-zone + availability_zone (A2-4).
// No ecs_service: the fixture has no ServiceName.
const Tags kFargateTaskLow = {
    "availability-zone:ap-northeast-1d",
    "availability_zone:ap-northeast-1d",
    "aws_account:601427279990",
    "cluster_arn:arn:aws:ecs:ap-northeast-1:601427279990:cluster/akira-fargate-check-cluster",
    "cluster_name:akira-fargate-check-cluster",
    "ecs_cluster_name:akira-fargate-check-cluster",
    "region:ap-northeast-1",
    "task_family:akira-fargate-check",
    "task_name:akira-fargate-check",
    "task_version:1",
};
// §A2.2 rows task_arn, task_definition_arn (orch).
const Tags kFargateTaskOrch = {
    "task_arn:arn:aws:ecs:ap-northeast-1:601427279990:task/akira-fargate-check-cluster/"
    "67cd8a22b533459696d4ccab5278e009",
    "task_definition_arn:arn:aws:ecs:ap-northeast-1:601427279990:task-definition/"
    "akira-fargate-check:1",
};

TEST(TaggerTest, FargateTaskTagsPerCardinality) {
  const auto store = BuildTagStore(LoadTask("ecs/fargate_task.json"), TaggerConfig{});
  EXPECT_EQ(store->launch_type(), LaunchType::kFargate);
  EXPECT_EQ(Get(store->TaskTags(Cardinality::kLow)), Sorted(kFargateTaskLow));
  // A2-7: orchestrator-level task tags only at orchestrator or high.
  EXPECT_EQ(Get(store->TaskTags(Cardinality::kOrchestrator)),
            Sorted(Concat(kFargateTaskLow, kFargateTaskOrch)));
  EXPECT_EQ(Get(store->TaskTags(Cardinality::kHigh)),
            Sorted(Concat(kFargateTaskLow, kFargateTaskOrch)));
}

TEST(TaggerTest, FargateWebContainerTagsPerCardinality) {
  const auto store = BuildTagStore(LoadTask("ecs/fargate_task.json"), TaggerConfig{});
  // Rows ecs_container_name, image_name, short_image, image_tag, image_id (low); env/service/
  // version from the com.datadoghq.tags.* labels; no docker_image on Fargate (A2-5).
  const Tags low = Concat(kFargateTaskLow, {
                                               "ecs_container_name:web",
                                               "image_name:public.ecr.aws/nginx/nginx",
                                               "short_image:nginx",
                                               "image_tag:1.25-alpine",
                                               "image_id:sha256:4c1d5b6e0a7f82e93b1c2d4f6a8e0b3c5"
                                               "d7f9a1b2c4e6f8a0b1d3e5f7a9c2b4d",
                                               "env:staging",
                                               "service:web",
                                               "version:1.4.2",
                                           });
  // Rows container_name (DockerName, = Name on Fargate) and container_id (high).
  const Tags high_only = {"container_name:web",
                          "container_id:67cd8a22b533459696d4ccab5278e009-3591238047"};
  EXPECT_EQ(Get(store->ContainerTags(kFargateWebId, Cardinality::kLow)), Sorted(low));
  EXPECT_EQ(Get(store->ContainerTags(kFargateWebId, Cardinality::kOrchestrator)),
            Sorted(Concat(low, kFargateTaskOrch)));
  EXPECT_EQ(Get(store->ContainerTags(kFargateWebId, Cardinality::kHigh)),
            Sorted(Concat(Concat(low, kFargateTaskOrch), high_only)));
}

TEST(TaggerTest, FargateAgentContainerHighTags) {
  const auto store = BuildTagStore(LoadTask("ecs/fargate_task.json"), TaggerConfig{});
  const Tags expected = Concat(Concat(kFargateTaskLow, kFargateTaskOrch),
                               {
                                   "ecs_container_name:dd-agent",
                                   "image_name:public.ecr.aws/b1o7r7e0/akira-agent-fgcheck",
                                   "short_image:akira-agent-fgcheck",
                                   "image_tag:9",
                                   "image_id:sha256:9d285ef4b9bac6f4c58211b711436dd507db7ba1f52605"
                                   "ae463102ee31b0f49b",
                                   "container_name:dd-agent",
                                   "container_id:67cd8a22b533459696d4ccab5278e009-2860414825",
                               });
  EXPECT_EQ(Get(store->ContainerTags(kFargateAgentId, Cardinality::kHigh)), Sorted(expected));
}

// ---- EC2 awsvpc fixture (ec2_awsvpc_task.json), default config. ----

// Rows as above; ecs_service lower-cased (A2-2: "MyService"); region on EC2 (2024+ Agents); no
// AZ tags on EC2 (A2-4, ✗); no cluster_arn: `Cluster` is a short name; resource tags off by
// default.
const Tags kEc2TaskLow = {
    "aws_account:111122223333", "cluster_name:default", "ecs_cluster_name:default",
    "ecs_service:myservice",    "region:us-west-2",     "task_family:curltest",
    "task_name:curltest",       "task_version:26",
};
const Tags kEc2TaskOrch = {
    "task_arn:arn:aws:ecs:us-west-2:111122223333:task/default/158d1c8083dd49d6b527399fd6414f5c",
    "task_definition_arn:arn:aws:ecs:us-west-2:111122223333:task-definition/curltest:26",
};

TEST(TaggerTest, Ec2TaskTagsPerCardinality) {
  const auto store = BuildTagStore(LoadTask("ecs/ec2_awsvpc_task.json"), TaggerConfig{});
  EXPECT_EQ(store->launch_type(), LaunchType::kEc2);
  EXPECT_EQ(Get(store->TaskTags(Cardinality::kLow)), Sorted(kEc2TaskLow));
  EXPECT_EQ(Get(store->TaskTags(Cardinality::kOrchestrator)),
            Sorted(Concat(kEc2TaskLow, kEc2TaskOrch)));
}

TEST(TaggerTest, Ec2CurlContainerTagsIncludeDockerImage) {
  const auto store = BuildTagStore(LoadTask("ecs/ec2_awsvpc_task.json"), TaggerConfig{});
  const Tags low =
      Concat(kEc2TaskLow,
             {
                 "ecs_container_name:curl",
                 "image_name:111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest",
                 "short_image:curltest",
                 "image_tag:latest",
                 "image_id:sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553",
                 // Row docker_image: name:tag, emitted for the docker runtime (EC2).
                 "docker_image:111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest",
                 "env:prod",
                 "service:curltest",
                 "version:26",
             });
  EXPECT_EQ(Get(store->ContainerTags(kEc2CurlId, Cardinality::kLow)), Sorted(low));
  // Row container_name: DockerName, not Name, on EC2.
  EXPECT_EQ(Get(store->ContainerTags(kEc2CurlId, Cardinality::kHigh)),
            Sorted(Concat(Concat(low, kEc2TaskOrch),
                          {"container_name:ecs-curltest-26-curl-a0e7dba5aca6d8cb2e00",
                           std::string("container_id:") + std::string(kEc2CurlId)})));
}

TEST(TaggerTest, PauseContainerWithoutImageIdGetsNoImageIdTag) {
  const auto store = BuildTagStore(LoadTask("ecs/ec2_awsvpc_task.json"), TaggerConfig{});
  const Tags tags = Get(store->ContainerTags(kEc2PauseId, Cardinality::kLow));
  EXPECT_THAT(tags, Contains("short_image:amazon-ecs-pause"));
  EXPECT_THAT(tags, Contains("ecs_container_name:~internal~ecs~pause"));
  for (const std::string& tag : tags) {
    EXPECT_FALSE(tag.starts_with("image_id:")) << tag;
  }
}

TEST(TaggerTest, UnknownContainerHasNoList) {
  const auto store = BuildTagStore(LoadTask("ecs/fargate_task.json"), TaggerConfig{});
  EXPECT_EQ(store->ContainerTags("nope", Cardinality::kHigh), nullptr);
  EXPECT_EQ(store->ContainerTags("", Cardinality::kHigh), nullptr);
  EXPECT_EQ(store->container_count(), 2u);
}

TEST(TaggerTest, EmptyStoreHasEmptyTaskTags) {
  const TagStore store;
  ASSERT_NE(store.TaskTags(Cardinality::kHigh), nullptr);
  EXPECT_TRUE(store.TaskTags(Cardinality::kHigh)->empty());
  EXPECT_EQ(store.container_count(), 0u);
}

TEST(TaggerTest, ConfigOnlyStoreCarriesStaticAndUnifiedServiceTags) {
  TaggerConfig config;
  config.static_tags = {"team:payments", "bare"};
  config.env = "prod";
  const auto store = BuildTagStore(TaskMetadata{}, config);
  EXPECT_EQ(Get(store->TaskTags(Cardinality::kLow)), Sorted({"bare", "env:prod", "team:payments"}));
}

// ---- Launch type decisions. ----

TEST(TaggerTest, LaunchTypeOverrideDecidesAzAndDockerImage) {
  TaskMetadata task = LoadTask("ecs/ec2_awsvpc_task.json");
  TaggerConfig config;
  config.launch_type = LaunchType::kFargate;
  const auto store = BuildTagStore(task, config);
  const Tags tags = Get(store->ContainerTags(kEc2CurlId, Cardinality::kLow));
  EXPECT_THAT(tags, Contains("availability_zone:us-west-2d"));
  EXPECT_THAT(tags, Contains("availability-zone:us-west-2d"));
  EXPECT_THAT(tags, Not(Contains(HasSubstr("docker_image:"))));
}

TEST(TaggerTest, UnknownLaunchTypeIsTaggedAsEc2) {
  // v2 document (no LaunchType, 64-hex ids): the Agent's default is EC2 (docker_image, no AZ).
  TaskMetadata task = LoadTask("ecs/ec2_awsvpc_task.json");
  task.launch_type = LaunchType::kUnknown;
  const auto store = BuildTagStore(task, TaggerConfig{});
  const Tags tags = Get(store->ContainerTags(kEc2CurlId, Cardinality::kLow));
  EXPECT_THAT(tags, Contains(HasSubstr("docker_image:")));
  EXPECT_THAT(tags, Not(Contains(HasSubstr("availability_zone:"))));
}

TEST(TaggerTest, DisabledClusterNameTagKeepsEcsClusterName) {
  TaggerConfig config;
  config.cluster_name_tag = false;
  const auto store = BuildTagStore(LoadTask("ecs/ec2_awsvpc_task.json"), config);
  const Tags tags = Get(store->TaskTags(Cardinality::kLow));
  EXPECT_THAT(tags, Contains("ecs_cluster_name:default"));
  EXPECT_THAT(tags, Not(Contains("cluster_name:default")));
}

TEST(TaggerTest, PartitionedArnsGetRegionAccountAndTaskDefinitionArn) {
  // A2-3: aws-us-gov / aws-cn tasks get region and aws_account.
  TaskMetadata task;
  task.task_arn = "arn:aws-us-gov:ecs:us-gov-west-1:012345678901:task/c/abc";
  const RegionAndAccount parsed = ParseRegionAndAccount(task.task_arn);
  task.partition = parsed.partition;
  task.region = parsed.region;
  task.account_id = parsed.account_id;
  task.family = "app";
  task.revision = "7";
  const auto store = BuildTagStore(task, TaggerConfig{});
  EXPECT_THAT(Get(store->TaskTags(Cardinality::kOrchestrator)),
              IsSupersetOf({"region:us-gov-west-1", "aws_account:012345678901",
                            "task_definition_arn:arn:aws-us-gov:ecs:us-gov-west-1:012345678901:"
                            "task-definition/app:7"}));
}

// ---- EC2 resource tags (row "EC2 resource tags": opt-in, never on Fargate). ----

TEST(TaggerTest, Ec2ResourceTagsAreOptIn) {
  TaskMetadata task = LoadTask("ecs/ec2_awsvpc_task.json");
  task.task_tags["aws:cloudformation:stack-name"] = "s";
  task.task_tags["team:sub"] = "core";
  TaggerConfig config;
  config.collect_ec2_resource_tags = true;
  config.resource_tags_replace_colon = true;
  const Tags tags = Get(BuildTagStore(task, config)->TaskTags(Cardinality::kLow));
  EXPECT_THAT(tags, IsSupersetOf({"tag-use:task-metadata-endpoint-test", "tag_key:tag_value",
                                  "team_sub:core"}));
  EXPECT_THAT(tags, Not(Contains(HasSubstr("cloudformation"))));

  config.launch_type = LaunchType::kFargate;
  EXPECT_THAT(Get(BuildTagStore(task, config)->TaskTags(Cardinality::kLow)),
              Not(Contains("tag_key:tag_value")));
}

// ---- Unified service tags: one value per key, precedence in tagger.h. ----

// A task with one container carrying `labels`.
TaskMetadata TaskWithLabels(std::map<std::string, std::string> labels) {
  TaskMetadata task;
  task.task_arn = "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef";
  task.family = "fam";
  ContainerMetadata container;
  container.docker_id = "0123456789abcdef0123456789abcdef-1";
  container.name = "app";
  container.labels = std::move(labels);
  task.containers.push_back(std::move(container));
  return task;
}

std::vector<std::string> KeyValues(const Tags& tags, std::string_view key) {
  std::vector<std::string> values;
  for (const std::string& tag : tags) {
    if (tag.starts_with(key) && tag.size() > key.size() && tag[key.size()] == ':') {
      values.push_back(tag.substr(key.size() + 1));
    }
  }
  return values;
}

TEST(TaggerTest, LabelBeatsAdTagsConfigAndStaticTags) {
  TaggerConfig config;
  config.env = "sidecar-env";
  config.service = "sidecar-svc";
  config.static_tags = {"env:static-env", "version:static-version", "team:a"};
  const auto store = BuildTagStore(
      TaskWithLabels({{"com.datadoghq.tags.env", "label-env"},
                      {"com.datadoghq.ad.tags", R"(["env:ad-env", "service:ad-svc"])"}}),
      config);
  for (const Cardinality cardinality :
       {Cardinality::kLow, Cardinality::kOrchestrator, Cardinality::kHigh}) {
    const Tags tags = Get(store->ContainerTags("0123456789abcdef0123456789abcdef-1", cardinality));
    EXPECT_THAT(KeyValues(tags, "env"), ::testing::ElementsAre("label-env"));
    EXPECT_THAT(KeyValues(tags, "service"), ::testing::ElementsAre("ad-svc"));
    EXPECT_THAT(KeyValues(tags, "version"), ::testing::ElementsAre("static-version"));
    EXPECT_THAT(tags, Contains("team:a"));
  }
  // Task level: DD_ENV/DD_SERVICE beat DD_TAGS.
  const Tags task = Get(store->TaskTags(Cardinality::kHigh));
  EXPECT_THAT(KeyValues(task, "env"), ::testing::ElementsAre("sidecar-env"));
  EXPECT_THAT(KeyValues(task, "service"), ::testing::ElementsAre("sidecar-svc"));
  EXPECT_THAT(KeyValues(task, "version"), ::testing::ElementsAre("static-version"));
}

TEST(TaggerTest, FirstStaticValueWinsAndEmptyValuesAreDropped) {
  TaggerConfig config;
  config.static_tags = {"env:", "env:first", "env:second"};
  const auto store = BuildTagStore(TaskMetadata{}, config);
  EXPECT_EQ(Get(store->TaskTags(Cardinality::kLow)), Tags{"env:first"});
}

TEST(TaggerTest, EmptyLabelValueFallsThrough) {
  TaggerConfig config;
  config.env = "sidecar-env";
  const auto store = BuildTagStore(TaskWithLabels({{"com.datadoghq.tags.env", ""}}), config);
  EXPECT_THAT(
      KeyValues(Get(store->ContainerTags("0123456789abcdef0123456789abcdef-1", Cardinality::kLow)),
                "env"),
      ::testing::ElementsAre("sidecar-env"));
}

TEST(TaggerTest, AdTagsAreHighCardinalityAndNeedExactlyOneColon) {
  // Row "arbitrary" + A2-6.
  const auto store = BuildTagStore(
      TaskWithLabels({{"com.datadoghq.ad.tags",
                       R"(["team:core", "a:b:c", "nocolon", ":v", "k:", 7, "tier:web"])"}}),
      TaggerConfig{});
  const std::string_view id = "0123456789abcdef0123456789abcdef-1";
  const Tags low = Get(store->ContainerTags(id, Cardinality::kLow));
  const Tags orch = Get(store->ContainerTags(id, Cardinality::kOrchestrator));
  const Tags high = Get(store->ContainerTags(id, Cardinality::kHigh));
  EXPECT_THAT(low, Not(Contains("team:core")));
  EXPECT_THAT(orch, Not(Contains("team:core")));
  EXPECT_THAT(high, IsSupersetOf({"team:core", "tier:web"}));
  for (const std::string_view bad : {"a:b:c", "nocolon", ":v", "k:"}) {
    EXPECT_THAT(high, Not(Contains(std::string(bad))));
  }
}

TEST(TaggerTest, MalformedAdTagsLabelIsIgnored) {
  for (const std::string& label :
       {std::string("[\"team:core\""), std::string("{\"a\":\"b\"}"), std::string("team:core")}) {
    const auto store =
        BuildTagStore(TaskWithLabels({{"com.datadoghq.ad.tags", label}}), TaggerConfig{});
    EXPECT_THAT(Get(store->ContainerTags("0123456789abcdef0123456789abcdef-1", Cardinality::kHigh)),
                Not(Contains("team:core")))
        << label;
  }
}

TEST(TaggerTest, OciLabelsBecomeGitTags) {
  const auto store =
      BuildTagStore(TaskWithLabels({{"org.opencontainers.image.revision", "abc123"},
                                    {"org.opencontainers.image.source", "https://github.com/o/r"}}),
                    TaggerConfig{});
  EXPECT_THAT(Get(store->ContainerTags("0123456789abcdef0123456789abcdef-1", Cardinality::kLow)),
              IsSupersetOf({"git.commit.sha:abc123", "git.repository_url:https://github.com/o/r"}));
}

TEST(TaggerTest, ListsAreSortedUniqueAndNested) {
  TaggerConfig config;
  config.static_tags = {"z:1", "a:1", "z:1", "task_family:fam"};
  const auto store = BuildTagStore(LoadTask("ecs/fargate_task.json"), config);
  for (const std::string_view id : {kFargateAgentId, kFargateWebId}) {
    const Tags low = Get(store->ContainerTags(id, Cardinality::kLow));
    const Tags orch = Get(store->ContainerTags(id, Cardinality::kOrchestrator));
    const Tags high = Get(store->ContainerTags(id, Cardinality::kHigh));
    for (const Tags* tags : {&low, &orch, &high}) {
      EXPECT_TRUE(std::is_sorted(tags->begin(), tags->end()));
      EXPECT_EQ(std::adjacent_find(tags->begin(), tags->end()), tags->end());
    }
    EXPECT_TRUE(std::includes(orch.begin(), orch.end(), low.begin(), low.end()));
    EXPECT_TRUE(std::includes(high.begin(), high.end(), orch.begin(), orch.end()));
    EXPECT_THAT(low, IsSupersetOf({"a:1", "z:1", "task_family:fam"}));
  }
}

// ---- Image names (pkg/util/containers/image SplitImageName + "latest" default). ----

struct ImageCase {
  const char* image;
  const char* name;
  const char* registry;
  const char* short_name;
  const char* tag;
};

class SplitImageNameTest : public ::testing::TestWithParam<ImageCase> {};

TEST_P(SplitImageNameTest, SplitsLikeTheAgent) {
  const ImageCase& c = GetParam();
  const std::optional<ImageParts> parts = SplitImageName(c.image);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->name, c.name);
  EXPECT_EQ(parts->registry, c.registry);
  EXPECT_EQ(parts->short_name, c.short_name);
  EXPECT_EQ(parts->tag, c.tag);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SplitImageNameTest,
    ::testing::Values(ImageCase{"public.ecr.aws/datadog/agent:7", "public.ecr.aws/datadog/agent",
                                "public.ecr.aws", "agent", "7"},
                      ImageCase{"nginx", "nginx", "", "nginx", "latest"},
                      ImageCase{"library/redis:6", "library/redis", "", "redis", "6"},
                      ImageCase{"localhost:5000/app", "localhost:5000/app", "", "app", "latest"},
                      ImageCase{"reg.example.com:5000/team/app:1.2",
                                "reg.example.com:5000/team/app", "reg.example.com:5000", "app",
                                "1.2"},
                      ImageCase{"repo/app:1.0@sha256:0123abcd", "repo/app", "", "app", "1.0"},
                      ImageCase{"repo/app@sha256:0123abcd", "repo/app", "", "app", "latest"}));

TEST(TaggerTest, SplitImageNameRejectsEmptyAndBareDigest) {
  EXPECT_FALSE(SplitImageName("").has_value());
  EXPECT_FALSE(SplitImageName("sha256:0123abcd").has_value());
}

// ---- Cardinality names (DD_DOGSTATSD_TAG_CARDINALITY). ----

TEST(TaggerTest, ParsesCardinalityNames) {
  EXPECT_EQ(ParseCardinality("low").value(), Cardinality::kLow);
  EXPECT_EQ(ParseCardinality("orchestrator").value(), Cardinality::kOrchestrator);
  EXPECT_EQ(ParseCardinality("orch").value(), Cardinality::kOrchestrator);
  EXPECT_EQ(ParseCardinality(" HIGH ").value(), Cardinality::kHigh);
  EXPECT_THAT(ParseCardinality("none"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("DD_DOGSTATSD_TAG_CARDINALITY")));
  EXPECT_THAT(ParseCardinality(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(CardinalityName(Cardinality::kOrchestrator), "orchestrator");
  // Contract decision: orchestrator by default on ECS.
  EXPECT_EQ(kDefaultDogstatsdCardinality, Cardinality::kOrchestrator);
}

}  // namespace
}  // namespace sidecar::container
