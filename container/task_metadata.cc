#include "container/task_metadata.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "agent/common/status_macros.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::container {
namespace {

using Json = nlohmann::json;

// Status for a known field of the wrong type; `path` like `Containers[1].Labels`.
absl::Status WrongType(std::string_view path, std::string_view expected) {
  return absl::InvalidArgumentError(fmt::format("ECS metadata field {} is not {}", path, expected));
}

std::string Path(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
}

// The member `key` of `object`, or null when absent or JSON null.
const Json* Find(const Json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

// Each reader leaves `out` untouched when the member is absent.
absl::Status ReadString(const Json& object, std::string_view key, std::string_view prefix,
                        std::string* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) {
    return absl::OkStatus();
  }
  if (!value->is_string()) {
    return WrongType(Path(prefix, key), "a string");
  }
  *out = value->get_ref<const std::string&>();
  return absl::OkStatus();
}

absl::Status ReadInt(const Json& object, std::string_view key, std::string_view prefix,
                     std::optional<int64_t>* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) {
    return absl::OkStatus();
  }
  if (value->is_number_unsigned()) {
    const uint64_t number = value->get<uint64_t>();
    if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return WrongType(Path(prefix, key), "a 64-bit integer");
    }
    *out = static_cast<int64_t>(number);
    return absl::OkStatus();
  }
  if (value->is_number_integer()) {
    *out = value->get<int64_t>();
    return absl::OkStatus();
  }
  return WrongType(Path(prefix, key), "an integer");
}

// Any JSON number (limits may be fractional on some platforms).
absl::Status ReadNumber(const Json& object, std::string_view key, std::string_view prefix,
                        std::optional<double>* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) {
    return absl::OkStatus();
  }
  if (!value->is_number()) {
    return WrongType(Path(prefix, key), "a number");
  }
  *out = value->get<double>();
  return absl::OkStatus();
}

absl::Status ReadStringArray(const Json& object, std::string_view key, std::string_view prefix,
                             std::vector<std::string>* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) {
    return absl::OkStatus();
  }
  if (!value->is_array()) {
    return WrongType(Path(prefix, key), "an array of strings");
  }
  out->clear();
  out->reserve(value->size());
  for (const Json& item : *value) {
    if (!item.is_string()) {
      return WrongType(Path(prefix, key), "an array of strings");
    }
    out->push_back(item.get_ref<const std::string&>());
  }
  return absl::OkStatus();
}

absl::Status ReadStringMap(const Json& object, std::string_view key, std::string_view prefix,
                           std::map<std::string, std::string>* out) {
  const Json* value = Find(object, key);
  if (value == nullptr) {
    return absl::OkStatus();
  }
  if (!value->is_object()) {
    return WrongType(Path(prefix, key), "an object of strings");
  }
  out->clear();
  for (const auto& [name, item] : value->items()) {
    if (!item.is_string()) {
      return WrongType(Path(Path(prefix, key), name), "a string");
    }
    out->emplace(name, item.get_ref<const std::string&>());
  }
  return absl::OkStatus();
}

// `Limits`: {"CPU": number, "Memory": number}. Memory is MiB; a fractional value is truncated.
absl::Status ReadLimits(const Json& object, std::string_view prefix, ResourceLimits* out) {
  const Json* value = Find(object, "Limits");
  if (value == nullptr) {
    return absl::OkStatus();
  }
  const std::string path = Path(prefix, "Limits");
  if (!value->is_object()) {
    return WrongType(path, "an object");
  }
  if (absl::Status status = ReadNumber(*value, "CPU", path, &out->cpu); !status.ok()) {
    return status;
  }
  std::optional<double> memory;
  if (absl::Status status = ReadNumber(*value, "Memory", path, &memory); !status.ok()) {
    return status;
  }
  if (memory.has_value()) {
    // 2^53: beyond it doubles are not exact integers; no real limit comes near it.
    if (!std::isfinite(*memory) || *memory < 0 || *memory > 9007199254740992.0) {
      return WrongType(Path(path, "Memory"), "a non-negative MiB count");
    }
    out->memory_mib = static_cast<int64_t>(*memory);
  }
  return absl::OkStatus();
}

