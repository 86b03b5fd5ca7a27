// ApmPipeline: the APM stages wired together. The receiver decodes on the compute pool; everything
// after it (processor, sampler, concentrator, writers) runs on one strand, driven by two timers:
// the trace writer's 5 s flush and the concentrator's 10 s flush (apm.md §6, §7). FinalFlush sends
// every buffered trace and every stats bucket, open ones included.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "agent/common/asio.h"
#include "agent/common/clock.h"
#include "agent/common/snapshot.h"
#include "agent/forwarder/payload.h"
#include "agent/telemetry/registry.h"
#include "apm/apm_config.h"
#include "apm/concentrator.h"
#include "apm/obfuscator.h"
#include "apm/processor.h"
#include "apm/receiver.h"
#include "apm/trace_sampler.h"
#include "apm/trace_writer.h"
#include "container/tagger.h"

namespace sidecar::apm {

struct ApmPipelineOptions {
  ApmConfig config;
  uint16_t statsd_port = 8125;  // for /info
  forwarder::CompressionKind compression = forwarder::CompressionKind::kZstd;
  int zstd_level = 1;
  // Receiver limits from the memory budget (agent/runtime/memory_budget.h).
  uint64_t max_inflight_bytes = 64ULL * 1024 * 1024;
  runtime::MemoryShare* inflight_share = nullptr;
  std::function<bool()> under_memory_pressure;
};

class ApmPipeline final : public TraceConsumer {
 public:
  using Submit = std::function<void(forwarder::Payload)>;
  // `tags` (may be null off ECS) must outlive the pipeline.
  static absl::StatusOr<std::unique_ptr<ApmPipeline>> Create(
      boost::asio::io_context& ingress, boost::asio::thread_pool& compute,
      ApmPipelineOptions options, const common::Snapshot<container::TagStore>* tags, Submit submit,
      const common::Clock& clock, telemetry::Registry& registry);
  ~ApmPipeline() override;

  // Binds the receiver and arms the flush timers.
  absl::Status Start();
  uint16_t Port() const { return receiver_ ? receiver_->Port() : 0; }
  // Stops accepting connections (shutdown step 1).
  void StopReceiver();
  // Flushes every writer and stats bucket; blocks until done (shutdown step 2).
  void FinalFlush();

  // TraceConsumer
  void ConsumeTraces(ArenaPayload payload, TracerInfo info, std::function<void()> done) override;
  absl::Status ConsumeClientStats(std::string_view body, const TracerInfo& info) override;
  std::shared_ptr<const RatesBody> Rates() const override;

 private:
  ApmPipeline(boost::asio::io_context& ingress, boost::asio::thread_pool& compute,
              ApmPipelineOptions options, const common::Snapshot<container::TagStore>* tags,
              Submit submit, const common::Clock& clock, telemetry::Registry& registry);
  ContainerIdentity ResolveContainer(std::string_view raw_container_id) const;
  void ArmTraceTimer();
  void ArmStatsTimer();
  void FlushStats(bool force);
  void SubmitStats(const StatsPayload& stats);

  boost::asio::io_context& ingress_;
  boost::asio::thread_pool& compute_;
  ApmPipelineOptions options_;
  const common::Snapshot<container::TagStore>* tags_;
  Submit submit_;
  const common::Clock& clock_;
  telemetry::Registry& registry_;
  std::string default_env_;
  boost::asio::strand<boost::asio::thread_pool::executor_type> strand_;
  boost::asio::steady_timer trace_timer_;
  boost::asio::steady_timer stats_timer_;
  bool stopped_ = false;  // strand only

  std::unique_ptr<Obfuscator> obfuscator_;
  std::unique_ptr<TraceSampler> sampler_;
  std::unique_ptr<Concentrator> concentrator_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<TraceWriter> writer_;
  std::unique_ptr<Receiver> receiver_;
  telemetry::Counter& stats_payloads_;
};

}  // namespace sidecar::apm
