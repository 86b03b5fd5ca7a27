// Forwarder: turns Payloads into HTTP transactions and owns every retry decision (dd_out).
//
// Single-threaded core: every method, and every HttpClient completion, runs on one thread (the
// egress io_context; AsioForwarder adapts it). Time comes from the injected Clock and Tick() is
// driven from outside, so tests step it with a ManualClock and FakeHttpClient, no sleeping.
//
// Flow per payload: one Transaction per endpoint of its intake (dual shipping) -> sent at once
// when the target's circuit breaker allows and the endpoint has fewer than
// max_in_flight_per_endpoint requests out; otherwise parked in a bounded pending queue (cap
// reached) or the byte-capped retry queue (target blocked). Completions are classified
// (retry_classifier.h): success, drop (logged with a hint), or retry (breaker error + retry
// queue, re-sent by Tick() every retry_interval once the target is usable again).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "agent/common/clock.h"
#include "agent/forwarder/backoff.h"
#include "agent/forwarder/circuit_breaker.h"
#include "agent/forwarder/endpoint.h"
#include "agent/forwarder/forwarder_stats.h"
#include "agent/forwarder/http_client.h"
#include "agent/forwarder/payload.h"
#include "agent/forwarder/retry_queue.h"
#include "agent/forwarder/transaction.h"
#include "agent/forwarder/transaction_spill.h"
#include "agent/telemetry/registry.h"

namespace spdlog {
class logger;
}

namespace sidecar::forwarder {

struct ForwarderOptions {
  IntakeEndpoints endpoints;
  // forwarder_retry_queue_payloads_max_size: queued retry bytes before the oldest are dropped.
  size_t retry_queue_max_bytes = RetryQueue::kDefaultMaxBytes;
  // The retry queue's share of the memory pool, or nullptr (only its own cap applies).
  runtime::MemoryShare* retry_queue_share = nullptr;
  // Transactions waiting for an in-flight slot are charged here (nullptr: not charged).
  runtime::MemoryShare* pending_share = nullptr;
  // forwarder_max_concurrent_requests: requests in flight per endpoint (base URL + key).
  int max_in_flight_per_endpoint = 10;
  // forwarder_high_prio_buffer_size: new transactions waiting for an in-flight slot per endpoint;
  // beyond it they go to the retry queue.
  size_t max_pending_per_endpoint = 100;
  // Per-request deadlines: forwarder_timeout (metrics), trace writer and logs http_timeout.
  std::chrono::milliseconds metrics_timeout{std::chrono::seconds(20)};
  std::chrono::milliseconds traces_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds logs_timeout{std::chrono::seconds(10)};
  // max_sender_retries for traces (apm.md §7); metrics and logs retry until the queue evicts.
  int traces_max_retries = 4;
  BackoffParams backoff;
  // How often Tick() re-sends queued transactions whose target is usable.
  std::chrono::milliseconds retry_interval{std::chrono::seconds(5)};
  // At most one log line per status (or error type) per interval for drops and retries.
  std::chrono::milliseconds log_interval{std::chrono::seconds(60)};
  // Disk spill (forwarder_storage_max_size_in_bytes > 0). When set, retry-queue overflow goes to
  // disk instead of being dropped, comes back once the queue is empty, and whatever is queued at
  // shutdown is written there for the next start. A spill that cannot be opened is logged and
  // the forwarder runs without one.
  std::optional<SpillOptions> spill;
};

// Outcome of a shutdown drain; "undelivered" counts everything dropped for the stop itself plus
// whatever is still in flight or queued when Report() is called.
struct ShutdownReport {
  uint64_t transactions_sent = 0;  // Successful transactions over the forwarder's lifetime.
  uint64_t transactions_failed_at_stop = 0;
  uint64_t bytes_undelivered = 0;
  // Written to the disk spill instead of being lost; the next start replays them. Not part of
  // transactions_failed_at_stop or bytes_undelivered.
  uint64_t transactions_spilled = 0;
  bool idle = false;  // Nothing left in flight or queued.
};

class Forwarder {
 public:
  // `client`, `clock` and `registry` must outlive the Forwarder. Completions that arrive after
  // the Forwarder is destroyed are ignored.
  Forwarder(ForwarderOptions options, HttpClient& client, const common::Clock& clock,
            telemetry::Registry& registry, UniformSource uniform);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Never blocks; a payload that cannot be queued is dropped and counted.
  void Submit(Payload payload);
  // Call about once a second; re-sends queued transactions every retry_interval.
  void Tick();

