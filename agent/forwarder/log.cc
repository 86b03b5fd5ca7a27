#include "agent/forwarder/log.h"

#include <mutex>

namespace sidecar::forwarder {

std::shared_ptr<spdlog::logger> ForwarderLogger() {
  static std::mutex mutex;
  // spdlog::register_logger throws on a duplicate name; the lock makes get-or-create atomic.
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<spdlog::logger> logger = spdlog::get("forwarder");
  if (logger == nullptr) {
    logger = spdlog::default_logger()->clone("forwarder");
    spdlog::register_logger(logger);
  }
  return logger;
}

}  // namespace sidecar::forwarder
