// MemoryBudget: the sidecar's memory limit and the buffer caps derived from it (issue #9). The
// limit is DD_SIDECAR_MEMORY_LIMIT, else the container's cgroup limit (what ECS sets from the
// container's `memory`), else none. Each large buffer's cap is a share of the limit, so the sum of
// the caps stays well below it whatever the traffic mix; MemoryGuard (memory_guard.h) watches the
// resident size on top of that for what the caps cannot see (contexts, allocator slack).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sidecar::runtime {

struct MemoryBudget {
  // The smallest limit under which the resident size stays below the limit through a flood of
  // every input at once (bench/memory_flood.py: 0.85-0.90 of the limit at 80 MiB, 0.93-1.00 at 64).
  // DD_SIDECAR_MEMORY_LIMIT below it is refused; a smaller cgroup limit is used, with a warning.
  static constexpr uint64_t kMinimumLimitBytes = uint64_t{80} << 20;

  uint64_t limit_bytes = 0;     // 0: no limit known; nothing is derived and no pressure is applied.
  std::string source = "none";  // Where the limit came from, for `config` and `status`.

  // Resident size at which backpressure starts, and below which it stops (hysteresis, so a
  // sidecar hovering at the mark does not flap).
  uint64_t SoftMark() const { return limit_bytes / 10 * 8; }
  uint64_t ResumeMark() const { return limit_bytes / 10 * 7; }

  // What every MemoryShare draws from (memory_account.h): the soft mark less what the process
  // holds before any traffic (`idle_bytes`, at least kIdleFootprintBytes) and less an eighth of
  // the limit for the working memory no share sees (decoding, encoding and compressing a flush,
  // allocator slack), but never under a quarter of the limit. 0 (no pool limit) without a limit.
  static constexpr uint64_t kIdleFootprintBytes = uint64_t{20} << 20;  // Measured: 19.7 MiB.
  uint64_t AccountCapacity(uint64_t idle_bytes) const {
    if (limit_bytes == 0) {
      return 0;
    }
    const uint64_t idle = idle_bytes > kIdleFootprintBytes ? idle_bytes : kIdleFootprintBytes;
    const uint64_t reserved = idle + limit_bytes / 8;
    const uint64_t floor = limit_bytes / 4;
    return SoftMark() > reserved + floor ? SoftMark() - reserved : floor;
  }

  // Caps: the configured default, lowered to a share of the limit when one is known.
  uint64_t ApmInflightBytes(uint64_t configured) const { return Share(configured, 8); }
  uint64_t LogsPendingBytes(uint64_t configured) const { return Share(configured, 16); }
  uint64_t RetryQueueBytes(uint64_t configured) const { return Share(configured, 8); }
  // Share caps (bytes) of the DogStatsD aggregation and receive buffers; 0 (no cap) without a
  // limit, where the pipeline's own count bounds apply alone.
  // Contexts: an eighth (20k contexts at 80 MiB, 64k at 256 MiB, at 512 bytes each). A flood of
  // 300k new contexts at 80 MiB with a quarter peaked at 0.95 of the limit.
  uint64_t StatsdContextBytes() const { return limit_bytes / 8; }
  uint64_t StatsdValueBytes() const { return limit_bytes / 8; }
  // Receive batches (64 KiB each, 32 at most: 2 MiB): a sixteenth, which binds only under the
  // 80 MiB minimum limit or with more batches than the default.
  uint64_t StatsdBatchBytes() const { return limit_bytes / 16; }

 private:
  uint64_t Share(uint64_t configured, uint64_t divisor) const {
    if (limit_bytes == 0) {
      return configured;
    }
    const uint64_t share = limit_bytes / divisor;
    return share < configured ? share : configured;
  }
};

// "268435456", "256MiB", "256Mi", "256m", "1GiB", "1g", "512KiB": binary units, as ECS and
// Kubernetes count memory. InvalidArgument otherwise.
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

// The container's memory limit from cgroup v2 (`memory.max`) or v1 (`memory/memory.limit_in_bytes`)
// under `cgroup_root`; nullopt when unlimited ("max", or v1's page-rounded 2^63) or unreadable.
std::optional<uint64_t> ReadCgroupMemoryLimit(std::string_view cgroup_root = "/sys/fs/cgroup");

// DD_SIDECAR_MEMORY_LIMIT (`configured`, may be unset or empty) wins over the cgroup limit.
// An unparsable or too small (< kMinimumLimitBytes) value is an error naming the variable.
absl::StatusOr<MemoryBudget> ResolveMemoryBudget(const std::optional<std::string>& configured,
                                                 std::string_view cgroup_root = "/sys/fs/cgroup");

}  // namespace sidecar::runtime
