// MemoryGuard: samples the process's resident size and raises a pressure flag between the budget's
// soft mark and its resume mark (memory_budget.h). Receivers read the flag on their hot path (one
// relaxed atomic load) and apply backpressure where their protocol has it: the APM receiver
// refuses payloads (429 for clients that ask for real statuses), the Forward and TCP log servers
// stop acking and reading, the DogStatsD Unix socket stops being read; UDP, which has none, drops
// datagrams and counts them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "agent/runtime/memory_budget.h"
#include "agent/telemetry/registry.h"

namespace sidecar::runtime {

// Resident set size of this process, from /proc/self/statm.
absl::StatusOr<uint64_t> ReadSelfRss();

class MemoryGuard {
 public:
  using RssReader = std::function<absl::StatusOr<uint64_t>()>;

  MemoryGuard(MemoryBudget budget, RssReader read_rss, telemetry::Registry& registry);
  MemoryGuard(const MemoryGuard&) = delete;
  MemoryGuard& operator=(const MemoryGuard&) = delete;

  // Reads the resident size and updates the flag; the Agent calls it every 250 ms.
  void Sample();
  bool UnderPressure() const { return under_pressure_.load(std::memory_order_relaxed); }
  // What receivers keep: a probe that stays valid as long as this guard.
  std::function<bool()> Probe() const {
    return [this] { return UnderPressure(); };
  }
  const MemoryBudget& budget() const { return budget_; }

 private:
  MemoryBudget budget_;
  RssReader read_rss_;
  std::atomic<bool> under_pressure_{false};
  telemetry::Gauge& rss_;
  telemetry::Gauge& peak_rss_;
  telemetry::Gauge& pressure_;
  telemetry::Counter& episodes_;
  telemetry::Counter& read_errors_;
};

}  // namespace sidecar::runtime
