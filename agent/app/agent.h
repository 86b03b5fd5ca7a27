// Agent: builds the process from a FinalizedConfig and owns its lifecycle. Static wiring: the
// runtime threads, self-telemetry, the status server, the upstream forwarder and (as they land) the
// DogStatsD, APM and logs pipelines. Shutdown follows architecture.md: stop accepting, drain, flush
// every stage, let the forwarder deliver until the deadline, then report what was and was not sent.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/app/self_metrics.h"
#include "agent/app/settings.h"
#include "agent/common/asio.h"
#include "agent/common/clock.h"
#include "agent/common/snapshot.h"
#include "agent/config/agent_config.h"
#include "agent/forwarder/asio_forwarder.h"
#include "agent/forwarder/curl_http_client.h"
#include "agent/runtime/memory_account.h"
#include "agent/runtime/memory_account_telemetry.h"
#include "agent/runtime/memory_guard.h"
#include "agent/runtime/runtime.h"
#include "agent/status/status_server.h"
#include "agent/telemetry/registry.h"
#include "apm/apm_pipeline.h"
#include "container/asio_metadata_client.h"
#include "container/origin.h"
#include "container/tagger.h"
#include "container/task_stats_check.h"
#include "logs/logs_pipeline.h"
#include "statsd/enricher.h"
#include "statsd/statsd_pipeline.h"

namespace sidecar::app {

struct ShutdownSummary {
  bool clean =
      false;  // Everything accepted was delivered or deliberately dropped before the deadline.
  uint64_t transactions_sent = 0;
  uint64_t transactions_undelivered = 0;
  uint64_t bytes_undelivered = 0;
  // Written to the disk spill at stop (DD_FORWARDER_STORAGE_*): not lost, replayed at next start.
  uint64_t transactions_spilled = 0;
  std::chrono::milliseconds duration{0};
};

class Agent {
 public:
  static absl::StatusOr<std::unique_ptr<Agent>> Create(Settings settings);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Binds every enabled listener and starts the threads. An error names the port's variable.
  absl::Status Start();
  // Blocks until SIGTERM/SIGINT or RequestStop().
  void WaitForStopRequest();
  void RequestStop();
  // The ordered shutdown; idempotent.
  ShutdownSummary Shutdown();

  telemetry::Registry& Registry() { return registry_; }
  uint16_t StatusPort() const { return status_server_ ? status_server_->Port() : 0; }
  uint16_t DogstatsdPort() const { return statsd_ ? statsd_->UdpPort() : 0; }
  uint16_t ApmPort() const { return apm_ ? apm_->Port() : 0; }
  uint16_t LogsForwardPort() const { return logs_ ? logs_->ForwardPort() : 0; }

 private:
  explicit Agent(Settings settings);
  nlohmann::json StatusDetails() const;
  void StartMetadataClient();
  // The APM receiver and pipeline (trace intake).
  absl::Status StartApm();
  // The FireLens/TCP log receivers and pipeline (logs intake).
  absl::Status StartLogs();
  void OnTaskDocument(const std::string& task_json);
  void OnTaskStats(const absl::StatusOr<container::TaskStatsSample>& sample);
  void SubmitEncoded(statsd::EncodeResult encoded);
  // The Agent's own upstream metrics (self_metrics.h), on the egress thread.
  void StartSelfMetrics();
  // The one pool the buffers draw from (memory_account.h), sized from the budget.
  void CreateMemoryAccount();
  // A share's cap: `cap` under a memory limit, none (0) without one.
  uint64_t ShareCap(uint64_t cap) const;
  // Samples the resident size against the memory budget every 250 ms (memory_guard.h).
  void StartMemoryGuard();
  void SampleMemory();
  void SelfMetricsTick();

  Settings settings_;
  const config::FinalizedConfig& config_ = settings_.agent;
  telemetry::Registry registry_;
  common::SystemClock clock_;
  // Outlives everything that charges it: the forwarder and the pipelines below, and the runtime,
  // whose loops may still hold receive batches when they are destroyed.
  std::unique_ptr<runtime::MemoryAccount> memory_account_;
  std::unique_ptr<runtime::MemoryAccountTelemetry> memory_account_telemetry_;
  runtime::Runtime runtime_;
  std::unique_ptr<forwarder::CurlHttpClient> http_client_;
  std::unique_ptr<forwarder::AsioForwarder> forwarder_;
  common::Snapshot<container::TagStore> tag_snapshot_;
  container::TaggerOriginTags origin_tags_{tag_snapshot_, settings_.dogstatsd_cardinality};
  std::unique_ptr<container::AsioEcsMetadataClient> metadata_client_;
  std::unique_ptr<container::TaskStatsCheck> stats_check_;  // Egress thread only.
  mutable std::mutex task_summary_mutex_;
  nlohmann::json task_summary_;  // For /status; guarded by task_summary_mutex_.
  std::unique_ptr<statsd::StatsdPipeline> statsd_;
  std::unique_ptr<apm::ApmPipeline> apm_;
  common::Snapshot<logs::MappingSnapshot> logs_mapping_;
  std::unique_ptr<logs::LogsPipeline> logs_;
  std::unique_ptr<status::StatusServer> status_server_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::chrono::steady_clock::time_point started_at_;
  std::unique_ptr<runtime::MemoryGuard> memory_guard_;
  std::unique_ptr<boost::asio::steady_timer> memory_timer_;  // Egress thread only.
  // Egress thread only.
  std::unique_ptr<boost::asio::steady_timer> self_metrics_timer_;
  TraceAgentStatsdReporter trace_agent_reporter_;
  uint64_t self_metrics_ticks_ = 0;
  bool self_metrics_stopped_ = false;

  std::mutex stop_mutex_;
  std::condition_variable stop_requested_cv_;
  bool stop_requested_ = false;
  std::optional<ShutdownSummary> summary_;
};

}  // namespace sidecar::app
