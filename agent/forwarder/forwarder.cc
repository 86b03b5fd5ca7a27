#include "agent/forwarder/forwarder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "agent/common/version.h"
#include "agent/forwarder/log.h"
#include "agent/forwarder/retry_classifier.h"

namespace sidecar::forwarder {
namespace {

size_t IntakeIndex(Intake intake) { return static_cast<size_t>(intake); }

std::string_view ErrorType(const absl::Status& transport_error) {
  switch (transport_error.code()) {
    case absl::StatusCode::kDeadlineExceeded:
      return "timeout";
    case absl::StatusCode::kUnavailable:
      return "connection";
    case absl::StatusCode::kCancelled:
      return "cancelled";
    default:
      break;
  }
  return "transport";
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  // This abseil build's string_view is not std::string_view.
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()),
                                absl::string_view(b.data(), b.size()));
}

bool HasHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Forwarder::Forwarder(ForwarderOptions options, HttpClient& client, const common::Clock& clock,
                     telemetry::Registry& registry, UniformSource uniform)
    : options_(std::move(options)),
      client_(client),
      clock_(clock),
      stats_(registry),
      logger_(ForwarderLogger()),
      backoff_(options_.backoff, std::move(uniform)),
      breaker_(backoff_, clock_),
      retry_queue_(options_.retry_queue_max_bytes, options_.retry_queue_share),
      next_retry_(clock.SteadyNow() + options_.retry_interval) {
  for (Intake intake : {Intake::kMetrics, Intake::kTraces, Intake::kLogs}) {
    for (const Endpoint& endpoint : options_.endpoints.For(intake)) {
      endpoint_states_[IntakeIndex(intake)].push_back(
          EndpointState{EndpointHost(endpoint.base_url), 0, {}});
    }
  }
  if (options_.spill) {
    absl::StatusOr<std::unique_ptr<TransactionSpill>> spill =
        TransactionSpill::Open(*options_.spill, options_.endpoints, clock_, registry);
    if (spill.ok()) {
      spill_ = std::move(*spill);
      if (!spill_->empty()) {
        logger_->info(
            "Found transactions spilled to disk by a previous run; replaying them. files={} "
            "bytes={} path={}",
            spill_->Files(), spill_->BytesOnDisk(), spill_->directory());
      }
    } else {
      // As the Agent: a storage that cannot be used must not stop the forwarder.
      logger_->error(
          "Cannot use the forwarder storage; retry-queue overflow will be dropped. error=\"{}\" "
          "path={}",
          std::string(spill.status().message()), options_.spill->directory);
    }
  }
}

Forwarder::~Forwarder() {
  for (auto& states : endpoint_states_) {
    for (EndpointState& state : states) {
      for (const Transaction& transaction : state.pending) {
        ReleasePending(transaction);
      }
    }
  }
}

void Forwarder::ReleasePending(const Transaction& transaction) {
  if (options_.pending_share != nullptr) {
    options_.pending_share->Release(transaction.Bytes());
  }
}

Forwarder::EndpointState& Forwarder::StateFor(const Transaction& transaction) {
  return endpoint_states_[IntakeIndex(transaction.payload->intake)][transaction.endpoint_index];
}

const Endpoint& Forwarder::EndpointFor(const Transaction& transaction) const {
  return options_.endpoints.For(transaction.payload->intake)[transaction.endpoint_index];
}

std::chrono::milliseconds Forwarder::TimeoutFor(Intake intake) const {
  switch (intake) {
    case Intake::kTraces:
      return options_.traces_timeout;
    case Intake::kLogs:
      return options_.logs_timeout;
    case Intake::kMetrics:
      break;
  }
  return options_.metrics_timeout;
}

telemetry::Tags Forwarder::BaseTags(const Transaction& transaction) {
  return {{"endpoint", StateFor(transaction).host},
          {"intake", std::string(IntakeName(transaction.payload->intake))},
          {"kind", transaction.payload->kind}};
}

