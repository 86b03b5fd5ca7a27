#include "container/tagger.h"

#include <algorithm>
#include <utility>

#include "agent/common/strings.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::container {
namespace {

// Tag names (the Agent's comp/core/tagger/tags constants).
constexpr std::string_view kTaskName = "task_name";
constexpr std::string_view kTaskFamily = "task_family";
constexpr std::string_view kTaskVersion = "task_version";
constexpr std::string_view kTaskArn = "task_arn";
constexpr std::string_view kTaskDefinitionArn = "task_definition_arn";
constexpr std::string_view kAwsAccount = "aws_account";
constexpr std::string_view kRegion = "region";
constexpr std::string_view kEcsClusterName = "ecs_cluster_name";
constexpr std::string_view kClusterName = "cluster_name";
constexpr std::string_view kClusterArn = "cluster_arn";
constexpr std::string_view kEcsService = "ecs_service";
constexpr std::string_view kAvailabilityZone = "availability_zone";
constexpr std::string_view kAvailabilityZoneDeprecated = "availability-zone";
constexpr std::string_view kEcsContainerName = "ecs_container_name";
constexpr std::string_view kContainerName = "container_name";
constexpr std::string_view kContainerId = "container_id";
constexpr std::string_view kImageName = "image_name";
constexpr std::string_view kShortImage = "short_image";
constexpr std::string_view kImageTag = "image_tag";
constexpr std::string_view kImageId = "image_id";
constexpr std::string_view kDockerImage = "docker_image";
constexpr std::string_view kGitCommitSha = "git.commit.sha";
constexpr std::string_view kGitRepositoryUrl = "git.repository_url";

// Docker labels read for tags.
constexpr std::string_view kAdTagsLabel = "com.datadoghq.ad.tags";
constexpr std::string_view kOciRevisionLabel = "org.opencontainers.image.revision";
constexpr std::string_view kOciSourceLabel = "org.opencontainers.image.source";
// Unified service tag keys and their labels, same order.
constexpr std::array<std::string_view, 3> kUstKeys = {"env", "service", "version"};
constexpr std::array<std::string_view, 3> kUstLabels = {
    "com.datadoghq.tags.env", "com.datadoghq.tags.service", "com.datadoghq.tags.version"};

// Bound on the `com.datadoghq.ad.tags` label we parse (a label is user-controlled text).
constexpr size_t kMaxAdTagsLabelBytes = 64 * 1024;

// Index into kUstKeys when `tag` is `<key>:<value>` for a unified service tag key, else -1.
int UstKeyIndex(std::string_view tag) {
  for (size_t i = 0; i < kUstKeys.size(); ++i) {
    if (tag.size() >= kUstKeys[i].size() + 1 && tag.starts_with(kUstKeys[i]) &&
        tag[kUstKeys[i].size()] == ':') {
      return static_cast<int>(i);
    }
  }
  return -1;
}

struct Tag {
  std::string text;  // `key:value`.
  Cardinality cardinality;
};

// Tags of one entity, plus its unified-service-tag candidates in precedence order.
class TagBuilder {
 public:
  // `key:value`, skipped when the value is empty. Unified-service-tag keys become candidates.
  void Add(Cardinality cardinality, std::string_view key, std::string_view value) {
    if (key.empty() || value.empty()) {
      return;
    }
    AddTag(cardinality, fmt::format("{}:{}", key, value));
  }

  // A whole tag as given (static tags may be bare).
  void AddTag(Cardinality cardinality, std::string tag) {
    if (tag.empty()) {
      return;
    }
    if (const int key = UstKeyIndex(tag); key >= 0) {
      const auto index = static_cast<size_t>(key);
      Offer(index, std::string_view(tag).substr(kUstKeys[index].size() + 1));
      return;
    }
    tags_.push_back(Tag{std::move(tag), cardinality});
  }

