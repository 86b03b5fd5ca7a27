// File: container/task_metadata.h
//
// The ECS Task Metadata Endpoint documents as value types (spec ../shared/spec/ecs-logs.md §A1.2):
// pure JSON -> struct, no I/O. One parser reads the v4 `/task` (and `/taskWithTags`) document and
// the v3 / v2 task documents, which have the same shape minus the v4-only fields (§A1.1: no
// `LaunchType`, `ServiceName`, `VPCID`, `ClockDrift`, `EphemeralStorageMetrics`, and containers
// without `LogDriver`/`LogOptions`/`ContainerARN`); those fields are then simply empty.
//
//   absl::StatusOr<TaskMetadata> task = ParseTaskDocument(body);   // GET ${URI_V4}/task
//   if (!task.ok()) { /* keep the previous snapshot; count the error */ }
//   LaunchType launch = DetectLaunchType(*task);
//
// Contract (untrusted input, style.md §2.7): never throws, never aborts. The document must be a
// JSON object of at most kMaxMetadataDocumentBytes and nesting depth kMaxMetadataDocumentDepth.
// Unknown fields are ignored and `null` counts as absent (as Go's encoding/json, which the ECS
// agent and the Datadog Agent use), but a known field of the wrong JSON type is an error naming
// its path (`Containers[1].Labels`), because Go's decoder fails the whole document in that case
// too. Strings are kept as sent (timestamps stay RFC 3339 text).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sidecar::container {

// Upper bound on a metadata document. A task with 10 containers is ~15 KiB.
inline constexpr size_t kMaxMetadataDocumentBytes = 4 * 1024 * 1024;
// Upper bound on JSON nesting (real documents nest 4 deep), checked before building the tree.
inline constexpr int kMaxMetadataDocumentDepth = 32;

// `LaunchType` (v4 only). kUnknown: field absent (v2/v3, or an EC2 agent older than 1.45).
enum class LaunchType { kUnknown, kFargate, kEc2, kOther };

// Container `Type`: `NORMAL` for task-definition containers, `CNI_PAUSE` for the EC2 awsvpc
// pause container, kOther for the other internal types, kUnknown when absent.
enum class ContainerType { kUnknown, kNormal, kCniPause, kOther };

// `Limits`. Task level: CPU in vCPU (may be fractional), Memory in MiB. Container level: CPU in
// CPU units (1024 = 1 vCPU), Memory in MiB (Fargate omits it when unset).
struct ResourceLimits {
  std::optional<double> cpu;
  std::optional<int64_t> memory_mib;
};

// One entry of a container's `Networks`.
struct NetworkMetadata {
  std::string network_mode;  // "awsvpc", "bridge", "host".
  std::vector<std::string> ipv4_addresses;
  std::vector<std::string> ipv6_addresses;
  std::optional<int64_t> attachment_index;
  std::string mac_address;
  std::string ipv4_subnet_cidr_block;
  std::string subnet_gateway_ipv4_address;
  std::string private_dns_name;
  std::vector<std::string> domain_name_servers;
  std::vector<std::string> domain_name_search_list;
};

// One entry of a container's `Ports`.
struct PortMapping {
  std::optional<int64_t> container_port;
  std::string protocol;
  std::optional<int64_t> host_port;
  std::string host_ip;
};

// A container's `Health` (present only with a container health check).
struct HealthStatus {
  std::string status;  // HEALTHY, UNHEALTHY, UNKNOWN.
  std::string status_since;
  std::optional<int64_t> exit_code;
  std::string output;
};

struct ContainerMetadata {
  // EC2: 64 hex. Fargate: `<32-hex task id>-<decimal>` (IsFargateDockerId).
  std::string docker_id;
  std::string name;         // Task-definition container name.
  std::string docker_name;  // EC2 `ecs-<family>-<rev>-<name>-<hash>`; Fargate: equals name.
  std::string image;        // As in the task definition (`repo/name:tag`, maybe `@sha256:`).
  std::string image_id;     // `sha256:...`; empty for the pause container.
  std::map<std::string, std::string> labels;  // Docker labels, ECS's and the user's.
  std::string desired_status;
  std::string known_status;  // NONE, PULLED, CREATED, RUNNING, RESOURCES_PROVISIONED, STOPPED...
  std::optional<int64_t> exit_code;
  ResourceLimits limits;
  std::string created_at;
  std::string started_at;
  std::string finished_at;
  ContainerType type = ContainerType::kUnknown;
  std::string type_name;  // `Type` as sent.
  std::vector<NetworkMetadata> networks;
  std::vector<PortMapping> ports;
  std::optional<HealthStatus> health;
  std::optional<int64_t> restart_count;
  // v4 only. With FireLens, log_driver is `awsfirelens` and log_options may hold a plain-text
  // `apikey`: never log them.
  std::string container_arn;
  std::string log_driver;
  std::map<std::string, std::string> log_options;
};

