// Tiny command-line helpers shared by the fake-intake and fake-ecs-metadata tools.
#pragma once

#include <charconv>
#include <csignal>
#include <optional>
#include <string_view>

namespace sidecar::testing::tools {

// Parses a whole decimal integer in [min, max].
inline std::optional<long> ParseInt(std::string_view text, long min, long max) {
  long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

// Blocks SIGINT and SIGTERM in this thread and every thread started after; WaitForStopSignal()
// then picks them up synchronously. Call before starting servers.
inline sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

inline int WaitForStopSignal(const sigset_t& set) {
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number;
}

}  // namespace sidecar::testing::tools
