// ManualClock: a Clock that moves only when the test says so.
#pragma once

#include <chrono>

#include "agent/common/clock.h"

namespace sidecar::testing {

class ManualClock final : public common::Clock {
 public:
  ManualClock()
      : steady_(std::chrono::steady_clock::time_point(std::chrono::hours(1))),
        system_(std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))) {}

  std::chrono::steady_clock::time_point SteadyNow() const override { return steady_; }
  std::chrono::system_clock::time_point SystemNow() const override { return system_; }

  void Advance(std::chrono::nanoseconds by) {
    steady_ += by;
    system_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
  }
  void SetSystemNow(std::chrono::system_clock::time_point now) { system_ = now; }

 private:
  std::chrono::steady_clock::time_point steady_;
  std::chrono::system_clock::time_point system_;
};

}  // namespace sidecar::testing
