// The production upstream path (AsioForwarder + CurlHttpClient on a real egress thread) against the
// fake intake over real HTTP: delivery, retries through intake faults, dual shipping, shutdown
// drain.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "agent/common/asio.h"
#include "agent/common/clock.h"
#include "agent/forwarder/asio_forwarder.h"
#include "agent/forwarder/compression.h"
#include "agent/forwarder/curl_http_client.h"
#include "agent/telemetry/registry.h"
#include "tests/testing/fake_intake.h"

namespace sidecar::integration {
namespace {

using ::testing::Eq;

constexpr char kKeyA[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
constexpr char kKeyB[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2";
constexpr auto kWait = std::chrono::seconds(10);

// Everything the production wiring builds, pointed at the given endpoints, with short backoff so a
// retry happens within a test's patience.
class Upstream {
 public:
  explicit Upstream(forwarder::IntakeEndpoints endpoints) {
    auto client = forwarder::CurlHttpClient::Create({}, [this](absl::AnyInvocable<void()> task) {
      boost::asio::post(egress_, std::move(task));
    });
    EXPECT_TRUE(client.ok());
    client_ = std::move(*client);
    forwarder::AsioForwarderOptions options;
    options.forwarder.endpoints = std::move(endpoints);
    options.forwarder.backoff.base = std::chrono::milliseconds(50);
    options.forwarder.backoff.max = std::chrono::milliseconds(200);
    options.forwarder.retry_interval = std::chrono::milliseconds(50);
    options.tick_interval = std::chrono::milliseconds(20);
    forwarder_ =
        std::make_unique<forwarder::AsioForwarder>(egress_, std::move(options), *client_, clock_,
                                                   registry_, forwarder::DefaultUniformSource());
    forwarder_->Start();
    thread_ = std::thread([this] { egress_.run(); });
  }

  ~Upstream() {
    if (!drained_) {
      Drain(std::chrono::seconds(5));
    }
  }

  forwarder::ShutdownReport Drain(std::chrono::seconds within) {
    drained_ = true;
    const auto deadline = std::chrono::steady_clock::now() + within;
    forwarder::ShutdownReport report = forwarder_->Drain(deadline);
    client_->Drain(deadline);
    guard_.reset();
    egress_.stop();
    thread_.join();
    return report;
  }

  forwarder::AsioForwarder& forwarder() { return *forwarder_; }
  telemetry::Registry& registry() { return registry_; }

 private:
  boost::asio::io_context egress_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(egress_);
  common::SystemClock clock_;
  telemetry::Registry registry_;
  std::unique_ptr<forwarder::CurlHttpClient> client_;
  std::unique_ptr<forwarder::AsioForwarder> forwarder_;
  std::thread thread_;
  bool drained_ = false;
};

forwarder::IntakeEndpoints MetricsTo(std::vector<forwarder::Endpoint> endpoints) {
  forwarder::IntakeEndpoints all;
  all.metrics = std::move(endpoints);
  return all;
}

forwarder::Payload JsonPayload(std::string json) {
  forwarder::Payload payload;
  payload.intake = forwarder::Intake::kMetrics;
  payload.route = "/api/v1/check_run";
  payload.kind = "check_run";
  payload.content_type = "application/json";
  payload.content_encoding = "zstd";
  payload.body = *forwarder::Compress(forwarder::CompressionKind::kZstd, json);
  payload.item_count = 1;
  return payload;
}

TEST(ForwarderIntakeTest, DeliversCompressedPayloadWithAgentHeaders) {
  auto intake = *testing::FakeIntake::Start();
  Upstream upstream(MetricsTo({{intake->base_url(), kKeyA}}));
  upstream.forwarder().Submit(JsonPayload(R"([{"check":"app.ok","status":0}])"));
  ASSERT_TRUE(intake->WaitForRequests("/api/v1/check_run", 1, kWait));
  const auto request = intake->RequestsTo("/api/v1/check_run")[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.Header("DD-API-KEY"), kKeyA);  // H12
  EXPECT_EQ(request.Header("Content-Encoding"), "zstd");
  EXPECT_EQ(request.Header("Content-Type"), "application/json");
  EXPECT_EQ(request.Header("User-Agent"), "datadog-agent/7.60.1");
  EXPECT_EQ(request.Header("DD-Agent-Version"), "7.60.1");
  EXPECT_EQ(request.decoded[0]["check"], "app.ok");
  const auto report = upstream.Drain(std::chrono::seconds(5));
  EXPECT_TRUE(report.idle);
  EXPECT_EQ(report.transactions_failed_at_stop, 0u);
}

// H09: a 503 burst is retried until the intake recovers; the payload lands exactly once.
TEST(ForwarderIntakeTest, RetriesThroughAnOutageAndDeliversOnce) {
  auto intake = *testing::FakeIntake::Start();
  intake->FailNext(503, 2);
  Upstream upstream(MetricsTo({{intake->base_url(), kKeyA}}));
  upstream.forwarder().Submit(JsonPayload(R"([{"check":"retry.me","status":1}])"));
  ASSERT_TRUE(intake->WaitForRequests("/api/v1/check_run", 3, kWait));
  const auto report = upstream.Drain(std::chrono::seconds(5));
  const auto requests = intake->RequestsTo("/api/v1/check_run");
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].status, 503);
  EXPECT_EQ(requests[1].status, 503);
  EXPECT_EQ(requests[2].status, 202);
  EXPECT_EQ(requests[2].decoded[0]["check"], "retry.me");
  EXPECT_TRUE(report.idle);
  EXPECT_EQ(upstream.registry().SumOf("forwarder.transactions_success"), 1);
}

// H07/H08: 403 and 413 are dropped at once, counted, never retried.
TEST(ForwarderIntakeTest, DropsForbiddenPayloadWithoutRetrying) {
  auto intake = *testing::FakeIntake::Start();
  intake->FailNext(403, 1);
  Upstream upstream(MetricsTo({{intake->base_url(), kKeyA}}));
  upstream.forwarder().Submit(JsonPayload("[]"));
  ASSERT_TRUE(intake->WaitForRequests("/api/v1/check_run", 1, kWait));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // Several retry intervals.
  upstream.Drain(std::chrono::seconds(5));
  EXPECT_EQ(intake->RequestsTo("/api/v1/check_run").size(), 1u);
  EXPECT_EQ(upstream.registry().SumOf("forwarder.transactions_dropped"), 1);
}

// Dual shipping: every payload goes to every (endpoint, key).
TEST(ForwarderIntakeTest, DualShipsToEveryEndpointAndKey) {
  auto main_intake = *testing::FakeIntake::Start();
  auto mirror = *testing::FakeIntake::Start();
  Upstream upstream(MetricsTo({{main_intake->base_url(), kKeyA},
                               {mirror->base_url(), kKeyA},
                               {mirror->base_url(), kKeyB}}));
  upstream.forwarder().Submit(JsonPayload("[]"));
  ASSERT_TRUE(main_intake->WaitForRequests("/api/v1/check_run", 1, kWait));
  ASSERT_TRUE(mirror->WaitForRequests("/api/v1/check_run", 2, kWait));
  upstream.Drain(std::chrono::seconds(5));
  std::vector<std::string> mirror_keys;
  for (const auto& request : mirror->RequestsTo("/api/v1/check_run")) {
    mirror_keys.push_back(request.Header("DD-API-KEY"));
  }
  std::sort(mirror_keys.begin(), mirror_keys.end());
  EXPECT_THAT(mirror_keys, ::testing::ElementsAre(kKeyA, kKeyB));
  EXPECT_EQ(main_intake->RequestsTo("/api/v1/check_run").size(), 1u);
}

// Shutdown against an intake that never answers: Drain returns by the deadline and reports the
// undelivered transaction instead of hanging or claiming success.
TEST(ForwarderIntakeTest, DrainReportsWhatAStalledIntakeDidNotTake) {
  auto intake = *testing::FakeIntake::Start();
  intake->StallNext(100);
  Upstream upstream(MetricsTo({{intake->base_url(), kKeyA}}));
  upstream.forwarder().Submit(JsonPayload("[]"));
  ASSERT_TRUE(intake->WaitForRequests("/api/v1/check_run", 1, kWait));
  const auto begin = std::chrono::steady_clock::now();
  const auto report = upstream.Drain(std::chrono::seconds(1));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
  EXPECT_THAT(report.transactions_failed_at_stop, Eq(1u));
  EXPECT_GT(report.bytes_undelivered, 0u);
  intake->Stop();
}

}  // namespace
}  // namespace sidecar::integration