void Forwarder::Submit(Payload payload) {
  const std::vector<Endpoint>& endpoints = options_.endpoints.For(payload.intake);
  if (endpoints.empty()) {
    telemetry::Tags tags{{"intake", std::string(IntakeName(payload.intake))},
                         {"kind", payload.kind},
                         {"reason", std::string(kReasonNoEndpoint)}};
    stats_.Counter(kTransactionsDropped, tags).Add();
    stats_.Counter(kItemsDropped, tags).Add(payload.item_count);
    return;
  }
  auto shared = std::make_shared<const Payload>(std::move(payload));
  for (size_t i = 0; i < endpoints.size(); ++i) {
    Transaction transaction{shared, i, endpoints[i].base_url + shared->route, next_sequence_++, 0};
    transaction.created = clock_.SystemNow();
    stats_.Counter(kTransactionsCreated, BaseTags(transaction)).Add();
    Dispatch(std::move(transaction));
  }
}

void Forwarder::Dispatch(Transaction transaction) {
  if (shutting_down_) {
    if (clock_.SteadyNow() < shutdown_deadline_) {
      Send(std::move(transaction));
    } else {
      Abandon(transaction);
    }
    return;
  }
  EndpointState& state = StateFor(transaction);
  if (state.in_flight >= options_.max_in_flight_per_endpoint) {
    // Waiting transactions hold their payload like the retry queue does, so they draw on the
    // memory pool too; without room they wait in the retry queue, which evicts to make it.
    if (state.pending.size() < options_.max_pending_per_endpoint &&
        (options_.pending_share == nullptr ||
         options_.pending_share->TryCharge(transaction.Bytes()))) {
      state.pending.push_back(std::move(transaction));
    } else {
      Enqueue(std::move(transaction));
    }
    return;
  }
  if (!breaker_.AllowSend(transaction.url)) {
    Enqueue(std::move(transaction));
    return;
  }
  Send(std::move(transaction));
}

HttpRequest Forwarder::BuildRequest(const Transaction& transaction) const {
  const Payload& payload = *transaction.payload;
  HttpRequest request;
  request.method = "POST";
  request.url = transaction.url;
  Headers& headers = request.headers;
  headers.emplace_back("DD-API-KEY", EndpointFor(transaction).api_key);
  // Per-payload headers may replace these defaults (the trace writer has its own User-Agent).
  auto add_default = [&](std::string_view name, std::string_view value) {
    if (!value.empty() && !HasHeader(payload.extra_headers, name)) {
      headers.emplace_back(std::string(name), std::string(value));
    }
  };
  add_default("User-Agent", common::kUserAgent);
  if (payload.intake == Intake::kMetrics) {
    add_default("DD-Agent-Version", common::kAgentCompatibleVersion);
  }
  add_default("Content-Type", payload.content_type);
  add_default("Content-Encoding", payload.content_encoding);
  for (const auto& [name, value] : payload.extra_headers) {
    if (!EqualsIgnoreCase(name, "DD-API-KEY")) {  // The key always comes from the endpoint.
      headers.emplace_back(name, value);
    }
  }
  request.body = payload.body;
  return request;
}

void Forwarder::Send(Transaction transaction) {
  EndpointState& state = StateFor(transaction);
  ++transaction.attempts;
  ++state.in_flight;
  ++in_flight_total_;
  in_flight_bytes_ += transaction.Bytes();
  stats_.in_flight().Set(in_flight_total_);
  HttpRequest request = BuildRequest(transaction);
  const auto deadline = clock_.SteadyNow() + TimeoutFor(transaction.payload->intake);
  client_.Send(std::move(request), deadline,
               [this, alive = std::weak_ptr<bool>(alive_),
                transaction = std::move(transaction)](HttpResult result) mutable {
                 if (alive.expired()) {
                   return;
                 }
                 OnDone(std::move(transaction), result);
               });
}

