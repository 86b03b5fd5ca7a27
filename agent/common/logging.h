// Process logging on spdlog: one line per event to stderr, level from DD_LOG_LEVEL, and every
// registered secret (the API keys) replaced before a line is written, whoever logged it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "spdlog/sinks/sink.h"
#include "spdlog/spdlog.h"

namespace sidecar::common {

// Wraps a sink and rewrites every occurrence of a secret in the message to "<redacted>".
class RedactingSink final : public spdlog::sinks::sink {
 public:
  RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner, std::vector<std::string> secrets);

  void log(const spdlog::details::log_msg& msg) override;
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
  std::vector<std::string> secrets_;
};

// Replaces each secret in `text`; secrets shorter than 4 characters are ignored (too many false
// hits).
std::string RedactSecrets(std::string_view text, const std::vector<std::string>& secrets);

// Installs the default logger. `sink` defaults to stderr; tests pass an ostream sink.
void InitLogging(std::string_view level, std::vector<std::string> secrets,
                 std::shared_ptr<spdlog::sinks::sink> sink = nullptr);

// A named logger ("forwarder", "statsd", ...) sharing the default logger's sinks and level.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);

// Lets `burst` messages through per `interval` and counts the rest, so a flood of one error
// becomes a few lines plus "N similar messages suppressed".
class LogRateLimiter {
 public:
  LogRateLimiter(uint32_t burst, std::chrono::steady_clock::duration interval)
      : burst_(burst), interval_(interval) {}

  // True when the caller should log now; `suppressed` receives how many were dropped since the
  // last message that went through.
  bool Allow(std::chrono::steady_clock::time_point now, uint64_t* suppressed);

 private:
  std::mutex mutex_;
  uint32_t burst_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point window_start_{};
  uint32_t in_window_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace sidecar::common
