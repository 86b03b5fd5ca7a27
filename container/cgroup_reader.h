// File: container/cgroup_reader.h
//
// Which container a process runs in, from its /proc/<pid>/cgroup (spec ../shared/spec/ecs-logs.md
// §A2.3, row "UDS peer credentials"; dogstatsd.md §1 "UDS origin detection"). DogStatsD's Unix
// socket learns each datagram's sender pid from SCM_CREDENTIALS; this maps the pid to the DockerId
// the tagger knows. It only works when the sidecar shares the app's PID namespace (`pidMode: task`
// on Fargate, `host` on EC2); otherwise the pid is 0 or /proc has no such entry, and the packet
// keeps the task-level tags.
//
//   CgroupReader reader({.proc_root = "/proc"});
//   PidContainer found = reader.Lookup(pid, clock.SteadyNow());
//   if (found.status == PidContainer::Status::kFound) use(found.container_id);
//
// Recognised cgroup paths (v1 `<id>:<controllers>:<path>` and v2 `0::<path>` lines alike):
//   ECS Fargate   /ecs/<32 hex task id>/<32 hex task id>-<digits>
//   ECS on EC2    /ecs/<task id>/<64 hex>, /docker/<64 hex>
//   systemd       .../docker-<64 hex>.scope, cri-containerd-<64 hex>.scope, crio-..., libpod-...
//   cri systemd   ...slice:cri-containerd:<64 hex>
// The deepest path element that is a container id wins; the first line that names one wins.
// Hex must be lower case, as the runtimes write it.
//
// Single-threaded (the DogStatsD compute strand owns one).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace sidecar::container {

// The container id named by one line of a cgroup file, or "" (the view points into `line`).
std::string_view ContainerIdFromCgroupLine(std::string_view line);

// The container id named by a whole /proc/<pid>/cgroup text, or "" (a view into `text`).
std::string_view ContainerIdFromCgroup(std::string_view text);

struct PidContainer {
  enum class Status {
    kFound,        // container_id is set.
    kNoPid,        // pid <= 0: the sender is outside our PID namespace (or sent no credentials).
    kUnreadable,   // /proc/<pid>/cgroup cannot be read: no shared PID namespace, or it exited.
    kNoContainer,  // The file names no container (a host process, or the sidecar's own cgroup).
  };
  Status status = Status::kNoPid;
  // Valid until the next Lookup() on the same reader.
  std::string_view container_id;
};

struct CgroupReaderOptions {
  // Where the proc filesystem is mounted; tests point it at a directory of fake `<pid>/cgroup`.
  std::string proc_root = "/proc";
  // How long a pid's container is remembered. The Agent's pid-to-entity cache keeps one minute;
  // a pid reused by another container within that time is misattributed, as in the Agent.
  std::chrono::seconds ttl{60};
  // How long a failed lookup is remembered, so a flood from one unmappable sender reads /proc
  // once per interval, not once per packet.
  std::chrono::seconds negative_ttl{10};
  // Bound on remembered pids; past it expired entries are dropped, then everything.
  size_t max_entries = 4096;
};

class CgroupReader {
 public:
  explicit CgroupReader(CgroupReaderOptions options = {});
  CgroupReader(const CgroupReader&) = delete;
  CgroupReader& operator=(const CgroupReader&) = delete;

  // The container of `pid` at time `now` (monotonic), from the cache or /proc.
  PidContainer Lookup(int32_t pid, std::chrono::steady_clock::time_point now);

  size_t cached() const { return cache_.size(); }
  // How many times a cgroup file was opened (tests check the cache through it).
  uint64_t file_reads() const { return file_reads_; }

 private:
  // Largest cgroup file read; real ones are a few hundred bytes (v1: one line per hierarchy).
  static constexpr size_t kMaxFileBytes = 64 * 1024;

  struct Entry {
    PidContainer::Status status = PidContainer::Status::kNoContainer;
    std::string container_id;
    std::chrono::steady_clock::time_point expires;
  };

  // Reads /proc/<pid>/cgroup into buffer_; false when it cannot be opened or read.
  bool ReadCgroupFile(int32_t pid);
  void MakeRoom(std::chrono::steady_clock::time_point now);

  CgroupReaderOptions options_;
  absl::flat_hash_map<int32_t, Entry> cache_;
  std::string buffer_;
  uint64_t file_reads_ = 0;
};

}  // namespace sidecar::container