void Forwarder::OnDone(Transaction transaction, const HttpResult& result) {
  EndpointState& state = StateFor(transaction);
  --state.in_flight;
  --in_flight_total_;
  in_flight_bytes_ -= transaction.Bytes();
  stats_.in_flight().Set(in_flight_total_);

  const Outcome outcome = Classify(transaction.payload->intake, result);
  if (outcome != Outcome::kSuccess) {
    telemetry::Tags tags{{"endpoint", state.host},
                         {"intake", std::string(IntakeName(transaction.payload->intake))}};
    if (result.IsTransportError()) {
      tags.emplace_back("error_type", std::string(ErrorType(result.transport_error)));
    } else {
      tags.emplace_back("status", std::to_string(result.response.status));
    }
    stats_.Counter(kHttpErrors, tags).Add();
  }

  switch (outcome) {
    case Outcome::kSuccess:
      breaker_.RecordSuccess(transaction.url);
      stats_.Counter(kTransactionsSuccess, BaseTags(transaction)).Add();
      stats_.Counter(kBytesSent, BaseTags(transaction)).Add(transaction.Bytes());
      ++transactions_sent_;
      break;
    case Outcome::kDrop: {
      // A rejection proves the intake is reachable: the Agent treats it as a breaker success.
      breaker_.RecordSuccess(transaction.url);
      const int status = result.response.status;
      Drop(transaction, std::to_string(status));
      if (ShouldLog("drop:" + std::to_string(status))) {
        logger_->error(
            "Intake rejected a transaction; dropped it without retry: {}. status={} intake={} "
            "kind={} endpoint={} items={}",
            DropHint(status), status, IntakeName(transaction.payload->intake),
            transaction.payload->kind, state.host, transaction.payload->item_count);
      }
      break;
    }
    case Outcome::kRetry:
      OnRetryOutcome(std::move(transaction), result);
      break;
  }
  PumpPending(state);
  MaybeNotifyIdle();
}

void Forwarder::OnRetryOutcome(Transaction transaction, const HttpResult& result) {
  breaker_.RecordError(transaction.url);
  if (shutting_down_) {
    Abandon(transaction);
    return;
  }
  const std::string& host = StateFor(transaction).host;
  const std::string_view intake = IntakeName(transaction.payload->intake);
  const std::string log_key = result.IsTransportError()
                                  ? "retry:" + std::string(ErrorType(result.transport_error))
                                  : "retry:" + std::to_string(result.response.status);
  if (ShouldLog(log_key)) {
    if (result.IsTransportError()) {
      logger_->warn("Intake request failed; will retry. error=\"{}\" intake={} endpoint={}",
                    std::string(result.transport_error.message()), intake, host);
    } else {
      logger_->warn("Intake request failed; will retry: {}. status={} intake={} endpoint={}",
                    DropHint(result.response.status), result.response.status, intake, host);
    }
  }
  if (transaction.payload->intake == Intake::kTraces &&
      transaction.attempts > options_.traces_max_retries) {
    Drop(transaction, kReasonRetriesExhausted);
    if (ShouldLog("retries_exhausted")) {
      logger_->error("Dropped a trace payload after {} attempts. endpoint={} items={}",
                     transaction.attempts, host, transaction.payload->item_count);
    }
    return;
  }
  stats_.Counter(kTransactionsRetried, BaseTags(transaction)).Add();
  Enqueue(std::move(transaction));
}

void Forwarder::PumpPending(EndpointState& state) {
  while (!state.pending.empty() && state.in_flight < options_.max_in_flight_per_endpoint) {
    Transaction transaction = std::move(state.pending.front());
    state.pending.pop_front();
    ReleasePending(transaction);
    if (shutting_down_ || breaker_.AllowSend(transaction.url)) {
      Send(std::move(transaction));
    } else {
      Enqueue(std::move(transaction));
    }
  }
}

void Forwarder::Tick() {
  if (shutting_down_) {
    return;
  }
  const auto now = clock_.SteadyNow();
  if (now < next_retry_) {
    return;
  }
  next_retry_ = now + options_.retry_interval;
  RetryQueued();
}

