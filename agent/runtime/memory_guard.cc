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

MemoryGuard::MemoryGuard(MemoryBudget budget, RssReader read_rss, telemetry::Registry& registry,
                         Release release)
    : budget_(std::move(budget)),
      read_rss_(std::move(read_rss)),
      release_(std::move(release)),
      soft_mark_(budget_.SoftMark()),
      rss_(registry.GetGauge("memory.rss_bytes")),
      peak_rss_(registry.GetGauge("memory.peak_rss_bytes")),
      pressure_(registry.GetGauge("memory.under_pressure")),
      episodes_(registry.GetCounter("memory.pressure_episodes")),
      settled_resumes_(registry.GetCounter("memory.settled_resumes")),
      releases_(registry.GetCounter("memory.releases")),
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
  if (*rss < budget_.ResumeMark()) {
    soft_mark_ = budget_.SoftMark();
  }
  if (under_pressure_.load(std::memory_order_relaxed)) {
    SampleUnderPressure(*rss);
  } else if (*rss >= soft_mark_) {
    under_pressure_.store(true, std::memory_order_relaxed);
    episodes_.Add();
    settle_reference_ = *rss;
    settled_samples_ = 0;
    samples_since_release_ = kSamplesBetweenReleases;  // Release at once.
    SampleUnderPressure(*rss);
  }
  pressure_.Set(UnderPressure() ? 1 : 0);
}

void MemoryGuard::SampleUnderPressure(uint64_t rss) {
  if (rss < budget_.ResumeMark()) {
    under_pressure_.store(false, std::memory_order_relaxed);
    return;
  }
  // Growth of more than 1 % of the limit restarts the settling: the sidecar is still digesting.
  if (rss > settle_reference_ + budget_.limit_bytes / 100) {
    settle_reference_ = rss;
    settled_samples_ = 0;
  } else if (++settled_samples_ >= kSettleSamples && rss < budget_.limit_bytes) {
    soft_mark_ = rss + (budget_.limit_bytes - rss) / 2;
    settled_resumes_.Add();
    under_pressure_.store(false, std::memory_order_relaxed);
    return;
  }
  if (release_ != nullptr && ++samples_since_release_ >= kSamplesBetweenReleases) {
    samples_since_release_ = 0;
    releases_.Add();
    release_();
  }
}

}  // namespace sidecar::runtime
