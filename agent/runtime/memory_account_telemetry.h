// Publishes the memory pool (memory_account.h) to the registry, so `status`, the status page and
// the self-metrics show it: memory.pool.capacity_bytes / used_bytes / peak_bytes, and per share
// memory.pool.share_bytes{share} (and _peak_bytes, cap_bytes) and the counter
// memory.pool.refusals{share}. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "agent/runtime/memory_account.h"
#include "agent/telemetry/registry.h"

namespace sidecar::runtime {

class MemoryAccountTelemetry {
 public:
  MemoryAccountTelemetry(const MemoryAccount& account, telemetry::Registry& registry);
  void Publish();

 private:
  const MemoryAccount& account_;
  telemetry::Registry& registry_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, uint64_t> published_refusals_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace sidecar::runtime
