#include "logs/logs_pipeline.h"

#include <future>
#include <utility>

#include "spdlog/spdlog.h"

namespace sidecar::logs {
namespace {

namespace asio = boost::asio;

constexpr auto kTickInterval = std::chrono::milliseconds(200);

size_t RecordBytes(const LogRecord& record) {
  return record.message.size() + record.tag.size() + 256;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LogsPipeline>> LogsPipeline::Create(
    asio::io_context& ingress, asio::thread_pool& compute, LogsPipelineOptions options,
    const common::Snapshot<MappingSnapshot>& mapping, Submit submit, Congested congested,
    const common::Clock& clock, telemetry::Registry& registry) {
  absl::StatusOr<ProcessingRules> rules =
      ProcessingRules::Create(options.config.processing_rules, options.config.max_message_bytes);
  if (!rules.ok()) {
    return rules.status();
  }
  std::unique_ptr<LogsPipeline> pipeline(
      new LogsPipeline(ingress, compute, std::move(options), mapping, std::move(submit),
                       std::move(congested), clock, registry, std::move(*rules)));
  for (const RuleSpec& spec : pipeline->options_.config.processing_rules) {
    if (spec.type != RuleType::kMultiLine) {
      continue;
    }
    MultiLineOptions multi_line;
    multi_line.pattern = spec.pattern;
    multi_line.flush_timeout = pipeline->options_.config.aggregation_timeout;
    multi_line.max_message_bytes = pipeline->options_.config.max_message_bytes;
    absl::StatusOr<MultiLineAggregator> aggregator = MultiLineAggregator::Create(multi_line);
    if (!aggregator.ok()) {
      return aggregator.status();
    }
    pipeline->multi_line_.emplace(std::move(*aggregator));
    break;  // One multi_line rule per source, as the Agent.
  }
  const LogsConfig& config = pipeline->options_.config;
  if (config.forward_port != 0 || !config.forward_socket.empty()) {
    ForwardServerOptions forward;
    if (config.forward_port != 0) {
      forward.tcp_port = config.forward_port;
    }
    forward.unix_path = config.forward_socket;
    forward.clock = &clock;
    pipeline->forward_ =
        std::make_unique<ForwardServer>(ingress.get_executor(), forward, *pipeline, registry);
  }
  if (config.tcp_port != 0) {
    LineServerOptions lines;
    lines.tcp_port = config.tcp_port;
    lines.clock = &clock;
    pipeline->lines_ =
        std::make_unique<LineServer>(ingress.get_executor(), lines, *pipeline, registry);
  }
  return pipeline;
}

LogsPipeline::LogsPipeline(asio::io_context& /*ingress*/, asio::thread_pool& compute,
                           LogsPipelineOptions options,
                           const common::Snapshot<MappingSnapshot>& mapping, Submit submit,
                           Congested congested, const common::Clock& clock,
                           telemetry::Registry& registry, ProcessingRules rules)
    : options_(std::move(options)),
      mapping_(mapping),
      congested_(std::move(congested)),
      clock_(clock),
      strand_(asio::make_strand(compute.get_executor())),
      timer_(strand_),
      rules_(std::move(rules)),
      mapper_(options_.mapper, [this] { return mapping_.Get(); }),
      batcher_(MakeBatcherOptions(options_.config), clock, std::move(submit)),
      received_(registry.GetCounter("logs.records_received")),
      excluded_(registry.GetCounter("logs.records_dropped", {{"reason", "processing_rule"}})),
      sent_(registry.GetCounter("logs.records_batched")),
      refused_(registry.GetCounter("logs.backpressure_refusals")) {}

LogsPipeline::~LogsPipeline() = default;

absl::Status LogsPipeline::Start() {
  if (forward_ != nullptr) {
    if (absl::Status started = forward_->Start(); !started.ok()) {
      return started;
    }
  }
  if (lines_ != nullptr) {
    if (absl::Status started = lines_->Start(); !started.ok()) {
      return started;
    }
  }
  asio::post(strand_, [this] { ArmTimer(); });
  return absl::OkStatus();
}

void LogsPipeline::StopReceivers() {
  if (forward_ != nullptr) forward_->Close();
  if (lines_ != nullptr) lines_->Close();
}

void LogsPipeline::FinalFlush() {
  accepting_.store(false);
  std::promise<void> done;
  asio::post(strand_, [this, &done] {
    stopped_ = true;
    timer_.cancel();
    std::vector<LogRecord> pending;
    if (multi_line_.has_value()) {
      multi_line_->FlushAll(pending);
    }
    Emit(pending);
    batcher_.Flush();
    done.set_value();
  });
  done.get_future().wait();
}

bool LogsPipeline::TryAccept(std::vector<LogRecord>& records) {
  size_t bytes = 0;
  for (const LogRecord& record : records) {
    bytes += RecordBytes(record);
  }
  // One batch is always admitted when nothing is pending, so a record larger than the budget
  // cannot wedge a connection forever.
  const size_t pending = pending_bytes_.load();
  if (!accepting_.load()) {
    return false;  // stopped: the receivers are closing and keep (or drop, counted) their records
  }
  if ((pending > 0 && pending + bytes > options_.max_pending_bytes) ||
      (congested_ && congested_())) {
    refused_.Add();
    return false;
  }
  // Like the count above, the pool admits one batch when this pipeline holds nothing.
  runtime::MemoryShare* share = options_.pending_share;
  if (share != nullptr && !share->TryCharge(bytes)) {
    if (pending > 0) {
      refused_.Add();
      return false;
    }
    share->ForceCharge(bytes);
  }
  pending_bytes_.fetch_add(bytes);
  received_.Add(records.size());
  asio::post(strand_, [this, batch = std::move(records), bytes, share]() mutable {
    Process(std::move(batch));
    pending_bytes_.fetch_sub(bytes);
    if (share != nullptr) {
      share->Release(bytes);
    }
  });
  records.clear();
  return true;
}

void LogsPipeline::Process(std::vector<LogRecord> records) {
  if (!multi_line_.has_value()) {
    Emit(records);
    return;
  }
  std::vector<LogRecord> complete;
  const auto now = clock_.SteadyNow();
  for (LogRecord& record : records) {
    multi_line_->Add(std::move(record), now, complete);
  }
  Emit(complete);
}

void LogsPipeline::Emit(std::vector<LogRecord>& records) {
  const std::shared_ptr<const MappingSnapshot> snapshot = mapping_.Get();
  for (LogRecord& record : records) {
    if (!rules_.Apply(record)) {
      excluded_.Add();
      continue;
    }
    mapper_.Map(record, snapshot.get());
    batcher_.Add(record);
    sent_.Add();
  }
}

void LogsPipeline::ArmTimer() {
  timer_.expires_after(kTickInterval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) {
      return;
    }
    if (multi_line_.has_value()) {
      std::vector<LogRecord> stale;
      multi_line_->FlushStale(clock_.SteadyNow(), stale);
      Emit(stale);
    }
    batcher_.Tick();
    ArmTimer();
  });
}

}  // namespace sidecar::logs
