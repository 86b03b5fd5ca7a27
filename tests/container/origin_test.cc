// Origin detection (container/origin.h): the id forms of spec ecs-logs.md §A2.3 mapped to the
// containers of the fixtures, and TaggerOriginTags over a Snapshot<TagStore>.
#include "container/origin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/status_matchers.h"
#include "tests/testing/testdata.h"

namespace sidecar::container {
namespace {

using ::sidecar::testing::IsOk;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kWebId = "67cd8a22b533459696d4ccab5278e009-3591238047";
constexpr std::string_view kAgentId = "67cd8a22b533459696d4ccab5278e009-2860414825";
constexpr std::string_view kCurlId =
    "ee08638adaaf009d78c248913f629e38299471d45fe7dc944d1039077e3424ca";

std::shared_ptr<const TagStore> Store(std::string_view fixture) {
  absl::StatusOr<std::string> text =
      sidecar::testing::ReadFileToString(sidecar::testing::TestdataPath(fixture));
  EXPECT_THAT(text, IsOk());
  absl::StatusOr<TaskMetadata> task = ParseTaskDocument(text.ok() ? *text : "");
  EXPECT_THAT(task, IsOk());
  return BuildTagStore(task.ok() ? *task : TaskMetadata{}, TaggerConfig{});
}

TEST(OriginTest, ParsesEachForm) {
  struct Case {
    std::string_view raw;
    OriginKind kind;
    std::string_view value;
  };
  const Case cases[] = {
      {"", OriginKind::kNone, ""},
      {"   ", OriginKind::kNone, ""},
      {"ci-abc123", OriginKind::kContainerId, "abc123"},
      {"cid-abc123", OriginKind::kContainerId, "abc123"},
      {"ci-", OriginKind::kNone, ""},
      {"in-12345", OriginKind::kCgroupInode, "12345"},
      {"in-12x", OriginKind::kNone, ""},
      {"abc123", OriginKind::kContainerId, "abc123"},
      {" abc123 ", OriginKind::kContainerId, "abc123"},
      {"ci-abc,in-42", OriginKind::kContainerId, "abc"},
      {"in-42,ci-abc", OriginKind::kContainerId, "abc"},
      {"in-42,,", OriginKind::kCgroupInode, "42"},
      {"0b2ae8a5-3ed9-4f35-b7a8-6b7e0f9c1d2e", OriginKind::kPodUid,
       "0b2ae8a5-3ed9-4f35-b7a8-6b7e0f9c1d2e"},
  };
  for (const Case& c : cases) {
    const OriginRef ref = ParseOriginId(c.raw);
    EXPECT_EQ(ref.kind, c.kind) << c.raw;
    EXPECT_EQ(ref.value, c.value) << c.raw;
  }
}

TEST(OriginTest, ResolvesFargateIdForms) {
  const auto store = Store("ecs/fargate_task.json");
  // DogStatsD `c:` (raw and ci-), Datadog-Entity-ID (ci-/cid-), Datadog-Container-ID (raw).
  for (const std::string& raw : {std::string(kWebId), "ci-" + std::string(kWebId),
                                 "cid-" + std::string(kWebId), "in-99,ci-" + std::string(kWebId),
                                 std::string("67CD8A22B533459696D4CCAB5278E009-3591238047")}) {
    EXPECT_EQ(ResolveContainerId(*store, raw), kWebId) << raw;
  }
  // Both containers share the task id prefix, so a short id is ambiguous on Fargate.
  EXPECT_EQ(ResolveContainerId(*store, "67cd8a22b533"), "");
  EXPECT_EQ(ResolveContainerId(*store, "67cd8a22b533459696d4ccab5278e009"), "");
  // Unmappable forms.
  EXPECT_EQ(ResolveContainerId(*store, "in-12345"), "");
  EXPECT_EQ(ResolveContainerId(*store, "0b2ae8a5-3ed9-4f35-b7a8-6b7e0f9c1d2e"), "");
  EXPECT_EQ(ResolveContainerId(*store, ""), "");
}

TEST(OriginTest, ResolvesEc2ShortAndLongIds) {
  const auto store = Store("ecs/ec2_awsvpc_task.json");
  EXPECT_EQ(ResolveContainerId(*store, kCurlId), kCurlId);
  EXPECT_EQ(ResolveContainerId(*store, "ee08638adaaf"), kCurlId);  // Docker short id.
  EXPECT_EQ(ResolveContainerId(*store, "ci-ee08638adaaf009d"), kCurlId);
  EXPECT_EQ(ResolveContainerId(*store, "ee08638adaa"), "");  // Under 12 characters.
  EXPECT_EQ(ResolveContainerId(*store, "ee08638adaaf0000"), "");
  EXPECT_EQ(ResolveContainerId(*store, std::string(kCurlId) + "0"), "");
}

TEST(OriginTest, UnknownOriginGetsTaskTags) {
  const auto store = Store("ecs/fargate_task.json");
  const auto task = store->TaskTags(Cardinality::kOrchestrator);
  EXPECT_EQ(TagsForOrigin(*store, "", Cardinality::kOrchestrator), task);
  EXPECT_EQ(TagsForOrigin(*store, "ci-deadbeefdeadbeef", Cardinality::kOrchestrator), task);
  EXPECT_EQ(TagsForOrigin(*store, "in-42", Cardinality::kOrchestrator), task);
  EXPECT_EQ(TagsForOrigin(*store, "ci-" + std::string(kWebId), Cardinality::kOrchestrator),
            store->ContainerTags(kWebId, Cardinality::kOrchestrator));
}

TEST(OriginTest, TaggerOriginTagsUsesConfiguredCardinality) {
  common::Snapshot<TagStore> snapshot(Store("ecs/fargate_task.json"));
  TaggerOriginTags orchestrator(snapshot, Cardinality::kOrchestrator);
  TaggerOriginTags low(snapshot, Cardinality::kLow);
  TaggerOriginTags high(snapshot, Cardinality::kHigh);
  const std::string task_arn =
      "task_arn:arn:aws:ecs:ap-northeast-1:601427279990:task/akira-fargate-check-cluster/"
      "67cd8a22b533459696d4ccab5278e009";
  // Contract decision: task_arn on every custom metric at orchestrator, not at low.
  EXPECT_THAT(*orchestrator.TagsFor(""), Contains(task_arn));
  EXPECT_THAT(*low.TagsFor(""), Not(Contains(task_arn)));
  EXPECT_THAT(*orchestrator.TagsFor(kWebId), Contains("env:staging"));
  EXPECT_THAT(*orchestrator.TagsFor(kWebId), Not(Contains(HasSubstr("container_id:"))));
  EXPECT_THAT(*high.TagsFor(kAgentId), Contains("container_id:" + std::string(kAgentId)));
}

TEST(OriginTest, TaggerOriginTagsSeesTheLatestSnapshot) {
  common::Snapshot<TagStore> snapshot;  // Before the first fetch: empty store.
  TaggerOriginTags origin(snapshot, Cardinality::kLow);
  ASSERT_NE(origin.TagsFor(kWebId), nullptr);
  EXPECT_TRUE(origin.TagsFor(kWebId)->empty());
  const auto before = origin.TagsFor("");

  snapshot.Publish(Store("ecs/fargate_task.json"));
  EXPECT_THAT(*origin.TagsFor(kWebId), Contains("ecs_container_name:web"));
  EXPECT_THAT(*origin.TagsFor(""), Contains("task_family:akira-fargate-check"));
  EXPECT_TRUE(before->empty());  // Lists already handed out stay valid and unchanged.
}

}  // namespace
}  // namespace sidecar::container
