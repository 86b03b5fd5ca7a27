#include "container/cgroup_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "agent/common/strings.h"
#include "fmt/format.h"

namespace sidecar::container {
namespace {

constexpr size_t kLongIdSize = 64;  // Docker/containerd ids.
constexpr size_t kTaskIdSize = 32;  // Fargate ids: the task id, '-', a number.

bool IsLowerHex(std::string_view text) {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool IsDecimal(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// One path element: a bare id, or a runtime's `<prefix>-<64 hex>[.scope]` unit name.
std::string_view IdInElement(std::string_view element) {
  common::ConsumeSuffix(element, ".scope");
  if (element.size() >= kLongIdSize) {
    const std::string_view tail = element.substr(element.size() - kLongIdSize);
    const bool delimited =
        element.size() == kLongIdSize || element[element.size() - kLongIdSize - 1] == '-';
    if (delimited && IsLowerHex(tail)) {
      return tail;
    }
  }
  if (element.size() > kTaskIdSize + 1 && element[kTaskIdSize] == '-' &&
      IsLowerHex(element.substr(0, kTaskIdSize)) && IsDecimal(element.substr(kTaskIdSize + 1))) {
    return element;
  }
  return {};
}

}  // namespace

std::string_view ContainerIdFromCgroupLine(std::string_view line) {
  // `hierarchy-id:controllers:path`; the path itself may contain ':' (systemd cri units).
  const size_t first = line.find(':');
  if (first == std::string_view::npos) {
    return {};
  }
  const size_t second = line.find(':', first + 1);
  if (second == std::string_view::npos) {
    return {};
  }
  std::string_view path = common::TrimAsciiSpace(line.substr(second + 1));
  // Deepest element first: a container's cgroup sits below its task's or pod's.
  while (!path.empty()) {
    const size_t cut = path.find_last_of("/:");
    const std::string_view element = cut == std::string_view::npos ? path : path.substr(cut + 1);
    if (const std::string_view id = IdInElement(element); !id.empty()) {
      return id;
    }
    if (cut == std::string_view::npos) {
      break;
    }
    path = path.substr(0, cut);
  }
  return {};
}

std::string_view ContainerIdFromCgroup(std::string_view text) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = end == std::string_view::npos ? text : text.substr(0, end);
    if (const std::string_view id = ContainerIdFromCgroupLine(line); !id.empty()) {
      return id;
    }
    if (end == std::string_view::npos) {
      break;
    }
    text.remove_prefix(end + 1);
  }
  return {};
}

CgroupReader::CgroupReader(CgroupReaderOptions options) : options_(std::move(options)) {}

PidContainer CgroupReader::Lookup(int32_t pid, std::chrono::steady_clock::time_point now) {
  if (pid <= 0) {
    return {PidContainer::Status::kNoPid, {}};
  }
  if (const auto it = cache_.find(pid); it != cache_.end() && now < it->second.expires) {
    return {it->second.status, it->second.container_id};
  }
  Entry entry;
  if (!ReadCgroupFile(pid)) {
    entry.status = PidContainer::Status::kUnreadable;
  } else if (const std::string_view id = ContainerIdFromCgroup(buffer_); !id.empty()) {
    entry.status = PidContainer::Status::kFound;
    entry.container_id = std::string(id);
  } else {
    entry.status = PidContainer::Status::kNoContainer;
  }
  entry.expires =
      now + (entry.status == PidContainer::Status::kFound ? options_.ttl : options_.negative_ttl);
  if (!cache_.contains(pid)) {
    MakeRoom(now);
  }
  Entry& stored = cache_[pid] = std::move(entry);
  return {stored.status, stored.container_id};
}

bool CgroupReader::ReadCgroupFile(int32_t pid) {
  ++file_reads_;
  buffer_.clear();
  const std::string path = fmt::format("{}/{}/cgroup", options_.proc_root, pid);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  // procfs reports size 0, so read until EOF (bounded: a fake root could hold anything).
  bool ok = true;
  char chunk[4096];
  while (buffer_.size() < kMaxFileBytes) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      ok = false;
      break;
    }
    if (n == 0) {
      break;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return ok;
}

void CgroupReader::MakeRoom(std::chrono::steady_clock::time_point now) {
  if (cache_.size() < options_.max_entries) {
    return;
  }
  absl::erase_if(cache_, [now](const auto& item) { return !(now < item.second.expires); });
  if (cache_.size() >= options_.max_entries) {
    cache_.clear();  // Only a fleet of short-lived senders gets here; re-reading is the cost.
  }
}

}  // namespace sidecar::container
