#include "agent/forwarder/disk_usage.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace sidecar::forwarder {

absl::StatusOr<DiskUsage> StatvfsDiskUsage(const std::string& path) {
  struct statvfs stats {};
  if (statvfs(path.c_str(), &stats) != 0) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat(
        "statvfs(", path, ") failed: ", std::error_code(error, std::generic_category()).message()));
  }
  DiskUsage usage;
  usage.total_bytes = static_cast<uint64_t>(stats.f_blocks) * stats.f_frsize;
  usage.available_bytes = static_cast<uint64_t>(stats.f_bavail) * stats.f_frsize;
  return usage;
}

}  // namespace sidecar::forwarder