// Iterates the array member `key` of objects, calling `parse(item, item_path)`.
template <typename Parse>
absl::Status ForEachObject(const Json& object, std::string_view key, std::string_view prefix,
                           Parse parse) {
  const Json* value = Find(object, key);
  if (value == nullptr) {
    return absl::OkStatus();
  }
  if (!value->is_array()) {
    return WrongType(Path(prefix, key), "an array");
  }
  size_t index = 0;
  for (const Json& item : *value) {
    const std::string item_path = fmt::format("{}[{}]", Path(prefix, key), index++);
    if (!item.is_object()) {
      return WrongType(item_path, "an object");
    }
    if (absl::Status status = parse(item, item_path); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status ParseNetwork(const Json& json, std::string_view path, NetworkMetadata* out) {
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "NetworkMode", path, &out->network_mode));
  SIDECAR_RETURN_IF_ERROR(ReadStringArray(json, "IPv4Addresses", path, &out->ipv4_addresses));
  SIDECAR_RETURN_IF_ERROR(ReadStringArray(json, "IPv6Addresses", path, &out->ipv6_addresses));
  SIDECAR_RETURN_IF_ERROR(ReadInt(json, "AttachmentIndex", path, &out->attachment_index));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "MACAddress", path, &out->mac_address));
  SIDECAR_RETURN_IF_ERROR(
      ReadString(json, "IPv4SubnetCIDRBlock", path, &out->ipv4_subnet_cidr_block));
  SIDECAR_RETURN_IF_ERROR(
      ReadString(json, "SubnetGatewayIpv4Address", path, &out->subnet_gateway_ipv4_address));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "PrivateDNSName", path, &out->private_dns_name));
  SIDECAR_RETURN_IF_ERROR(
      ReadStringArray(json, "DomainNameServers", path, &out->domain_name_servers));
  SIDECAR_RETURN_IF_ERROR(
      ReadStringArray(json, "DomainNameSearchList", path, &out->domain_name_search_list));
  return absl::OkStatus();
}

absl::Status ParsePort(const Json& json, std::string_view path, PortMapping* out) {
  SIDECAR_RETURN_IF_ERROR(ReadInt(json, "ContainerPort", path, &out->container_port));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "Protocol", path, &out->protocol));
  SIDECAR_RETURN_IF_ERROR(ReadInt(json, "HostPort", path, &out->host_port));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "HostIp", path, &out->host_ip));
  return absl::OkStatus();
}

absl::Status ParseHealth(const Json& json, std::string_view prefix,
                         std::optional<HealthStatus>* out) {
  const Json* value = Find(json, "Health");
  if (value == nullptr) {
    return absl::OkStatus();
  }
  const std::string path = Path(prefix, "Health");
  if (!value->is_object()) {
    return WrongType(path, "an object");
  }
  HealthStatus health;
  SIDECAR_RETURN_IF_ERROR(ReadString(*value, "status", path, &health.status));
  SIDECAR_RETURN_IF_ERROR(ReadString(*value, "statusSince", path, &health.status_since));
  SIDECAR_RETURN_IF_ERROR(ReadInt(*value, "exitCode", path, &health.exit_code));
  SIDECAR_RETURN_IF_ERROR(ReadString(*value, "output", path, &health.output));
  *out = std::move(health);
  return absl::OkStatus();
}

ContainerType ToContainerType(std::string_view type) {
  if (type.empty()) {
    return ContainerType::kUnknown;
  }
  if (type == "NORMAL") {
    return ContainerType::kNormal;
  }
  if (type == "CNI_PAUSE") {
    return ContainerType::kCniPause;
  }
  return ContainerType::kOther;
}

LaunchType ToLaunchType(std::string_view launch_type) {
  if (launch_type.empty()) {
    return LaunchType::kUnknown;
  }
  // The Agent upper-cases before comparing (ParseV4Task).
  std::string upper(launch_type);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  if (upper == "FARGATE") {
    return LaunchType::kFargate;
  }
  if (upper == "EC2") {
    return LaunchType::kEc2;
  }
  return LaunchType::kOther;
}

absl::Status ParseContainer(const Json& json, std::string_view path, ContainerMetadata* out) {
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "DockerId", path, &out->docker_id));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "Name", path, &out->name));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "DockerName", path, &out->docker_name));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "Image", path, &out->image));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "ImageID", path, &out->image_id));
  SIDECAR_RETURN_IF_ERROR(ReadStringMap(json, "Labels", path, &out->labels));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "DesiredStatus", path, &out->desired_status));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "KnownStatus", path, &out->known_status));
  SIDECAR_RETURN_IF_ERROR(ReadInt(json, "ExitCode", path, &out->exit_code));
  SIDECAR_RETURN_IF_ERROR(ReadLimits(json, path, &out->limits));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "CreatedAt", path, &out->created_at));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "StartedAt", path, &out->started_at));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "FinishedAt", path, &out->finished_at));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "Type", path, &out->type_name));
  out->type = ToContainerType(out->type_name);
  const auto add_network = [out](const Json& item, std::string_view item_path) {
    NetworkMetadata network;
    SIDECAR_RETURN_IF_ERROR(ParseNetwork(item, item_path, &network));
    out->networks.push_back(std::move(network));
    return absl::OkStatus();
  };
  SIDECAR_RETURN_IF_ERROR(ForEachObject(json, "Networks", path, add_network));
  const auto add_port = [out](const Json& item, std::string_view item_path) {
    PortMapping port;
    SIDECAR_RETURN_IF_ERROR(ParsePort(item, item_path, &port));
    out->ports.push_back(std::move(port));
    return absl::OkStatus();
  };
  SIDECAR_RETURN_IF_ERROR(ForEachObject(json, "Ports", path, add_port));
  SIDECAR_RETURN_IF_ERROR(ParseHealth(json, path, &out->health));
  SIDECAR_RETURN_IF_ERROR(ReadInt(json, "RestartCount", path, &out->restart_count));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "ContainerARN", path, &out->container_arn));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "LogDriver", path, &out->log_driver));
  SIDECAR_RETURN_IF_ERROR(ReadStringMap(json, "LogOptions", path, &out->log_options));
  return absl::OkStatus();
}

