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

// Liveness after a flood: memory the sidecar keeps once the flood is over (allocator free lists,
// buffers kept for reuse, a full retry queue while the intake is down) can hold the resident size
// above the resume mark for good, and the receivers would refuse everything forever. So while under
// pressure the guard asks the process to give memory back (`release`, e.g. malloc_trim) at most
// once a second, and when the resident size has not grown for kSettleSamples samples it lifts the
// pressure anyway, raising the soft mark to halfway between the current size and the limit: new
// growth still trips it before the limit. The soft mark returns to 80 % once the size falls below
// the resume mark.
class MemoryGuard {
 public:
  using RssReader = std::function<absl::StatusOr<uint64_t>()>;
  using Release = std::function<void()>;

  static constexpr int kSettleSamples = 20;          // 5 s at the Agent's 250 ms period.
  static constexpr int kSamplesBetweenReleases = 4;  // 1 s.

  MemoryGuard(MemoryBudget budget, RssReader read_rss, telemetry::Registry& registry,
              Release release = nullptr);
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
  // Where pressure starts now: the budget's soft mark, or higher after a settled resume.
  uint64_t soft_mark() const { return soft_mark_; }

 private:
  void SampleUnderPressure(uint64_t rss);

  MemoryBudget budget_;
  RssReader read_rss_;
  Release release_;
  uint64_t soft_mark_;
  uint64_t settle_reference_ = 0;  // The size settling is measured against.
  int settled_samples_ = 0;
  int samples_since_release_ = 0;
  std::atomic<bool> under_pressure_{false};
  telemetry::Gauge& rss_;
  telemetry::Gauge& peak_rss_;
  telemetry::Gauge& pressure_;
  telemetry::Counter& episodes_;
  telemetry::Counter& settled_resumes_;
  telemetry::Counter& releases_;
  telemetry::Counter& read_errors_;
};

}  // namespace sidecar::runtime