  // Sends everything queued right away, ignoring circuit breakers once; from now on a failed
  // request is not retried and nothing new is sent after `deadline`.
  void BeginShutdown(std::chrono::steady_clock::time_point deadline);
  bool Idle() const;
  ShutdownReport Report() const;
  // Runs `callback` once, as soon as the forwarder is idle after BeginShutdown() (right away if
  // it already is). Lets a drainer wait for completions without polling.
  void NotifyWhenIdle(absl::AnyInvocable<void()> callback);

  // Read-only views for tests and /status.
  const CircuitBreaker& circuit_breaker() const { return breaker_; }
  const RetryQueue& retry_queue() const { return retry_queue_; }
  const TransactionSpill* spill() const { return spill_.get(); }
  int InFlight() const { return in_flight_total_; }

 private:
  struct EndpointState {
    std::string host;  // Telemetry tag.
    int in_flight = 0;
    std::deque<Transaction> pending;
  };

  EndpointState& StateFor(const Transaction& transaction);
  void ReleasePending(const Transaction& transaction);
  const Endpoint& EndpointFor(const Transaction& transaction) const;
  std::chrono::milliseconds TimeoutFor(Intake intake) const;
  telemetry::Tags BaseTags(const Transaction& transaction);

  void Dispatch(Transaction transaction);
  void Send(Transaction transaction);
  HttpRequest BuildRequest(const Transaction& transaction) const;
  void OnDone(Transaction transaction, const HttpResult& result);
  void OnRetryOutcome(Transaction transaction, const HttpResult& result);
  void PumpPending(EndpointState& state);
  void RetryQueued();
  void Enqueue(Transaction transaction);
  bool SpillEvicted(std::vector<Transaction>& evicted);
  void ReplaySpill();
  void Drop(const Transaction& transaction, std::string_view reason);
  void Abandon(const Transaction& transaction);
  bool ShouldLog(const std::string& key);
  void UpdateQueueGauge();
  void MaybeNotifyIdle();

  ForwarderOptions options_;
  HttpClient& client_;
  const common::Clock& clock_;
  ForwarderStats stats_;
  std::shared_ptr<spdlog::logger> logger_;
  Backoff backoff_;
  CircuitBreaker breaker_;
  RetryQueue retry_queue_;
  std::unique_ptr<TransactionSpill> spill_;        // Null when disabled or not openable.
  std::vector<EndpointState> endpoint_states_[3];  // Indexed by Intake, then endpoint index.

  uint64_t next_sequence_ = 0;
  int in_flight_total_ = 0;
  uint64_t in_flight_bytes_ = 0;
  std::chrono::steady_clock::time_point next_retry_;
  absl::flat_hash_map<std::string, std::chrono::steady_clock::time_point> last_logged_;

  bool shutting_down_ = false;
  std::chrono::steady_clock::time_point shutdown_deadline_;
  uint64_t transactions_sent_ = 0;
  uint64_t failed_at_stop_ = 0;
  uint64_t bytes_failed_at_stop_ = 0;
  uint64_t spilled_at_stop_ = 0;
  absl::AnyInvocable<void()> idle_callback_;

  // Completion callbacks hold a weak_ptr to this; destroying the Forwarder disarms them.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sidecar::forwarder
