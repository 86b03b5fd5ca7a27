#include "agent/runtime/memory_guard.h"

#include <unistd.h>

#include <fstream>

#include "absl/status/status.h"

namespace sidecar::runtime {

absl::StatusOr<uint64_t> ReadSelfRss() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) {
    return absl::UnavailableError("cannot read /proc/self/statm");
  }
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

MemoryGuard::MemoryGuard(MemoryBudget budget, RssReader read_rss, telemetry::Registry& registry)
    : budget_(std::move(budget)),
      read_rss_(std::move(read_rss)),
      rss_(registry.GetGauge("memory.rss_bytes")),
      peak_rss_(registry.GetGauge("memory.peak_rss_bytes")),
      pressure_(registry.GetGauge("memory.under_pressure")),
      episodes_(registry.GetCounter("memory.pressure_episodes")),
      read_errors_(registry.GetCounter("memory.rss_read_errors")) {
  registry.GetGauge("memory.limit_bytes").Set(static_cast<int64_t>(budget_.limit_bytes));
}

void MemoryGuard::Sample() {
  const absl::StatusOr<uint64_t> rss = read_rss_();
  if (!rss.ok()) {
    read_errors_.Add();
    return;
  }
  rss_.Set(static_cast<int64_t>(*rss));
  if (static_cast<int64_t>(*rss) > peak_rss_.Value()) {
    peak_rss_.Set(static_cast<int64_t>(*rss));
  }
  if (budget_.limit_bytes == 0) {
    return;
  }
  const bool was = under_pressure_.load(std::memory_order_relaxed);
  bool now = was;
  if (!was && *rss >= budget_.SoftMark()) {
    now = true;
    episodes_.Add();
  } else if (was && *rss < budget_.ResumeMark()) {
    now = false;
  }
  under_pressure_.store(now, std::memory_order_relaxed);
  pressure_.Set(now ? 1 : 0);
}

}  // namespace sidecar::runtime
