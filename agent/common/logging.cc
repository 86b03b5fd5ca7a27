#include "agent/common/logging.h"

#include "spdlog/sinks/stdout_sinks.h"

namespace sidecar::common {

std::string RedactSecrets(std::string_view text, const std::vector<std::string>& secrets) {
  std::string result(text);
  for (const std::string& secret : secrets) {
    if (secret.size() < 4) {
      continue;
    }
    for (size_t at = result.find(secret); at != std::string::npos; at = result.find(secret, at)) {
      result.replace(at, secret.size(), "<redacted>");
    }
  }
  return result;
}

RedactingSink::RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner,
                             std::vector<std::string> secrets)
    : inner_(std::move(inner)), secrets_(std::move(secrets)) {}

void RedactingSink::log(const spdlog::details::log_msg& msg) {
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  const std::string redacted = RedactSecrets(payload, secrets_);
  spdlog::details::log_msg copy = msg;
  copy.payload = spdlog::string_view_t(redacted.data(), redacted.size());
  inner_->log(copy);
}

void InitLogging(std::string_view level, std::vector<std::string> secrets,
                 std::shared_ptr<spdlog::sinks::sink> sink) {
  if (sink == nullptr) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto redacting = std::make_shared<RedactingSink>(std::move(sink), std::move(secrets));
  auto logger = std::make_shared<spdlog::logger>("sidecar", redacting);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ | sidecar-agent | %^%l%$ | (%n) %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::warn);
  spdlog::drop_all();
  spdlog::set_default_logger(logger);
}

std::shared_ptr<spdlog::logger> Logger(const std::string& name) {
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  auto base = spdlog::default_logger();
  auto logger = base->clone(name);
  spdlog::register_logger(logger);
  return logger;
}

bool LogRateLimiter::Allow(std::chrono::steady_clock::time_point now, uint64_t* suppressed) {
  std::lock_guard lock(mutex_);
  if (now - window_start_ >= interval_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ < burst_) {
    ++in_window_;
    if (suppressed != nullptr) {
      *suppressed = suppressed_;
    }
    suppressed_ = 0;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace sidecar::common
