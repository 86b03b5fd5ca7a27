// StatusServer: the health/status HTTP port (DD_HEALTH_PORT, 127.0.0.1). Serves HandleStatusRequest
// on the ingress io_context, one callback-driven session per connection (Asio coroutines do not
// build with clang 14 and Boost 1.74, which the sanitizer and fuzz presets use), every read and
// write under a deadline.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "agent/common/asio.h"
#include "agent/status/status_handler.h"
#include "agent/telemetry/registry.h"

namespace sidecar::status {

class StatusServer {
 public:
  StatusServer(boost::asio::io_context& context, const telemetry::Registry& registry,
               std::function<nlohmann::json()> details);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // Binds and starts accepting; port 0 picks a free port (see Port()).
  absl::Status Listen(const std::string& address, uint16_t port);
  uint16_t Port() const { return port_; }

  // From now on /health answers 503: ECS stops routing to a stopping task's dependents.
  void SetStopping() { stopping_.store(true); }
  // Stops accepting; open connections finish their current request. Safe from any thread.
  void Close();

 private:
  void Accept();

  boost::asio::io_context& context_;
  const telemetry::Registry& registry_;
  std::function<nlohmann::json()> details_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  uint16_t port_ = 0;
};

}  // namespace sidecar::status
