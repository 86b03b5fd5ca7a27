// AsioEcsMetadataClient: runs an EcsMetadataClient on the egress io_context (the thread that also
// runs the Forwarder and receives CurlHttpClient completions). A steady_timer calls Tick() every
// tick_interval; Start()/Stop()/Health() may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include "agent/common/asio.h"
#include "container/metadata_client.h"

namespace sidecar::container {

struct AsioEcsMetadataClientOptions {
  EcsMetadataClientOptions client;
  std::chrono::milliseconds tick_interval{std::chrono::seconds(1)};
};

class AsioEcsMetadataClient {
 public:
  // The client is built here and used only on `egress`; `http`, `clock` and `registry` must
  // outlive the io_context's last handler. The callbacks run on the egress thread. Call Start().
  AsioEcsMetadataClient(boost::asio::io_context& egress, AsioEcsMetadataClientOptions options,
                        EcsMetadataCallbacks callbacks, forwarder::HttpClient& http,
                        const common::Clock& clock, telemetry::Registry& registry,
                        forwarder::UniformSource uniform);
  // Destroy after the egress loop stopped, or on the egress thread. Handlers still queued then
  // become no-ops.
  ~AsioEcsMetadataClient();
  AsioEcsMetadataClient(const AsioEcsMetadataClient&) = delete;
  AsioEcsMetadataClient& operator=(const AsioEcsMetadataClient&) = delete;

  // Thread-safe. Ticks once at once, then every tick_interval.
  void Start();
  // Thread-safe. Cancels the timer; no request starts afterwards (call before draining the
  // HttpClient at shutdown).
  void Stop();

  // Thread-safe copy of the client's health, refreshed after every tick (at most one tick old).
  MetadataHealth Health() const;

 private:
  struct Core;  // Client + timer + health snapshot, shared with the handlers posted to `egress`.
  static void TickAndArm(const std::shared_ptr<Core>& core);

  boost::asio::io_context& egress_;
  std::shared_ptr<Core> core_;
};

}  // namespace sidecar::container