  // A candidate value for kUstKeys[index]; the first non-empty one wins.
  void Offer(size_t index, std::string_view value) {
    if (!ust_[index].has_value() && !value.empty()) {
      ust_[index] = std::string(value);
    }
  }

  TagStore::TagList Build(Cardinality level) const {
    std::vector<std::string> out;
    out.reserve(tags_.size() + ust_.size());
    for (const Tag& tag : tags_) {
      if (tag.cardinality <= level) {
        out.push_back(tag.text);
      }
    }
    for (size_t i = 0; i < ust_.size(); ++i) {
      if (ust_[i].has_value()) {
        out.push_back(fmt::format("{}:{}", kUstKeys[i], *ust_[i]));
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return std::make_shared<const std::vector<std::string>>(std::move(out));
  }

  std::array<TagStore::TagList, 3> BuildAll() const {
    return {Build(Cardinality::kLow), Build(Cardinality::kOrchestrator), Build(Cardinality::kHigh)};
  }

  // Appends `other`'s tags (not its candidates).
  void AddTagsOf(const TagBuilder& other) {
    tags_.insert(tags_.end(), other.tags_.begin(), other.tags_.end());
  }

  // Offers `other`'s candidates, after this builder's own.
  void OfferCandidatesOf(const TagBuilder& other) {
    for (size_t i = 0; i < ust_.size(); ++i) {
      if (other.ust_[i].has_value()) {
        Offer(i, *other.ust_[i]);
      }
    }
  }

 private:
  std::vector<Tag> tags_;
  std::array<std::optional<std::string>, 3> ust_;
};

// Static tags (DD_TAGS/DD_EXTRA_TAGS) and EC2 resource tags: the lowest-precedence sources.
void AddLowPrecedenceSources(TagBuilder& builder, const TaggerConfig& config,
                             const TagBuilder& resource_tags) {
  for (size_t i = 0; i < kUstKeys.size(); ++i) {
    const std::string& value = i == 0 ? config.env : (i == 1 ? config.service : config.version);
    builder.Offer(i, value);
  }
  for (const std::string& tag : config.static_tags) {
    builder.AddTag(Cardinality::kLow, tag);
  }
  builder.AddTagsOf(resource_tags);
  builder.OfferCandidatesOf(resource_tags);
}

void AddResourceTags(TagBuilder& builder, const std::map<std::string, std::string>& tags,
                     bool replace_colon) {
  for (const auto& [raw_key, value] : tags) {
    if (raw_key.starts_with("aws:")) {
      continue;  // AWS-managed tags are not user tags.
    }
    std::string key = raw_key;
    if (replace_colon) {
      std::replace(key.begin(), key.end(), ':', '_');
    }
    builder.Add(Cardinality::kLow, key, value);
  }
}

// `com.datadoghq.ad.tags`: a JSON array of `k:v` strings. Anything else is skipped (the Agent
// logs and skips too); `env`/`service`/`version` items become candidates after the labels.
void AddAdTags(TagBuilder& builder, std::string_view label) {
  if (label.size() > kMaxAdTagsLabelBytes) {
    return;
  }
  const nlohmann::json json =
      nlohmann::json::parse(label.begin(), label.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_array()) {
    return;
  }
  for (const nlohmann::json& item : json) {
    if (!item.is_string()) {
      continue;
    }
    const std::string& tag = item.get_ref<const std::string&>();
    const size_t colon = tag.find(':');
    if (colon == std::string::npos || tag.find(':', colon + 1) != std::string::npos) {
      continue;  // Not exactly one ':' (A2-6).
    }
    builder.Add(Cardinality::kHigh, std::string_view(tag).substr(0, colon),
                std::string_view(tag).substr(colon + 1));
  }
}

const std::string* FindLabel(const ContainerMetadata& container, std::string_view name) {
  const auto it = container.labels.find(std::string(name));
  return it == container.labels.end() ? nullptr : &it->second;
}

}  // namespace

absl::StatusOr<Cardinality> ParseCardinality(std::string_view text) {
  const std::string lower = common::AsciiToLower(common::TrimAsciiSpace(text));
  if (lower == "low") {
    return Cardinality::kLow;
  }
  if (lower == "orchestrator" || lower == "orch") {
    return Cardinality::kOrchestrator;
  }
  if (lower == "high") {
    return Cardinality::kHigh;
  }
  return absl::InvalidArgumentError(fmt::format(
      "DD_DOGSTATSD_TAG_CARDINALITY: '{}' is not one of low, orchestrator, high", text));
}

std::string_view CardinalityName(Cardinality cardinality) {
  switch (cardinality) {
    case Cardinality::kLow:
      return "low";
    case Cardinality::kOrchestrator:
      return "orchestrator";
    case Cardinality::kHigh:
      return "high";
  }
  return "low";
}

std::optional<ImageParts> SplitImageName(std::string_view image) {
  if (image.empty() || image.starts_with("sha256:")) {
    return std::nullopt;
  }
  std::string_view name = image;
  if (const size_t digest = name.rfind("@sha"); digest != std::string_view::npos && digest > 0) {
    name = name.substr(0, digest);  // Sha-pinned image.
  }
  ImageParts parts;
  const size_t last_colon = name.rfind(':');
  const size_t last_slash = name.rfind('/');
  const size_t first_slash = name.find('/');
  if (last_colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || last_colon > last_slash)) {
    parts.tag = std::string(name.substr(last_colon + 1));
    name = name.substr(0, last_colon);
  }
  parts.short_name =
      std::string(last_slash == std::string_view::npos ? name : name.substr(last_slash + 1));
  if (first_slash != std::string_view::npos && first_slash != last_slash) {
    parts.registry = std::string(name.substr(0, first_slash));
  }
  parts.name = std::string(name);
  if (parts.tag.empty()) {
    parts.tag = "latest";
  }
  return parts;
}

TagStore::TagStore() {
  const auto empty = std::make_shared<const std::vector<std::string>>();
  task_ = {empty, empty, empty};
}

TagStore::TagList TagStore::TaskTags(Cardinality cardinality) const {
  return task_[static_cast<size_t>(cardinality)];
}

TagStore::TagList TagStore::ContainerTags(std::string_view docker_id,
                                          Cardinality cardinality) const {
  const auto it = containers_.find(docker_id);
  if (it == containers_.end()) {
    return nullptr;
  }
  return it->second[static_cast<size_t>(cardinality)];
}

std::string_view TagStore::FindContainerId(std::string_view id) const {
  if (id.empty()) {
    return {};
  }
  auto it = containers_.find(id);
  if (it != containers_.end()) {
    return it->first;
  }
  constexpr size_t kMinPrefix = 12;  // Docker's short id.
  if (id.size() < kMinPrefix) {
    return {};
  }
  it = containers_.lower_bound(id);
  if (it == containers_.end() || !it->first.starts_with(id)) {
    return {};
  }
  const auto next = std::next(it);
  if (next != containers_.end() && next->first.starts_with(id)) {
    return {};  // Ambiguous (Fargate ids of one task share their first 32 characters).
  }
  return it->first;
}

std::shared_ptr<const TagStore> BuildTagStore(const TaskMetadata& task,
                                              const TaggerConfig& config) {
  auto store = std::make_shared<TagStore>();
  store->task_arn_ = task.task_arn;
  LaunchType launch_type =
      config.launch_type != LaunchType::kUnknown ? config.launch_type : DetectLaunchType(task);
  store->launch_type_ = launch_type;
  const bool fargate = launch_type == LaunchType::kFargate;

  // Task tags (the Agent's handleECSTask).
  TagBuilder task_tags;
  task_tags.Add(Cardinality::kLow, kTaskName, task.family);
  task_tags.Add(Cardinality::kLow, kTaskFamily, task.family);
  task_tags.Add(Cardinality::kLow, kTaskVersion, task.revision);
  task_tags.Add(Cardinality::kLow, kAwsAccount, task.account_id);
  task_tags.Add(Cardinality::kLow, kRegion, task.region);
  task_tags.Add(Cardinality::kOrchestrator, kTaskArn, task.task_arn);
  if (!task.partition.empty() && !task.region.empty() && !task.account_id.empty() &&
      !task.family.empty() && !task.revision.empty()) {
    task_tags.Add(Cardinality::kOrchestrator, kTaskDefinitionArn,
                  fmt::format("arn:{}:ecs:{}:{}:task-definition/{}:{}", task.partition, task.region,
                              task.account_id, task.family, task.revision));
  }
  if (!task.cluster_name.empty()) {
    if (config.cluster_name_tag) {
      task_tags.Add(Cardinality::kLow, kClusterName, task.cluster_name);
    }
    task_tags.Add(Cardinality::kLow, kEcsClusterName, task.cluster_name);
    if (task.cluster.starts_with("arn:")) {
      task_tags.Add(Cardinality::kLow, kClusterArn, task.cluster);
    }
  }
  if (fargate) {
    task_tags.Add(Cardinality::kLow, kAvailabilityZoneDeprecated, task.availability_zone);
    task_tags.Add(Cardinality::kLow, kAvailabilityZone, task.availability_zone);
  }
  if (!task.service_name.empty()) {
    task_tags.Add(Cardinality::kLow, kEcsService, common::AsciiToLower(task.service_name));
  }
  TagBuilder resource_tags;
  if (!fargate && config.collect_ec2_resource_tags) {
    AddResourceTags(resource_tags, task.container_instance_tags,
                    config.resource_tags_replace_colon);
    AddResourceTags(resource_tags, task.task_tags, config.resource_tags_replace_colon);
  }

  TagBuilder task_level = task_tags;
  AddLowPrecedenceSources(task_level, config, resource_tags);
  store->task_ = task_level.BuildAll();

  // Container tags (the Agent's handleContainer + the per-container copy of the task tags).
  for (const ContainerMetadata& container : task.containers) {
    if (container.docker_id.empty()) {
      continue;
    }
    TagBuilder tags;
    // Unified service tags from the labels first: they win over every later source.
    for (size_t i = 0; i < kUstLabels.size(); ++i) {
      if (const std::string* value = FindLabel(container, kUstLabels[i])) {
        tags.Offer(i, *value);
      }
    }
    if (const std::string* ad_tags = FindLabel(container, kAdTagsLabel)) {
      AddAdTags(tags, *ad_tags);
    }
    tags.AddTagsOf(task_tags);
    tags.Add(Cardinality::kLow, kEcsContainerName, container.name);
    tags.Add(Cardinality::kHigh, kContainerName, container.docker_name);
    tags.Add(Cardinality::kHigh, kContainerId, container.docker_id);
    if (const std::optional<ImageParts> image = SplitImageName(container.image)) {
      tags.Add(Cardinality::kLow, kImageName, image->name);
      tags.Add(Cardinality::kLow, kShortImage, image->short_name);
      tags.Add(Cardinality::kLow, kImageTag, image->tag);
      if (!fargate) {
        tags.Add(Cardinality::kLow, kDockerImage, fmt::format("{}:{}", image->name, image->tag));
      }
    }
    tags.Add(Cardinality::kLow, kImageId, container.image_id);
    if (const std::string* revision = FindLabel(container, kOciRevisionLabel)) {
      tags.Add(Cardinality::kLow, kGitCommitSha, *revision);
    }
    if (const std::string* source = FindLabel(container, kOciSourceLabel)) {
      tags.Add(Cardinality::kLow, kGitRepositoryUrl, *source);
    }
    AddLowPrecedenceSources(tags, config, resource_tags);
    store->containers_.insert_or_assign(container.docker_id, tags.BuildAll());
  }
  return store;
}

}  // namespace sidecar::container
