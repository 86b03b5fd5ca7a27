// File: logs/record_mapper.h
//
// Fills a LogRecord's Datadog fields (status, service, ddsource, ddtags, hostname) the way the
// Fluent Bit `datadog` output with `provider ecs` and the Agent do (spec
// ../shared/spec/ecs-logs.md §B4.3 step 3, §B4.4, §B5.1):
//
//   RecordMapper mapper(options, [&] { return snapshot.Get(); });   // snapshot from the poller
//   mapper.Map(record);                                              // once per record
//
// Container: the Fluent tag `<container>-firelens-<task id>` names the task-definition container
// (else the record's `container_id` is looked up). Its FireLens options `dd_service`,
// `dd_source`, `dd_tags`, `dd_hostname` (the keys the Fluent Bit output reads) come first, then
// its Docker labels `com.datadoghq.tags.{service,env,version}`, then the sidecar's settings.
//
// ddtags, comma-joined, first value of a key wins for env/service/version and for the remapped
// keys, exact duplicates dropped: dd_tags option, the container's tags from the tagger, the
// `provider ecs` remap of the record's container_*/ecs_* fields, then the sidecar's unified
// service tags and DD_TAGS (architecture.md "Contract decisions": never two values for
// env/service/version). The record's fields stay as attributes (FireLens records contract).
//
// Status: the record's `level`, `status` or `severity` field, normalized like the intake's status
// remapper; else `error` for a stderr line (as the Agent does for container stderr), else `info`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "container/task_metadata.h"
#include "logs/log_record.h"

namespace sidecar::logs {

// What the mapper needs to know about one container of the task.
struct ContainerLogInfo {
  std::string name;       // Task-definition name (the FireLens tag prefix).
  std::string docker_id;  // DockerId (records' `container_id`).
  std::map<std::string, std::string> log_options;  // FireLens LogOptions (dd_service, ...).
  std::map<std::string, std::string> labels;       // Docker labels.
  std::vector<std::string> tags;                   // Tagger tags, task tags included.
};

// An immutable view of the task, rebuilt by the metadata poller and read once per batch.
struct MappingSnapshot {
  std::string task_id;
  std::vector<std::string> task_tags;  // For records of no known container.
  std::vector<ContainerLogInfo> containers;

  const ContainerLogInfo* FindByName(std::string_view name) const;
  const ContainerLogInfo* FindByDockerId(std::string_view docker_id) const;
};

// Tags of a container (by DockerId), or the task's tags for "". E.g. TagStore::ContainerTags at
// high cardinality (the Agent tags container logs at high cardinality).
using TagProvider = std::function<std::vector<std::string>(std::string_view docker_id)>;

std::shared_ptr<const MappingSnapshot> BuildMappingSnapshot(const container::TaskMetadata& task,
                                                            const TagProvider& tags);

struct MapperOptions {
  // The sidecar's DD_SERVICE, DD_ENV, DD_VERSION; empty = none.
  std::string service;
  std::string env;
  std::string version;
  // DD_TAGS (+ DD_EXTRA_TAGS), split into tags.
  std::vector<std::string> dd_tags;
  // Sent as `hostname`; "" on Fargate (B5-6: the task's identity is in the tags).
  std::string hostname;
};

class RecordMapper {
 public:
  using SnapshotSource = std::function<std::shared_ptr<const MappingSnapshot>()>;

  // `task_info` may return null (no metadata yet): then only the sidecar's settings apply.
  RecordMapper(MapperOptions options, SnapshotSource task_info);

  void Map(LogRecord& record) const;
  // Same, with a snapshot the caller already holds (one Get per batch).
  void Map(LogRecord& record, const MappingSnapshot* snapshot) const;

 private:
  MapperOptions options_;
  SnapshotSource task_info_;
};

// The container name of a FireLens tag `<name>-firelens-<task id>`; "" for other tags.
std::string_view FirelensContainerName(std::string_view tag);

// The status for a record: its level/status/severity field normalized, else by stream.
std::string StatusOf(const nlohmann::json& attributes);

// One level/status/severity value normalized to emergency, alert, critical, error, warn, notice,
// info, debug or ok (syslog numbers 0..7 too); "" when it names no known level.
std::string NormalizeStatus(std::string_view value);

// Fluent Bit `provider ecs` tags of a record's container_*/ecs_* fields.
std::vector<std::string> EcsRemapTags(const nlohmann::json& attributes);

}  // namespace sidecar::logs
