// Reads a process's footprint from /proc: resident memory, CPU time, and the kernel's counters of
// a UDP socket (datagrams dropped for a full receive queue, bytes still queued).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace sidecar::soak {

// VmRSS in KiB, or nullopt once the process is gone.
std::optional<uint64_t> ReadRssKib(pid_t pid);

// utime + stime in seconds, or nullopt once the process is gone.
std::optional<double> ReadCpuSeconds(pid_t pid);

struct UdpSocketCounters {
  uint64_t drops = 0;     // Datagrams the kernel dropped (receive queue full).
  uint64_t rx_queue = 0;  // Bytes waiting to be read.
};

// The IPv4 UDP socket bound to 127.0.0.1:port or 0.0.0.0:port, from /proc/net/udp.
std::optional<UdpSocketCounters> ReadUdpCounters(uint16_t port);

}  // namespace sidecar::soak
