#include "agent/forwarder/asio_forwarder.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <utility>

namespace sidecar::forwarder {
namespace {

// How long Drain() waits for a report from the egress thread once the deadline has passed.
constexpr std::chrono::milliseconds kReportGrace(500);

struct DrainWaiter {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  ShutdownReport report;

  void Publish(ShutdownReport value) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      report = value;
      done = true;
    }
    cv.notify_all();
  }
};

}  // namespace

struct AsioForwarder::Core {
  Core(boost::asio::io_context& egress, AsioForwarderOptions options, HttpClient& client,
       const common::Clock& clock, telemetry::Registry& registry, UniformSource uniform)
      : forwarder(std::move(options.forwarder), client, clock, registry, std::move(uniform)),
        timer(egress),
        tick_interval(options.tick_interval) {}

  // Egress thread only.
  Forwarder forwarder;
  boost::asio::steady_timer timer;
  std::chrono::milliseconds tick_interval;
  // Any thread: bytes posted by Submit() and not yet handed to `forwarder`.
  std::atomic<size_t> backlog_bytes{0};
};

AsioForwarder::AsioForwarder(boost::asio::io_context& egress, AsioForwarderOptions options,
                             HttpClient& client, const common::Clock& clock,
                             telemetry::Registry& registry, UniformSource uniform)
    : egress_(egress),
      max_backlog_bytes_(options.max_backlog_bytes),
      core_(std::make_shared<Core>(egress, std::move(options), client, clock, registry,
                                   std::move(uniform))),
      backlog_dropped_transactions_(registry.GetCounter(
          kTransactionsDropped, {{"reason", std::string(kReasonEgressBacklog)}})),
      backlog_dropped_items_(
          registry.GetCounter(kItemsDropped, {{"reason", std::string(kReasonEgressBacklog)}})) {}

AsioForwarder::~AsioForwarder() = default;

void AsioForwarder::Start() {
  boost::asio::post(egress_, [weak = std::weak_ptr<Core>(core_)] {
    if (std::shared_ptr<Core> core = weak.lock()) {
      ArmTimer(core);
    }
  });
}

void AsioForwarder::Submit(Payload payload) {
  const size_t bytes = payload.body.size();
  // Reserve first, then check, so concurrent submitters cannot overshoot the budget together.
  if (core_->backlog_bytes.fetch_add(bytes) + bytes > max_backlog_bytes_) {
    core_->backlog_bytes.fetch_sub(bytes);
    backlog_dropped_transactions_.Add();
    backlog_dropped_items_.Add(payload.item_count);
    return;
  }
  boost::asio::post(
      egress_, [weak = std::weak_ptr<Core>(core_), bytes, payload = std::move(payload)]() mutable {
        if (std::shared_ptr<Core> core = weak.lock()) {
          core->backlog_bytes.fetch_sub(bytes);
          core->forwarder.Submit(std::move(payload));
        }
      });
}

ShutdownReport AsioForwarder::Drain(std::chrono::steady_clock::time_point deadline) {
  if (egress_.get_executor().running_in_this_thread()) {
    // Waiting here would block the very thread that delivers completions.
    core_->forwarder.BeginShutdown(deadline);
    return core_->forwarder.Report();
  }
  auto waiter = std::make_shared<DrainWaiter>();
  boost::asio::post(egress_, [weak = std::weak_ptr<Core>(core_), waiter, deadline] {
    std::shared_ptr<Core> core = weak.lock();
    if (core == nullptr) {
      return;
    }
    core->forwarder.BeginShutdown(deadline);
    core->forwarder.NotifyWhenIdle([weak, waiter] {
      if (std::shared_ptr<Core> idle_core = weak.lock()) {
        waiter->Publish(idle_core->forwarder.Report());
      }
    });
  });
  std::unique_lock<std::mutex> lock(waiter->mutex);
  if (waiter->cv.wait_until(lock, deadline, [&] { return waiter->done; })) {
    return waiter->report;
  }
  lock.unlock();
  // Out of time: take stock of what is still in flight or queued.
  auto late = std::make_shared<DrainWaiter>();
  boost::asio::post(egress_, [weak = std::weak_ptr<Core>(core_), late] {
    if (std::shared_ptr<Core> core = weak.lock()) {
      late->Publish(core->forwarder.Report());
    }
  });
  std::unique_lock<std::mutex> late_lock(late->mutex);
  late->cv.wait_for(late_lock, kReportGrace, [&] { return late->done; });
  return late->report;  // All zero with idle=false if the egress loop is not running.
}

void AsioForwarder::ArmTimer(const std::shared_ptr<Core>& core) {
  core->timer.expires_after(core->tick_interval);
  core->timer.async_wait(
      [weak = std::weak_ptr<Core>(core)](const boost::system::error_code& error) {
        std::shared_ptr<Core> locked = weak.lock();
        if (error || locked == nullptr) {
          return;
        }
        locked->forwarder.Tick();
        ArmTimer(locked);
      });
}

}  // namespace sidecar::forwarder
