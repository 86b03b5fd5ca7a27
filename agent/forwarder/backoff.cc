#include "agent/forwarder/backoff.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "absl/random/random.h"

namespace sidecar::forwarder {

UniformSource DefaultUniformSource() {
  // std::function must be copyable, so the generator lives behind a shared_ptr.
  auto gen = std::make_shared<absl::BitGen>();
  return [gen] { return absl::Uniform(absl::IntervalClosedClosed, *gen, 0.0, 1.0); };
}

Backoff::Backoff(BackoffParams params, UniformSource uniform)
    : params_(params), uniform_(std::move(uniform)) {
  const double ratio = static_cast<double>(params_.max.count()) /
                       static_cast<double>(std::max<int64_t>(params_.base.count(), 1));
  max_errors_ = ratio >= 1 ? static_cast<int>(std::floor(std::log2(ratio))) + 1 : 1;
}

std::chrono::milliseconds Backoff::Delay(int num_errors) const {
  if (num_errors <= 0) {
    return std::chrono::milliseconds(0);
  }
  const double max_ms = static_cast<double>(params_.max.count());
  // Capping the exponent keeps pow() finite; any n this large is far past max anyway.
  const double t = static_cast<double>(params_.base.count()) * std::exp2(std::min(num_errors, 62));
  if (t > max_ms) {
    return params_.max;
  }
  const double low = t / params_.factor;
  const double u = std::clamp(uniform_(), 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(low + u * (t - low))));
}

int Backoff::IncrementErrors(int num_errors) const { return std::min(num_errors + 1, max_errors_); }

int Backoff::DecrementErrors(int num_errors) const {
  if (params_.recovery_reset) {
    return 0;
  }
  return std::max(num_errors - params_.recovery_interval, 0);
}

}  // namespace sidecar::forwarder
