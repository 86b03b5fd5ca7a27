// Per-target circuit breaker, after the Agent's blocked_endpoints.go (dogstatsd.md §10, H09/H10).
// Keyed by the full target URL (base URL + route), so a failing route does not block the others.
//
//   unblocked --error--> blocked until now + backoff(n+1)
//   blocked --deadline passed, AllowSend()--> half-open: exactly one probe is in flight
//   half-open --probe error--> blocked with n+1        --probe success--> n -= recovery_interval
//
// Results arriving while blocked are ignored: they belong to requests sent before the block.
// After a success the target is usable again even if n > 0; n then decays with each further
// success, and the next error backs off from the remaining n (a deliberate simplification of
// the Agent, which re-blocks after a probe success until n reaches 0).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "agent/common/clock.h"
#include "agent/forwarder/backoff.h"

namespace sidecar::forwarder {

class CircuitBreaker {
 public:
  enum class State { kUnblocked, kBlocked, kHalfOpen };

  // Both must outlive the breaker.
  CircuitBreaker(const Backoff& backoff, const common::Clock& clock);

  // True when a request to `url` may go out now. A blocked target whose deadline passed moves to
  // half-open and this returns true once: the caller must then send exactly one probe.
  bool AllowSend(std::string_view url);
  // What AllowSend would answer, without claiming the probe.
  bool WouldAllow(std::string_view url) const;

  void RecordError(std::string_view url);
  void RecordSuccess(std::string_view url);

  State StateOf(std::string_view url) const;
  int ErrorCount(std::string_view url) const;
  // Meaningful only while blocked.
  std::chrono::steady_clock::time_point BlockedUntil(std::string_view url) const;

 private:
  struct Target {
    State state = State::kUnblocked;
    int errors = 0;
    std::chrono::steady_clock::time_point until;
  };
  const Target* Find(std::string_view url) const;

  const Backoff& backoff_;
  const common::Clock& clock_;
  // Targets at n == 0 and unblocked are erased, so this holds only troubled URLs.
  absl::flat_hash_map<std::string, Target> targets_;
};

std::string_view CircuitStateName(CircuitBreaker::State state);

}  // namespace sidecar::forwarder
