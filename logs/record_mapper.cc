#include "logs/record_mapper.h"

#include <array>
#include <utility>

#include "agent/common/strings.h"

namespace sidecar::logs {
namespace {

constexpr std::string_view kFirelensInfix = "-firelens-";
constexpr std::array<std::string_view, 3> kUnifiedKeys = {"env", "service", "version"};
constexpr std::array<const char*, 3> kStatusFields = {"level", "status", "severity"};

std::string_view TagKey(std::string_view tag) { return tag.substr(0, tag.find(':')); }

bool IsUnifiedKey(std::string_view key) {
  for (std::string_view unified : kUnifiedKeys) {
    if (key == unified) {
      return true;
    }
  }
  return false;
}

// The ddtags list under construction: exact duplicates dropped, one value per single-valued key.
class TagList {
 public:
  // Adds `tag` unless already present; for env/service/version, unless the key is present.
  void Add(std::string_view tag) {
    if (tag.empty() || Contains(tag) || (IsUnifiedKey(TagKey(tag)) && HasKey(TagKey(tag)))) {
      return;
    }
    tags_.emplace_back(tag);
  }
  // Adds `tag` unless a tag with its key is present (remapped and unified service tags).
  void AddIfKeyAbsent(std::string_view tag) {
    if (!tag.empty() && !HasKey(TagKey(tag))) {
      tags_.emplace_back(tag);
    }
  }
  std::string Join() const {
    std::string joined;
    for (const std::string& tag : tags_) {
      if (!joined.empty()) {
        joined.push_back(',');
      }
      joined += tag;
    }
    return joined;
  }

 private:
  bool Contains(std::string_view tag) const {
    for (const std::string& existing : tags_) {
      if (existing == tag) {
        return true;
      }
    }
    return false;
  }
  bool HasKey(std::string_view key) const {
    for (const std::string& existing : tags_) {
      if (TagKey(existing) == key) {
        return true;
      }
    }
    return false;
  }

