// How full the filesystem under a path is, behind a function type so tests can fake a full disk.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace sidecar::forwarder {

struct DiskUsage {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;  // For an unprivileged writer (statvfs f_bavail).
};

using DiskUsageFunction = std::function<absl::StatusOr<DiskUsage>(const std::string& path)>;

// statvfs(2) on `path`.
absl::StatusOr<DiskUsage> StatvfsDiskUsage(const std::string& path);

}  // namespace sidecar::forwarder
