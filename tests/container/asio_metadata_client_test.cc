// AsioEcsMetadataClient over loopback: the real CurlHttpClient against FakeEcsMetadataServer,
// on an egress io_context thread, as the agent wires it.
#include "container/asio_metadata_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/forwarder/curl_http_client.h"
#include "tests/testing/fake_ecs_metadata_server.h"
#include "tests/testing/testdata.h"

namespace sidecar::container {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Runs an io_context on its own thread, like the runtime's egress loop.
class EgressThread {
 public:
  EgressThread() : thread_([this] { context_.run(); }) {}
  ~EgressThread() { Stop(); }
  void Stop() {
    work_.reset();
    context_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  boost::asio::io_context& context() { return context_; }

 private:
  boost::asio::io_context context_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      boost::asio::make_work_guard(context_)};
  std::thread thread_;
};

// What the callbacks saw, shared between the egress thread and the test.
struct Observed {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> tasks;
  std::vector<std::string> containers;
  int stats_ok = 0;

  template <typename Predicate>
  bool WaitFor(Predicate predicate, milliseconds timeout = milliseconds(10'000)) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return predicate(*this); });
  }
};

std::string Fixture(std::string_view name) {
  absl::StatusOr<std::string> text =
      testing::ReadFileToString(testing::TestdataPath(std::string("ecs/") + std::string(name)));
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

TEST(AsioEcsMetadataClientTest, RecoversFromServerErrorsOverLoopback) {
  absl::StatusOr<std::unique_ptr<testing::FakeEcsMetadataServer>> server =
      testing::FakeEcsMetadataServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->LoadFixtures(testing::EcsFlavor::kFargate).ok());
  (*server)->FailNext(500, 4);  // Two task/container rounds fail.

  EgressThread egress;
  forwarder::CurlHttpClientOptions http_options;
  http_options.no_proxy = "127.0.0.1,localhost";
  absl::StatusOr<std::unique_ptr<forwarder::CurlHttpClient>> http =
      forwarder::CurlHttpClient::Create(http_options, [&](absl::AnyInvocable<void()> task) {
        boost::asio::post(egress.context(), std::move(task));
      });
  ASSERT_TRUE(http.ok()) << http.status();

  common::SystemClock clock;
  telemetry::Registry registry;
  Observed observed;
  EcsMetadataCallbacks callbacks;
  callbacks.on_task_document = [&](std::string task, std::string container) {
    std::lock_guard<std::mutex> lock(observed.mutex);
    observed.tasks.push_back(std::move(task));
    observed.containers.push_back(std::move(container));
    observed.changed.notify_all();
  };
  callbacks.on_task_stats = [&](absl::StatusOr<TaskStatsSample> sample) {
    std::lock_guard<std::mutex> lock(observed.mutex);
    observed.stats_ok += sample.ok() && sample->stats_json == Fixture("fargate_task_stats.json");
    observed.changed.notify_all();
  };

  AsioEcsMetadataClientOptions options;
  options.tick_interval = milliseconds(20);
  options.client.endpoint = MetadataEndpoint{MetadataVersion::kV4, (*server)->base_url()};
  options.client.retry_backoff.base = milliseconds(20);
  options.client.min_request_interval = milliseconds(10);
  {
    AsioEcsMetadataClient client(egress.context(), options, std::move(callbacks), **http, clock,
                                 registry, forwarder::DefaultUniformSource());
    EXPECT_EQ(client.Health().state, MetadataState::kStarting);
    client.Start();

    ASSERT_TRUE(observed.WaitFor([](Observed& o) { return !o.tasks.empty() && o.stats_ok > 0; }));
    {
      std::lock_guard<std::mutex> lock(observed.mutex);
      ASSERT_EQ(observed.tasks.size(), 1u);
      EXPECT_EQ(observed.tasks[0], Fixture("fargate_task.json"));
      EXPECT_EQ(observed.containers[0], Fixture("fargate_container.json"));
    }
    EXPECT_GE((*server)->RequestCount("/task"), 3);  // Two 500s, then the document.
    EXPECT_EQ(registry.ValueOf(kMetadataRequests, {{"path", "task"}, {"result", "http_error"}}), 2);
    EXPECT_GE(registry.ValueOf(kMetadataRequests, {{"path", "task"}, {"result", "ok"}}), 1);
    // Health is published after each tick.
    const auto ready_by = std::chrono::steady_clock::now() + seconds(5);
    while (client.Health().state != MetadataState::kReady &&
           std::chrono::steady_clock::now() < ready_by) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    EXPECT_EQ(client.Health().state, MetadataState::kReady);
    EXPECT_TRUE(client.Health().last_success.has_value());

    client.Stop();
    (*http)->Drain(std::chrono::steady_clock::now() + seconds(2));
    egress.Stop();  // The client is destroyed after its loop stopped.
  }
}

}  // namespace
}  // namespace sidecar::container