  std::vector<std::string> tags_;
};

std::string_view Lookup(const std::map<std::string, std::string>& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view StringAttribute(const nlohmann::json& attributes, const char* key) {
  if (!attributes.is_object()) {
    return {};
  }
  auto it = attributes.find(key);
  if (it == attributes.end() || !it->is_string()) {
    return {};
  }
  return it->get_ref<const std::string&>();
}

std::string Prefixed(std::string_view key, std::string_view value) {
  if (value.empty()) {
    return {};
  }
  std::string tag(key);
  tag.push_back(':');
  tag.append(value);
  return tag;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

const ContainerLogInfo* MappingSnapshot::FindByName(std::string_view name) const {
  for (const ContainerLogInfo& container : containers) {
    if (!name.empty() && container.name == name) {
      return &container;
    }
  }
  return nullptr;
}

const ContainerLogInfo* MappingSnapshot::FindByDockerId(std::string_view docker_id) const {
  for (const ContainerLogInfo& container : containers) {
    if (!docker_id.empty() && container.docker_id == docker_id) {
      return &container;
    }
  }
  return nullptr;
}

std::shared_ptr<const MappingSnapshot> BuildMappingSnapshot(const container::TaskMetadata& task,
                                                            const TagProvider& tags) {
  auto snapshot = std::make_shared<MappingSnapshot>();
  snapshot->task_id = task.task_id;
  if (tags) {
    snapshot->task_tags = tags("");
  }
  for (const container::ContainerMetadata& container : task.containers) {
    ContainerLogInfo& info = snapshot->containers.emplace_back();
    info.name = container.name;
    info.docker_id = container.docker_id;
    info.log_options = container.log_options;
    info.labels = container.labels;
    if (tags) {
      info.tags = tags(container.docker_id);
    }
  }
  return snapshot;
}

std::string_view FirelensContainerName(std::string_view tag) {
  const size_t infix = tag.rfind(kFirelensInfix);
  if (infix == std::string_view::npos || infix == 0) {
    return {};
  }
  return tag.substr(0, infix);
}

std::string NormalizeStatus(std::string_view value) {
  const std::string lower = common::AsciiToLower(common::TrimAsciiSpace(value));
  if (lower.empty()) {
    return {};
  }
  // Syslog severities, as the intake's status remapper reads numbers.
  static constexpr std::array<const char*, 8> kSyslog = {
      "emergency", "alert", "critical", "error", "warn", "notice", "info", "debug"};
  if (lower.size() == 1 && lower[0] >= '0' && lower[0] <= '7') {
    return kSyslog[static_cast<size_t>(lower[0] - '0')];
  }
  // Prefix rules of the intake's status remapper (warning -> warn, err/error -> error, ...).
  if (StartsWith(lower, "emerg") || StartsWith(lower, "f")) {
    return "emergency";
  }
  if (StartsWith(lower, "a")) {
    return "alert";
  }
  if (StartsWith(lower, "c")) {
    return "critical";
  }
  if (StartsWith(lower, "err")) {
    return "error";
  }
  if (StartsWith(lower, "w")) {
    return "warn";
  }
  if (StartsWith(lower, "n")) {
    return "notice";
  }
  if (StartsWith(lower, "i")) {
    return "info";
  }
  if (StartsWith(lower, "d") || StartsWith(lower, "trace") || StartsWith(lower, "verbose")) {
    return "debug";
  }
  if (StartsWith(lower, "o") || StartsWith(lower, "s")) {
    return "ok";
  }
  return "info";
}

std::string StatusOf(const nlohmann::json& attributes) {
  if (attributes.is_object()) {
    for (const char* field : kStatusFields) {
      auto it = attributes.find(field);
      if (it == attributes.end()) {
        continue;
      }
      std::string status;
      if (it->is_string()) {
        status = NormalizeStatus(it->get_ref<const std::string&>());
      } else if (it->is_number_integer()) {
        const int64_t number = it->get<int64_t>();
        if (number >= 0 && number <= 7) {
          status = NormalizeStatus(std::to_string(number));
        }
      }
      if (!status.empty()) {
        return status;
      }
    }
  }
  return StringAttribute(attributes, "source") == "stderr" ? "error" : "info";
}

std::vector<std::string> EcsRemapTags(const nlohmann::json& attributes) {
  std::vector<std::string> tags;
  auto add = [&tags](std::string_view key, std::string_view value) {
    if (!value.empty()) {
      tags.push_back(Prefixed(key, value));
    }
  };
  add("container_id", StringAttribute(attributes, "container_id"));
  std::string_view name = StringAttribute(attributes, "container_name");
  common::ConsumePrefix(name, "/");
  add("container_name", name);
  add("container_image", StringAttribute(attributes, "container_image"));
  std::string_view cluster = StringAttribute(attributes, "ecs_cluster");
  if (const size_t at = cluster.find("cluster/"); at != std::string_view::npos) {
    cluster.remove_prefix(at + std::string_view("cluster/").size());
  }
  add("cluster_name", cluster);
  const std::string_view definition = StringAttribute(attributes, "ecs_task_definition");
  if (const size_t colon = definition.find(':'); colon != std::string_view::npos) {
    add("task_family", definition.substr(0, colon));
    add("task_version", definition.substr(colon + 1));
  } else {
    add("task_family", definition);
  }
  const std::string_view arn = StringAttribute(attributes, "ecs_task_arn");
  add("task_arn", arn);
  if (!arn.empty()) {
    const std::vector<std::string_view> parts = [&] {
      std::vector<std::string_view> pieces;
      size_t start = 0;
      for (int i = 0; i < 5; ++i) {
        const size_t colon = arn.find(':', start);
        if (colon == std::string_view::npos) {
          break;
        }
        pieces.push_back(arn.substr(start, colon - start));
        start = colon + 1;
      }
      return pieces;
    }();
    if (parts.size() == 5) {
      add("region", parts[3]);
    }
    if (const size_t slash = arn.rfind('/'); slash != std::string_view::npos) {
      add("task_id", arn.substr(slash + 1));
    }
  }
  return tags;
}

RecordMapper::RecordMapper(MapperOptions options, SnapshotSource task_info)
    : options_(std::move(options)), task_info_(std::move(task_info)) {}

void RecordMapper::Map(LogRecord& record) const {
  const std::shared_ptr<const MappingSnapshot> snapshot =
      task_info_ ? task_info_() : std::shared_ptr<const MappingSnapshot>();
  Map(record, snapshot.get());
}

void RecordMapper::Map(LogRecord& record, const MappingSnapshot* snapshot) const {
  const ContainerLogInfo* container = nullptr;
  if (snapshot != nullptr) {
    container = snapshot->FindByName(FirelensContainerName(record.tag));
    if (container == nullptr) {
      container = snapshot->FindByDockerId(StringAttribute(record.attributes, "container_id"));
    }
  }

  static const std::map<std::string, std::string> kNone;
  const auto& log_options = container != nullptr ? container->log_options : kNone;
  const auto& labels = container != nullptr ? container->labels : kNone;

  std::string_view service = Lookup(log_options, "dd_service");
  if (service.empty()) {
    service = Lookup(labels, "com.datadoghq.tags.service");
  }
  if (service.empty()) {
    service = options_.service;
  }
  record.service = std::string(service);
  record.ddsource = std::string(Lookup(log_options, "dd_source"));
  const std::string_view hostname = Lookup(log_options, "dd_hostname");
  record.hostname = hostname.empty() ? options_.hostname : std::string(hostname);
  record.status = StatusOf(record.attributes);

  TagList tags;
  for (std::string_view tag : common::SplitAnyOf(Lookup(log_options, "dd_tags"), ",")) {
    tags.Add(common::TrimAsciiSpace(tag));
  }
  tags.AddIfKeyAbsent(Prefixed("service", record.service));
  if (container != nullptr) {
    for (const std::string& tag : container->tags) {
      tags.Add(tag);
    }
  } else if (snapshot != nullptr) {
    for (const std::string& tag : snapshot->task_tags) {
      tags.Add(tag);
    }
  }
  for (const std::string& tag : EcsRemapTags(record.attributes)) {
    tags.AddIfKeyAbsent(tag);
  }
  tags.AddIfKeyAbsent(Prefixed("env", Lookup(labels, "com.datadoghq.tags.env")));
  tags.AddIfKeyAbsent(Prefixed("version", Lookup(labels, "com.datadoghq.tags.version")));
  tags.AddIfKeyAbsent(Prefixed("env", options_.env));
  tags.AddIfKeyAbsent(Prefixed("version", options_.version));
  for (const std::string& tag : options_.dd_tags) {
    tags.Add(tag);
  }
  record.ddtags = tags.Join();
}

}  // namespace sidecar::logs
