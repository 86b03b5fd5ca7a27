// AsioForwarder: runs a Forwarder on the egress io_context and makes it reachable from other
// threads. Submit() posts (never blocks); a steady_timer drives Tick(); Drain() is the blocking
// shutdown step the runtime calls from its own thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "agent/common/asio.h"
#include "agent/forwarder/forwarder.h"

namespace sidecar::forwarder {

struct AsioForwarderOptions {
  ForwarderOptions forwarder;
  // Payload bytes posted to the egress thread but not yet taken by the Forwarder. Beyond it
  // Submit() drops (reason "egress_backlog") instead of letting a stalled loop grow memory.
  size_t max_backlog_bytes = size_t{64} * 1024 * 1024;
  std::chrono::milliseconds tick_interval{std::chrono::seconds(1)};
};

class AsioForwarder {
 public:
  // The Forwarder is built here and used only on `egress`; `client`, `clock` and `registry` must
  // outlive the io_context's last handler. Call Start() to arm the tick timer.
  AsioForwarder(boost::asio::io_context& egress, AsioForwarderOptions options, HttpClient& client,
                const common::Clock& clock, telemetry::Registry& registry, UniformSource uniform);
  // Destroy after the egress loop stopped, or on the egress thread: HTTP completions call into
  // the Forwarder there. Handlers still queued then become no-ops.
  ~AsioForwarder();
  AsioForwarder(const AsioForwarder&) = delete;
  AsioForwarder& operator=(const AsioForwarder&) = delete;

  void Start();

  // Thread-safe, never blocks.
  void Submit(Payload payload);

  // Thread-safe; must not run on the egress thread while it is needed to make progress. Starts
  // the Forwarder's shutdown and waits until it is idle or `deadline` passes.
  ShutdownReport Drain(std::chrono::steady_clock::time_point deadline);

 private:
  struct Core;  // Forwarder + timer, shared with the handlers posted to `egress`.
  static void ArmTimer(const std::shared_ptr<Core>& core);

  boost::asio::io_context& egress_;
  size_t max_backlog_bytes_;
  std::shared_ptr<Core> core_;
  telemetry::Counter& backlog_dropped_transactions_;
  telemetry::Counter& backlog_dropped_items_;
};

}  // namespace sidecar::forwarder