absl::Status ParseEphemeralStorage(const Json& json, std::optional<EphemeralStorageMetrics>* out) {
  const Json* value = Find(json, "EphemeralStorageMetrics");
  if (value == nullptr) {
    return absl::OkStatus();
  }
  if (!value->is_object()) {
    return WrongType("EphemeralStorageMetrics", "an object");
  }
  EphemeralStorageMetrics metrics;
  SIDECAR_RETURN_IF_ERROR(
      ReadInt(*value, "Utilized", "EphemeralStorageMetrics", &metrics.utilized_mib));
  SIDECAR_RETURN_IF_ERROR(
      ReadInt(*value, "Reserved", "EphemeralStorageMetrics", &metrics.reserved_mib));
  *out = metrics;
  return absl::OkStatus();
}

absl::Status ParseTask(const Json& json, TaskMetadata* out) {
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "Cluster", "", &out->cluster));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "TaskARN", "", &out->task_arn));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "Family", "", &out->family));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "Revision", "", &out->revision));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "DesiredStatus", "", &out->desired_status));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "KnownStatus", "", &out->known_status));
  SIDECAR_RETURN_IF_ERROR(ReadLimits(json, "", &out->limits));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "PullStartedAt", "", &out->pull_started_at));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "PullStoppedAt", "", &out->pull_stopped_at));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "ExecutionStoppedAt", "", &out->execution_stopped_at));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "AvailabilityZone", "", &out->availability_zone));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "AvailabilityZoneID", "", &out->availability_zone_id));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "LaunchType", "", &out->launch_type_name));
  out->launch_type = ToLaunchType(out->launch_type_name);
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "ServiceName", "", &out->service_name));
  SIDECAR_RETURN_IF_ERROR(ReadString(json, "VPCID", "", &out->vpc_id));
  SIDECAR_RETURN_IF_ERROR(ParseEphemeralStorage(json, &out->ephemeral_storage));
  SIDECAR_RETURN_IF_ERROR(ReadStringMap(json, "TaskTags", "", &out->task_tags));
  SIDECAR_RETURN_IF_ERROR(
      ReadStringMap(json, "ContainerInstanceTags", "", &out->container_instance_tags));
  const auto add_container = [out](const Json& item, std::string_view item_path) {
    ContainerMetadata container;
    SIDECAR_RETURN_IF_ERROR(ParseContainer(item, item_path, &container));
    out->containers.push_back(std::move(container));
    return absl::OkStatus();
  };
  SIDECAR_RETURN_IF_ERROR(ForEachObject(json, "Containers", "", add_container));
  return absl::OkStatus();
}

// Nesting depth of `text` outside strings, stopping early past `limit`. Lets us refuse deeply
// nested input before nlohmann builds (and later destroys) a tree for it.
int NestingDepth(std::string_view text, int limit) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        max_depth = depth;
        if (max_depth > limit) {
          return max_depth;
        }
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

// The document as a JSON object, or InvalidArgument naming `what`.
absl::StatusOr<Json> ParseObject(std::string_view text, std::string_view what) {
  if (text.size() > kMaxMetadataDocumentBytes) {
    return absl::InvalidArgumentError(fmt::format("ECS {} document of {} bytes exceeds {} bytes",
                                                  what, text.size(), kMaxMetadataDocumentBytes));
  }
  if (NestingDepth(text, kMaxMetadataDocumentDepth) > kMaxMetadataDocumentDepth) {
    return absl::InvalidArgumentError(fmt::format("ECS {} document nests deeper than {} levels",
                                                  what, kMaxMetadataDocumentDepth));
  }
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(fmt::format("ECS {} document is not valid JSON", what));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(fmt::format("ECS {} document is not a JSON object", what));
  }
  return json;
}