void Forwarder::RetryQueued() {
  // Disk comes back only once memory is drained, as in the Agent: the in-memory queue holds the
  // newer data, and loading earlier would only push it back out to disk.
  if (spill_ != nullptr && retry_queue_.empty()) {
    ReplaySpill();
  }
  // Newest and high priority first, so after an outage fresh data goes before stale data.
  for (Transaction& transaction : retry_queue_.TakeAll()) {
    EndpointState& state = StateFor(transaction);
    if (state.in_flight < options_.max_in_flight_per_endpoint &&
        breaker_.AllowSend(transaction.url)) {
      Send(std::move(transaction));
    } else {
      Enqueue(std::move(transaction));
    }
  }
  UpdateQueueGauge();
}

void Forwarder::Enqueue(Transaction transaction) {
  std::vector<Transaction> evicted = retry_queue_.Add(std::move(transaction));
  if (!evicted.empty() && SpillEvicted(evicted)) {
    UpdateQueueGauge();
    return;
  }
  for (const Transaction& dropped : evicted) {
    Drop(dropped, kReasonRetryQueueFull);
  }
  if (!evicted.empty() && ShouldLog("retry_queue_full")) {
    logger_->error(
        "Retry queue full; dropped the oldest, lowest-priority transactions. dropped={} "
        "queue_bytes={} max_bytes={}",
        evicted.size(), retry_queue_.Bytes(), options_.retry_queue_max_bytes);
  }
  UpdateQueueGauge();
}

bool Forwarder::SpillEvicted(std::vector<Transaction>& evicted) {
  if (spill_ == nullptr) {
    return false;
  }
  // Down to half the budget at once (the Agent's forwarder_flush_to_disk_mem_ratio, 0.5): an
  // outage then writes a few large files instead of one per overflowing transaction.
  const size_t half = options_.retry_queue_max_bytes / 2;
  std::vector<Transaction> extra;
  if (retry_queue_.Bytes() > half) {
    extra = retry_queue_.TakeOldest(retry_queue_.Bytes() - half);
  }
  std::vector<Transaction> batch = evicted;
  batch.insert(batch.end(), extra.begin(), extra.end());
  const absl::Status status = spill_->Store(std::move(batch));
  if (status.ok()) {
    if (ShouldLog("spill_stored")) {
      logger_->warn(
          "Retry queue full; wrote the oldest transactions to disk. transactions={} "
          "bytes_on_disk={} path={}",
          evicted.size() + extra.size(), spill_->BytesOnDisk(), spill_->directory());
    }
    return true;
  }
  if (ShouldLog("spill_failed")) {
    logger_->error(
        "Retry queue full and the disk spill failed; dropping the oldest transactions. "
        "error=\"{}\" path={}",
        std::string(status.message()), spill_->directory());
  }
  // Only the overflow is lost; what was taken to fill the batch goes back.
  for (Transaction& transaction : extra) {
    for (Transaction& dropped : retry_queue_.Add(std::move(transaction))) {
      evicted.push_back(std::move(dropped));
    }
  }
  spill_->CountDropped(TransactionSpill::RefusalReason(status), evicted.size());
  return false;
}

void Forwarder::ReplaySpill() {
  // Half the budget, so fresh failures still have room before anything spills again.
  std::vector<Transaction> loaded =
      spill_->Load(std::max<uint64_t>(options_.retry_queue_max_bytes / 2, 1));
  for (Transaction& transaction : loaded) {
    transaction.sequence = next_sequence_++;  // Sequences are per process; keep file order.
    Enqueue(std::move(transaction));
  }
}

void Forwarder::Drop(const Transaction& transaction, std::string_view reason) {
  telemetry::Tags tags = BaseTags(transaction);
  tags.emplace_back("reason", std::string(reason));
  stats_.Counter(kTransactionsDropped, tags).Add();
  stats_.Counter(kItemsDropped, tags).Add(transaction.payload->item_count);
}

