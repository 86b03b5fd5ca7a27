// LogsPipeline: the logs stages wired together (architecture.md): the Forward and TCP-line
// receivers on the ingress thread hand records to TryAccept; one strand on the compute pool runs
// multi-line aggregation, processing rules, FireLens mapping and batching; payloads go to the
// forwarder. Backpressure instead of unbounded memory: TryAccept refuses (the receivers then stop
// acking and reading) while too many records wait for the strand or while the upstream retry
// queue is filling because the intake is down.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/common/asio.h"
#include "agent/common/clock.h"
#include "agent/common/snapshot.h"
#include "agent/forwarder/payload.h"
#include "agent/runtime/memory_account.h"
#include "agent/telemetry/registry.h"
#include "logs/forward_server.h"
#include "logs/line_server.h"
#include "logs/log_batcher.h"
#include "logs/log_sink.h"
#include "logs/logs_config.h"
#include "logs/processing_rules.h"
#include "logs/record_mapper.h"

namespace sidecar::logs {

struct LogsPipelineOptions {
  LogsConfig config;
  MapperOptions mapper;
  // Records accepted but not yet processed; past it TryAccept refuses.
  size_t max_pending_bytes = 8 * 1024 * 1024;
  // The same bytes charged to their share of the sidecar's memory pool
  // (agent/runtime/memory_account.h); a refused charge refuses the batch the same way. Null: none.
  runtime::MemoryShare* pending_share = nullptr;
};

class LogsPipeline final : public LogSink {
 public:
  using Submit = std::function<void(forwarder::Payload)>;
  // True while the intake cannot keep up (e.g. the forwarder's retry queue is half full).
  using Congested = std::function<bool()>;

  // `mapping` (the FireLens container table, published by the metadata poller) must outlive the
  // pipeline.
  static absl::StatusOr<std::unique_ptr<LogsPipeline>> Create(
      boost::asio::io_context& ingress, boost::asio::thread_pool& compute,
      LogsPipelineOptions options, const common::Snapshot<MappingSnapshot>& mapping, Submit submit,
      Congested congested, const common::Clock& clock, telemetry::Registry& registry);
  ~LogsPipeline() override;

  absl::Status Start();
  void StopReceivers();
  // Sends every pending record and batch; blocks until done.
  void FinalFlush();

  uint16_t ForwardPort() const { return forward_ ? forward_->tcp_port() : 0; }
  uint16_t LinePort() const { return lines_ ? lines_->tcp_port() : 0; }

  // LogSink (ingress thread).
  bool TryAccept(std::vector<LogRecord>& records) override;

 private:
  LogsPipeline(boost::asio::io_context& ingress, boost::asio::thread_pool& compute,
               LogsPipelineOptions options, const common::Snapshot<MappingSnapshot>& mapping,
               Submit submit, Congested congested, const common::Clock& clock,
               telemetry::Registry& registry, ProcessingRules rules);
  void Process(std::vector<LogRecord> records);
  void Emit(std::vector<LogRecord>& records);
  void ArmTimer();

  LogsPipelineOptions options_;
  const common::Snapshot<MappingSnapshot>& mapping_;
  Congested congested_;
  const common::Clock& clock_;
  boost::asio::strand<boost::asio::thread_pool::executor_type> strand_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;  // strand only
  std::atomic<size_t> pending_bytes_{0};
  std::atomic<bool> accepting_{true};

  ProcessingRules rules_;
  std::optional<MultiLineAggregator> multi_line_;
  RecordMapper mapper_;
  LogBatcher batcher_;
  std::unique_ptr<ForwardServer> forward_;
  std::unique_ptr<LineServer> lines_;

  telemetry::Counter& received_;
  telemetry::Counter& excluded_;
  telemetry::Counter& sent_;
  telemetry::Counter& refused_;
};

}  // namespace sidecar::logs