std::string_view AfterLastSlash(std::string_view text) {
  const size_t slash = text.rfind('/');
  return slash == std::string_view::npos ? text : text.substr(slash + 1);
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

std::optional<ArnParts> ParseArn(std::string_view arn) {
  if (!arn.starts_with("arn:")) {
    return std::nullopt;
  }
  std::string_view fields[5];
  std::string_view rest = arn;
  for (std::string_view& field : fields) {
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    field = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  return ArnParts{.partition = std::string(fields[1]),
                  .service = std::string(fields[2]),
                  .region = std::string(fields[3]),
                  .account_id = std::string(fields[4]),
                  .resource = std::string(rest)};
}

RegionAndAccount ParseRegionAndAccount(std::string_view task_arn) {
  RegionAndAccount result;
  // The Agent splits on ':' and needs at least five parts; a resource part is not required.
  std::string_view parts[5];
  std::string_view rest = task_arn;
  for (int i = 0; i < 5; ++i) {
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
      if (i < 4) {
        return result;
      }
      parts[i] = rest;
      rest = {};
      break;
    }
    parts[i] = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  if (parts[0] != "arn" ||
      (parts[1] != "aws" && parts[1] != "aws-cn" && parts[1] != "aws-us-gov")) {
    return result;
  }
  result.partition = std::string(parts[1]);
  const std::string_view region = parts[3];
  if (std::count(region.begin(), region.end(), '-') >= 2) {
    result.region = std::string(region);
  }
  if (parts[4].size() == 12) {
    result.account_id = std::string(parts[4]);
  }
  return result;
}

std::string_view ShortClusterName(std::string_view cluster) { return AfterLastSlash(cluster); }

bool IsFargateDockerId(std::string_view id) {
  constexpr size_t kTaskIdLength = 32;
  if (id.size() < kTaskIdLength + 2 || id[kTaskIdLength] != '-') {
    return false;
  }
  for (size_t i = 0; i < kTaskIdLength; ++i) {
    if (!IsLowerHex(id[i])) {
      return false;
    }
  }
  for (size_t i = kTaskIdLength + 1; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') {
      return false;
    }
  }
  return true;
}

const ContainerMetadata* TaskMetadata::FindContainer(std::string_view docker_id) const {
  for (const ContainerMetadata& container : containers) {
    if (container.docker_id == docker_id) {
      return &container;
    }
  }
  return nullptr;
}

absl::StatusOr<TaskMetadata> ParseTaskDocument(std::string_view json) {
  absl::StatusOr<Json> document = ParseObject(json, "task metadata");
  if (!document.ok()) {
    return document.status();
  }
  TaskMetadata task;
  if (absl::Status status = ParseTask(*document, &task); !status.ok()) {
    return status;
  }
  if (task.task_arn.empty()) {
    return absl::InvalidArgumentError("ECS task metadata document has no TaskARN");
  }
  task.cluster_name = std::string(ShortClusterName(task.cluster));
  task.task_id = std::string(AfterLastSlash(task.task_arn));
  RegionAndAccount region_and_account = ParseRegionAndAccount(task.task_arn);
  task.partition = std::move(region_and_account.partition);
  task.region = std::move(region_and_account.region);
  task.account_id = std::move(region_and_account.account_id);
  return task;
}

absl::StatusOr<ContainerMetadata> ParseContainerDocument(std::string_view json) {
  absl::StatusOr<Json> document = ParseObject(json, "container metadata");
  if (!document.ok()) {
    return document.status();
  }
  ContainerMetadata container;
  if (absl::Status status = ParseContainer(*document, "", &container); !status.ok()) {
    return status;
  }
  if (container.docker_id.empty()) {
    return absl::InvalidArgumentError("ECS container metadata document has no DockerId");
  }
  return container;
}

LaunchType DetectLaunchType(const TaskMetadata& task) {
  if (task.launch_type != LaunchType::kUnknown) {
    return task.launch_type;
  }
  for (const ContainerMetadata& container : task.containers) {
    if (IsFargateDockerId(container.docker_id)) {
      return LaunchType::kFargate;
    }
  }
  return LaunchType::kUnknown;
}

std::string_view LaunchTypeName(LaunchType launch_type) {
  switch (launch_type) {
    case LaunchType::kFargate:
      return "FARGATE";
    case LaunchType::kEc2:
      return "EC2";
    case LaunchType::kOther:
      return "OTHER";
    case LaunchType::kUnknown:
      break;
  }
  return "UNKNOWN";
}

}  // namespace sidecar::container