void Forwarder::Abandon(const Transaction& transaction) {
  if (spill_ != nullptr) {
    const absl::Status status = spill_->Store({transaction});
    if (status.ok()) {
      ++spilled_at_stop_;  // Safe on disk: the next start sends it.
      return;
    }
    spill_->CountDropped(TransactionSpill::RefusalReason(status), 1);
  }
  ++failed_at_stop_;
  bytes_failed_at_stop_ += transaction.Bytes();
  Drop(transaction, kReasonShutdown);
}

bool Forwarder::ShouldLog(const std::string& key) {
  const auto now = clock_.SteadyNow();
  auto [it, inserted] = last_logged_.try_emplace(key, now);
  if (inserted) {
    return true;
  }
  if (now - it->second < options_.log_interval) {
    return false;
  }
  it->second = now;
  return true;
}

void Forwarder::UpdateQueueGauge() {
  stats_.retry_queue_bytes().Set(static_cast<int64_t>(retry_queue_.Bytes()));
}

void Forwarder::BeginShutdown(std::chrono::steady_clock::time_point deadline) {
  shutting_down_ = true;
  shutdown_deadline_ = deadline;
  std::vector<Transaction> queued = retry_queue_.TakeAll();
  if (spill_ != nullptr) {
    // The Agent flushes its retry queue to disk on stop. Targets still blocked go there at once
    // (one more attempt would likely fail and cost the deadline); the rest get their last
    // attempt, and what fails is spilled by Abandon().
    std::vector<Transaction> blocked;
    std::vector<Transaction> usable;
    for (Transaction& transaction : queued) {
      (breaker_.WouldAllow(transaction.url) ? usable : blocked).push_back(std::move(transaction));
    }
    const size_t count = blocked.size();
    if (absl::Status status = spill_->Store(blocked); status.ok()) {
      spilled_at_stop_ += count;
    } else {
      usable.insert(usable.end(), blocked.begin(), blocked.end());
    }
    queued = std::move(usable);
  }
  for (auto& states : endpoint_states_) {
    for (EndpointState& state : states) {
      for (Transaction& transaction : state.pending) {
        ReleasePending(transaction);
        queued.push_back(std::move(transaction));
      }
      state.pending.clear();
    }
  }
  UpdateQueueGauge();
  // One last attempt each, regardless of breakers and in-flight caps: the process is about to
  // stop and the retry queue bounds how much this can be.
  for (Transaction& transaction : queued) {
    Dispatch(std::move(transaction));
  }
  MaybeNotifyIdle();
}

void Forwarder::NotifyWhenIdle(absl::AnyInvocable<void()> callback) {
  idle_callback_ = std::move(callback);
  MaybeNotifyIdle();
}

void Forwarder::MaybeNotifyIdle() {
  if (shutting_down_ && idle_callback_ && Idle()) {
    // Moved out first: the callback may destroy or re-arm this forwarder.
    absl::AnyInvocable<void()> callback = std::move(idle_callback_);
    idle_callback_ = nullptr;
    callback();
  }
}

bool Forwarder::Idle() const {
  if (in_flight_total_ != 0 || !retry_queue_.empty()) {
    return false;
  }
  for (const auto& states : endpoint_states_) {
    for (const EndpointState& state : states) {
      if (!state.pending.empty()) {
        return false;
      }
    }
  }
  return true;
}

ShutdownReport Forwarder::Report() const {
  ShutdownReport report;
  report.transactions_sent = transactions_sent_;
  report.transactions_failed_at_stop =
      failed_at_stop_ + static_cast<uint64_t>(in_flight_total_) + retry_queue_.size();
  report.bytes_undelivered = bytes_failed_at_stop_ + in_flight_bytes_ + retry_queue_.Bytes();
  report.transactions_spilled = spilled_at_stop_;
  for (const auto& states : endpoint_states_) {
    for (const EndpointState& state : states) {
      report.transactions_failed_at_stop += state.pending.size();
      for (const Transaction& transaction : state.pending) {
        report.bytes_undelivered += transaction.Bytes();
      }
    }
  }
  report.idle = Idle();
  return report;
}

}  // namespace sidecar::forwarder