// Parts of an ARN `arn:<partition>:<service>:<region>:<account>:<resource>`.
struct ArnParts {
  std::string partition;
  std::string service;
  std::string region;
  std::string account_id;
  std::string resource;  // Everything after the fifth ':' (may contain ':' and '/').
};

// Splits an ARN; nullopt unless it starts with "arn:" and has at least six ':'-separated parts.
std::optional<ArnParts> ParseArn(std::string_view arn);

// Region and account of a task, the Agent's rules (spec §A2.1 step 2, conformance A2-3): the
// partition must be `aws`, `aws-cn` or `aws-us-gov`; the region is kept only if it has at least
// two dashes, the account only if it is exactly 12 characters (kept as text: leading zeros stay).
struct RegionAndAccount {
  std::string partition;  // Empty when the ARN or partition is not accepted.
  std::string region;
  std::string account_id;
};
RegionAndAccount ParseRegionAndAccount(std::string_view task_arn);

// Text after the last '/' (`arn:...:cluster/name` -> `name`, `default` -> `default`). Spec §A1.2.
std::string_view ShortClusterName(std::string_view cluster);

// True for the Fargate DockerId form `<32 lowercase hex>-<one or more digits>` (spec §A1.2).
bool IsFargateDockerId(std::string_view id);

struct EphemeralStorageMetrics {
  std::optional<int64_t> utilized_mib;
  std::optional<int64_t> reserved_mib;
};

struct TaskMetadata {
  std::string cluster;       // `Cluster` as given: full ARN on Fargate, short name on EC2.
  std::string cluster_name;  // Derived: ShortClusterName(cluster).
  std::string task_arn;
  std::string task_id;  // Derived: text after the last '/' of task_arn.
  std::string family;
  std::string revision;  // A string in the document.
  std::string desired_status;
  std::string known_status;  // May be NONE on early reads (spec §A1.4); not an error.
  ResourceLimits limits;
  std::string pull_started_at;
  std::string pull_stopped_at;
  std::string execution_stopped_at;
  std::string availability_zone;
  std::string availability_zone_id;
  LaunchType launch_type = LaunchType::kUnknown;
  std::string launch_type_name;  // `LaunchType` as sent.
  std::string service_name;
  std::string vpc_id;
  // Derived from task_arn by ParseRegionAndAccount.
  std::string partition;
  std::string region;
  std::string account_id;
  std::optional<EphemeralStorageMetrics> ephemeral_storage;
  // `/taskWithTags` on EC2 only.
  std::map<std::string, std::string> task_tags;
  std::map<std::string, std::string> container_instance_tags;
  std::vector<ContainerMetadata> containers;

  // The container with this DockerId, or null.
  const ContainerMetadata* FindContainer(std::string_view docker_id) const;
};

// `GET ${ECS_CONTAINER_METADATA_URI_V4}/task` (also `/taskWithTags`, v3 `/task`, v2
// `/v2/metadata`). InvalidArgument when the body is too large, too deep, not JSON, not an object,
// has a known field of the wrong type, or lacks a `TaskARN` string.
absl::StatusOr<TaskMetadata> ParseTaskDocument(std::string_view json);

// `GET ${ECS_CONTAINER_METADATA_URI_V4}` (the calling container; v3 and v2 per-container documents
// too). InvalidArgument as above, or when `DockerId` is missing.
absl::StatusOr<ContainerMetadata> ParseContainerDocument(std::string_view json);

// The launch type to tag with: `LaunchType` when the document has it, else kFargate when a
// container has a Fargate-form DockerId (v2/v3 documents on Fargate), else kUnknown.
LaunchType DetectLaunchType(const TaskMetadata& task);

std::string_view LaunchTypeName(LaunchType launch_type);

}  // namespace sidecar::container
