// Time as a dependency: production code asks a Clock, tests pass a ManualClock
// (tests/testing/manual_clock.h) and move time by hand instead of sleeping.
#pragma once

#include <chrono>

namespace sidecar::common {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for deadlines, backoff and intervals.
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;
  // Wall time, for timestamps that go upstream (bucket starts, event times).
  virtual std::chrono::system_clock::time_point SystemNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point SystemNow() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace sidecar::common
