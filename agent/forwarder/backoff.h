// The Agent's exponential backoff policy (pkg/util/backoff, dogstatsd.md §10): the delay before a
// failing endpoint is probed again, as a function of its error count.
#pragma once

#include <chrono>
#include <functional>

namespace sidecar::forwarder {

// Returns a uniform double in [0, 1]. Injected so tests pick the ends of each jitter interval.
using UniformSource = std::function<double()>;

// A source backed by absl::BitGen, for production. Not thread-safe; one per owning thread.
UniformSource DefaultUniformSource();

struct BackoffParams {
  std::chrono::milliseconds base{std::chrono::seconds(2)};  // forwarder_backoff_base
  std::chrono::milliseconds max{std::chrono::seconds(64)};  // forwarder_backoff_max
  double factor = 2;                                        // forwarder_backoff_factor (>= 2)
  int recovery_interval = 2;                                // forwarder_recovery_interval
  bool recovery_reset = false;                              // forwarder_recovery_reset
};

class Backoff {
 public:
  Backoff(BackoffParams params, UniformSource uniform);

  // For n errors: t = base * 2^n; t > max gives max, otherwise uniform in [t / factor, t].
  // n <= 0 gives zero. With the defaults: n=1 2-4 s, n=2 4-8 s, ..., n=5 32-64 s, n>=6 64 s.
  std::chrono::milliseconds Delay(int num_errors) const;

  // floor(log2(max / base)) + 1: the error count stops growing there (6 with the defaults).
  int MaxErrors() const { return max_errors_; }
  int IncrementErrors(int num_errors) const;
  // A success lowers the count by recovery_interval (to 0 with recovery_reset).
  int DecrementErrors(int num_errors) const;

  const BackoffParams& params() const { return params_; }

 private:
  BackoffParams params_;
  UniformSource uniform_;
  int max_errors_;
};

}  // namespace sidecar::forwarder
