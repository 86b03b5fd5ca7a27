// File: container/tagger.h
//
// ECS task and container tags, the Datadog Agent's tag names and cardinalities (spec
// ../shared/spec/ecs-logs.md §A2.2), precomputed into an immutable TagStore that the egress thread
// publishes through a common::Snapshot<TagStore> and every enricher reads.
//
//   absl::StatusOr<TaskMetadata> task = ParseTaskDocument(body);
//   snapshot.Publish(BuildTagStore(*task, tagger_config));
//   ...
//   auto store = snapshot.Get();                                   // once per batch
//   auto tags = store->ContainerTags(docker_id, Cardinality::kOrchestrator);
//
// Task tags (every signal, also without an origin; the Agent's "global entity" on Fargate):
//   low   task_name (= Family, A2-1), task_family, task_version, aws_account, region,
//         ecs_cluster_name, cluster_name (unless disabled), cluster_arn (only when `Cluster` is an
//         ARN), ecs_service (ServiceName lower-cased, A2-2), availability-zone and
//         availability_zone (Fargate only, A2-4), EC2 resource tags (opt-in, not on Fargate),
//         DD_TAGS/DD_EXTRA_TAGS
//   orch  task_arn, task_definition_arn (built from the task ARN's partition/region/account and
//         Family:Revision; TMDS does not expose it)
// Container tags = task tags plus:
//   low   ecs_container_name (Name), image_name, short_image, image_tag, image_id, docker_image
//         (not on Fargate, A2-5), git.commit.sha / git.repository_url (OCI labels)
//   high  container_name (DockerName), container_id (DockerId), `com.datadoghq.ad.tags` items
//         (JSON array; only `k:v` with exactly one ':' and both sides non-empty, A2-6)
// Empty values produce no tag (as the Agent's TagList). Each list is sorted and unique; a level
// includes the levels below it.
//
// Unified service tags (architecture.md "Contract decisions"): at most one value per key among
// `env`, `service`, `version` in any list, taken from the first source that has it:
//   container: label `com.datadoghq.tags.<key>` > an `<key>:v` item of `com.datadoghq.ad.tags` >
//              TaggerConfig::<key> (the sidecar's DD_ENV/DD_SERVICE/DD_VERSION) > the first
//              `<key>:v` of static_tags (DD_TAGS/DD_EXTRA_TAGS) > EC2 resource tags
//   task:      TaggerConfig::<key> > static_tags > EC2 resource tags
// They are low cardinality (the Agent's "standard" tags). Deviation: the Agent adds an `env:`
// item of `com.datadoghq.ad.tags` at high cardinality beside the label's; we let it supply the
// container's env at every level instead, so no list carries two values. The statsd::Enricher
// keeps a client's own env/service/version above all of these.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "container/task_metadata.h"

namespace sidecar::container {

// The Agent's tag cardinalities, in increasing order.
enum class Cardinality { kLow = 0, kOrchestrator = 1, kHigh = 2 };

// DogStatsD default on ECS (architecture.md "Contract decisions": task_arn on every custom metric);
// the Agent's own default is kLow, which DD_DOGSTATSD_TAG_CARDINALITY=low restores.
inline constexpr Cardinality kDefaultDogstatsdCardinality = Cardinality::kOrchestrator;

// "low", "orchestrator" (or the Agent's short "orch"), "high"; ASCII case-insensitive, surrounding
// spaces ignored. InvalidArgument naming DD_DOGSTATSD_TAG_CARDINALITY otherwise.
absl::StatusOr<Cardinality> ParseCardinality(std::string_view text);
std::string_view CardinalityName(Cardinality cardinality);

struct TaggerConfig {
  // DD_TAGS + DD_EXTRA_TAGS, already split into tags (`key:value` or bare). Low cardinality, on
  // every list. Leave empty when the consumer adds them itself (statsd::Enricher does).
  std::vector<std::string> static_tags{};
  // DD_ENV, DD_SERVICE, DD_VERSION of the sidecar. Empty = none.
  std::string env{};
  std::string service{};
  std::string version{};
  // false = the Agent's `disable_cluster_name_tag_key: true` (ecs_cluster_name stays).
  bool cluster_name_tag = true;
  // DD_ECS_COLLECT_RESOURCE_TAGS_EC2: TaskTags + ContainerInstanceTags (from /taskWithTags) as
  // low task tags, except keys starting with `aws:`; never on Fargate. Default false, as the Agent.
  bool collect_ec2_resource_tags = false;
  // DD_ECS_RESOURCE_TAGS_REPLACE_COLON: ':' in resource tag keys becomes '_'.
  bool resource_tags_replace_colon = false;
  // Launch type to tag for (decides the AZ tags and docker_image); kUnknown = DetectLaunchType of
  // the document, where still unknown counts as EC2 (the Agent's ParseV4Task default).
  LaunchType launch_type = LaunchType::kUnknown;
};

// An image reference split as the Agent does (pkg/util/containers/image SplitImageName, then
// workloadmeta's "latest" default): `registry/prefix/short:tag@sha256:...`.
struct ImageParts {
  std::string name;        // Without tag and digest: `public.ecr.aws/nginx/nginx`.
  std::string registry;    // First element when there are two or more '/': `public.ecr.aws`.
  std::string short_name;  // Last path element: `nginx`.
  std::string tag;         // `1.25-alpine`; "latest" when none was given.
};
// nullopt for an empty image or a bare `sha256:` id.
std::optional<ImageParts> SplitImageName(std::string_view image);

// Immutable, precomputed tag lists for one task. Cheap to read from any thread.
class TagStore {
 public:
  using TagList = std::shared_ptr<const std::vector<std::string>>;

  // No task: every list empty, no containers (what readers see before the first fetch).
  TagStore();

  // Task-level tags at `cardinality`; never null.
  TagList TaskTags(Cardinality cardinality) const;
  // Tags of the container whose DockerId is exactly `docker_id` (task tags included); null when
  // the task has no such container.
  TagList ContainerTags(std::string_view docker_id, Cardinality cardinality) const;
  // The DockerId `id` designates: itself when present, else the single DockerId that starts with
  // it when it is at least 12 characters (Docker's short id); "" when none or ambiguous. The view
  // points into this store.
  std::string_view FindContainerId(std::string_view id) const;

  const std::string& task_arn() const { return task_arn_; }
  LaunchType launch_type() const { return launch_type_; }
  size_t container_count() const { return containers_.size(); }

 private:
  friend std::shared_ptr<const TagStore> BuildTagStore(const TaskMetadata& task,
                                                       const TaggerConfig& config);
  using Lists = std::array<TagList, 3>;  // Indexed by Cardinality.

  std::string task_arn_;
  LaunchType launch_type_ = LaunchType::kUnknown;
  Lists task_;
  std::map<std::string, Lists, std::less<>> containers_;
};

// All lists for `task`. A default TaskMetadata gives the config-only lists (static and unified
// service tags).
std::shared_ptr<const TagStore> BuildTagStore(const TaskMetadata& task, const TaggerConfig& config);

}  // namespace sidecar::container
