// TaskStatsCheck: the `ecs_fargate` check (spec ecs-logs.md §A3) as a pure transformation.
// Documents in (the latest /task document and each /task/stats document), statsd::Serie and the
// `fargate_check` service check out; no I/O, no clock (the caller passes `now`), no logging.
// Single-threaded: the caller owns it on one thread.
//
// Per container of the stats map (tags: the container's tags from the callback + the check's
// compatibility copies + instance tags), timestamped with the document's `read` time:
//   gauges  ecs.fargate.cpu.percent, ecs.fargate.mem.{usage,max_usage,limit,cache,mapped_file,
//           rss,hierarchical_memory_limit,active_anon,active_file,inactive_file,
//           hierarchical_memsw_limit}, per interface (tag interface:<if>)
//           ecs.fargate.net.{rcvd_errors,sent_errors}, ecs.fargate.net.packet.{in,out}_dropped
//   rates   ecs.fargate.cpu.{usage,user,system}, ecs.fargate.mem.{pgpgin,pgpgout,pgmajfault,
//           pgfault}, ecs.fargate.io.bytes.{read,write}, ecs.fargate.io.ops.{read,write}, per
//           interface ecs.fargate.net.{bytes_rcvd,bytes_sent}
// Per container of the task document (Type NORMAL): ecs.fargate.cpu.limit (Limits.CPU > 0).
// Task level (task tags + compatibility copies + instance tags), timestamped `now`:
//   ecs.fargate.cpu.task.limit (vCPU x 1e9), ecs.fargate.mem.task.limit (MiB x 1024^2),
//   ecs.fargate.ephemeral_storage.{utilized,reserved} (MiB).
//
// Rates are per-second derivatives between two consecutive stats documents, over the difference
// of their `read` times (A3-2; the fetch times when `read` is missing); the first document of a
// container emits gauges only (A3-1), a counter that went down is dropped (reset), and equal
// `read` times (TMDS had not refreshed) emit no rate and keep the older sample. Every serie is
// SeriesType::kGauge: the Agent's check sampler also sends a check `rate` as a gauge.
//
// Skipped: `null` stats (A1-2, A3-4; counted), containers whose task-document Type is not NORMAL
// (the EC2 awsvpc pause container), memory values at or above Docker's "unlimited" sentinel
// 0x7FFFFFFFFFFFF000 = 9223372036854771712 (A3-3), block-I/O lists that are missing or not an
// array (Windows "None"), keys missing on cgroup v2 hosts. Network counters are per interface and
// not de-duplicated across containers (A3-5), although awsvpc containers share one ENI.
//
// EC2 awsvpc tasks get the same ecs.fargate.* names: the spec gives no separate EC2 names for this
// check (on EC2 the Agent's docker/container checks report docker.* / container.* instead), and one
// name set keeps dashboards working whichever launch type the sidecar runs on. Task metrics that
// need fields EC2 does not provide (task Limits without task-level size, EphemeralStorageMetrics)
// are simply absent there.
//
// Service check `fargate_check` (instance tags only): OK after a stats document was read; WARNING
// when it was not a JSON object or no usable task document (Cluster and Containers) is known yet;
// CRITICAL when the stats could not be fetched (RunFailed), with the error as message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "statsd/metric_types.h"

namespace sidecar::container {

inline constexpr std::string_view kFargateServiceCheck = "fargate_check";
// Docker's "no limit" value (page-rounded INT64_MAX): memory values >= this are not reported.
inline constexpr uint64_t kUnsetMemoryLimit = 0x7FFFFFFFFFFFF000ULL;

struct TaskStatsCheckOptions {
  // The check instance's `tags`: appended to every metric and to the service check.
  std::vector<std::string> instance_tags;
  // Serie.interval of every emitted serie (0 as for the Agent's check gauges).
  int64_t series_interval = 0;
};

// Tags for `container_id://<docker_id>` at high cardinality (the tagger's view); may be empty.
using ContainerTagsFn = std::function<std::vector<std::string>(std::string_view docker_id)>;
// The task-level (global entity) tags at high cardinality.
using TaskTagsFn = std::function<std::vector<std::string>()>;

struct TaskStatsCheckResult {
  std::vector<statsd::Serie> series;
  std::vector<statsd::ServiceCheckRecord> service_checks;
  int containers_reported = 0;  // Non-null stats entries turned into metrics.
  int null_stats = 0;           // Entries that were `null` (container not running).
  int skipped = 0;              // Non-NORMAL containers and entries that are not objects.
};

class TaskStatsCheck {
 public:
  TaskStatsCheck(TaskStatsCheckOptions options, ContainerTagsFn container_tags,
                 TaskTagsFn task_tags);
  ~TaskStatsCheck();
  TaskStatsCheck(const TaskStatsCheck&) = delete;
  TaskStatsCheck& operator=(const TaskStatsCheck&) = delete;
  TaskStatsCheck(TaskStatsCheck&&) noexcept;
  TaskStatsCheck& operator=(TaskStatsCheck&&) noexcept;

  // The latest /task document: task and container limits, container types, ephemeral storage.
  // InvalidArgument (and the previous document is kept) when it is not a JSON object.
  absl::Status SetTaskDocument(std::string_view task_json);

  // One /task/stats document. `now` timestamps task-level metrics, the service check, and the
  // container metrics whose `read` time is missing.
  TaskStatsCheckResult Run(std::string_view stats_json, std::chrono::system_clock::time_point now);

  // The stats could not be fetched: only the CRITICAL service check. Previous samples are kept, so
  // the next success computes rates over the longer interval.
  TaskStatsCheckResult RunFailed(const absl::Status& error,
                                 std::chrono::system_clock::time_point now) const;

 private:
  struct State;
  TaskStatsCheckOptions options_;
  ContainerTagsFn container_tags_;
  TaskTagsFn task_tags_;
  std::unique_ptr<State> state_;
};

namespace internal {
// RFC 3339 (nanosecond) time as Unix time; nullopt when unparseable or before 1970 (Docker's
// zero time "0001-01-01T00:00:00Z" for a first `preread`).
std::optional<std::chrono::nanoseconds> ParseRfc3339(std::string_view text);
// The check's compatibility copies (A2.2 "Compatibility tags"): task_family -> ecs_task_family,
// task_version -> ecs_task_version, cluster_name -> ecs_cluster, container_name -> docker_name.
std::vector<std::string> CompatibilityTags(const std::vector<std::string>& tags);
}  // namespace internal

}  // namespace sidecar::container
