#include "tests/soak/proc_stats.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace sidecar::soak {

std::optional<uint64_t> ReadRssKib(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      uint64_t kib = 0;
      if (fields >> kib) {
        return kib;
      }
    }
  }
  return std::nullopt;
}

std::optional<double> ReadCpuSeconds(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(file, text)) {
    return std::nullopt;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  uint64_t utime = 0;
  uint64_t stime = 0;
  // After ')': state(3) ... utime is field 14, stime 15 (1-based over the whole line).
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) {
      utime = std::stoull(field);
    } else if (index == 15) {
      stime = std::stoull(field);
    }
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100);
}

std::optional<UdpSocketCounters> ReadUdpCounters(uint16_t port) {
  std::ifstream file("/proc/net/udp");
  std::string line;
  std::getline(file, line);  // Header.
  char wanted_port[8];
  std::snprintf(wanted_port, sizeof(wanted_port), ":%04X", port);
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    if (!(fields >> slot >> local >> remote >> state >> queues)) {
      continue;
    }
    if (local.size() < 5 || local.substr(local.size() - 5) != wanted_port) {
      continue;
    }
    UdpSocketCounters counters;
    const size_t colon = queues.find(':');
    if (colon != std::string::npos) {
      counters.rx_queue = std::stoull(queues.substr(colon + 1), nullptr, 16);
    }
    // Remaining columns: tr:tm->when retrnsmt uid timeout inode ref pointer drops.
    std::string column;
    std::string last;
    while (fields >> column) {
      last = column;
    }
    counters.drops = last.empty() ? 0 : std::stoull(last);
    return counters;
  }
  return std::nullopt;
}

}  // namespace sidecar::soak
