#include "agent/runtime/memory_account_telemetry.h"

namespace sidecar::runtime {

MemoryAccountTelemetry::MemoryAccountTelemetry(const MemoryAccount& account,
                                               telemetry::Registry& registry)
    : account_(account), registry_(registry) {
  registry_.GetGauge("memory.pool.capacity_bytes").Set(static_cast<int64_t>(account_.capacity()));
}

void MemoryAccountTelemetry::Publish() {
  absl::MutexLock lock(&mutex_);
  registry_.GetGauge("memory.pool.used_bytes").Set(static_cast<int64_t>(account_.used()));
  registry_.GetGauge("memory.pool.peak_bytes").Set(static_cast<int64_t>(account_.peak()));
  for (const MemoryShare* share : account_.shares()) {
    const telemetry::Tags tags{{"share", share->name()}};
    registry_.GetGauge("memory.pool.share_bytes", tags).Set(static_cast<int64_t>(share->used()));
    registry_.GetGauge("memory.pool.share_peak_bytes", tags)
        .Set(static_cast<int64_t>(share->peak()));
    registry_.GetGauge("memory.pool.share_cap_bytes", tags).Set(static_cast<int64_t>(share->cap()));
    uint64_t& published = published_refusals_[share->name()];
    const uint64_t refusals = share->refusals();
    registry_.GetCounter("memory.pool.refusals", tags).Add(refusals - published);
    published = refusals;
  }
}

}  // namespace sidecar::runtime
