#include "container/asio_metadata_client.h"

#include <utility>

namespace sidecar::container {

struct AsioEcsMetadataClient::Core {
  Core(boost::asio::io_context& egress, AsioEcsMetadataClientOptions options,
       EcsMetadataCallbacks callbacks, forwarder::HttpClient& http, const common::Clock& clock,
       telemetry::Registry& registry, forwarder::UniformSource uniform)
      : client(std::move(options.client), std::move(callbacks), http, clock, registry,
               std::move(uniform)),
        timer(egress),
        tick_interval(options.tick_interval),
        snapshot(client.health()) {}

  void PublishHealth() {
    std::lock_guard<std::mutex> lock(mutex);
    snapshot = client.health();
  }

  // Egress thread only.
  EcsMetadataClient client;
  boost::asio::steady_timer timer;
  std::chrono::milliseconds tick_interval;
  bool stopped = false;
  // Any thread.
  mutable std::mutex mutex;
  MetadataHealth snapshot;
};

AsioEcsMetadataClient::AsioEcsMetadataClient(
    boost::asio::io_context& egress, AsioEcsMetadataClientOptions options,
    EcsMetadataCallbacks callbacks, forwarder::HttpClient& http, const common::Clock& clock,
    telemetry::Registry& registry, forwarder::UniformSource uniform)
    : egress_(egress),
      core_(std::make_shared<Core>(egress, std::move(options), std::move(callbacks), http, clock,
                                   registry, std::move(uniform))) {}

AsioEcsMetadataClient::~AsioEcsMetadataClient() = default;

void AsioEcsMetadataClient::Start() {
  boost::asio::post(egress_, [weak = std::weak_ptr<Core>(core_)] {
    if (std::shared_ptr<Core> core = weak.lock(); core != nullptr && !core->stopped) {
      TickAndArm(core);
    }
  });
}

void AsioEcsMetadataClient::Stop() {
  boost::asio::post(egress_, [weak = std::weak_ptr<Core>(core_)] {
    if (std::shared_ptr<Core> core = weak.lock()) {
      core->stopped = true;
      core->client.Stop();
      core->timer.cancel();
      core->PublishHealth();
    }
  });
}

MetadataHealth AsioEcsMetadataClient::Health() const {
  std::lock_guard<std::mutex> lock(core_->mutex);
  return core_->snapshot;
}

void AsioEcsMetadataClient::TickAndArm(const std::shared_ptr<Core>& core) {
  core->client.Tick();
  core->PublishHealth();
  core->timer.expires_after(core->tick_interval);
  core->timer.async_wait(
      [weak = std::weak_ptr<Core>(core)](const boost::system::error_code& error) {
        std::shared_ptr<Core> locked = weak.lock();
        if (error || locked == nullptr || locked->stopped) {
          return;
        }
        TickAndArm(locked);
      });
}

}  // namespace sidecar::container
