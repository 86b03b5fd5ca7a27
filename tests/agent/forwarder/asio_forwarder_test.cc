#include "agent/forwarder/asio_forwarder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include "agent/forwarder/forwarder_stats.h"
#include "tests/testing/fake_http_client.h"
#include "tests/testing/manual_clock.h"

namespace sidecar::forwarder {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Payload Series(std::string body, uint64_t items = 1) {
  Payload payload;
  payload.intake = Intake::kMetrics;
  payload.route = "/api/v2/series";
  payload.kind = "series";
  payload.body = std::move(body);
  payload.item_count = items;
  return payload;
}

AsioForwarderOptions Options() {
  AsioForwarderOptions options;
  options.forwarder.endpoints.metrics = {{"https://intake.example", "key"}};
  return options;
}

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
      context_.get_executor()};
  std::thread thread_;
};

TEST(AsioForwarderTest, SubmitFromAnotherThreadIsSentOnTheEgressContext) {
  boost::asio::io_context egress;
  testing::FakeHttpClient http;
  common::SystemClock clock;
  telemetry::Registry registry;
  AsioForwarder forwarder(egress, Options(), http, clock, registry, [] { return 0.0; });
  std::thread producer([&] { forwarder.Submit(Series("from-producer")); });
  producer.join();
  EXPECT_TRUE(http.sent().empty());  // Nothing runs until the egress context does.
  egress.poll();
  ASSERT_EQ(http.sent().size(), 1u);
  EXPECT_EQ(http.sent()[0].body, "from-producer");
}

TEST(AsioForwarderTest, BacklogOverBudgetIsDroppedAndCounted) {
  boost::asio::io_context egress;
  testing::FakeHttpClient http;
  common::SystemClock clock;
  telemetry::Registry registry;
  AsioForwarderOptions options = Options();
  options.max_backlog_bytes = 150;
  AsioForwarder forwarder(egress, options, http, clock, registry, [] { return 0.0; });
  forwarder.Submit(Series(std::string(100, 'a'), 2));
  forwarder.Submit(Series(std::string(100, 'b'), 5));  // Would make 200 bytes waiting.
  const telemetry::Tags tags{{"reason", "egress_backlog"}};
  EXPECT_EQ(registry.ValueOf(kTransactionsDropped, tags), 1);
  EXPECT_EQ(registry.ValueOf(kItemsDropped, tags), 5);
  egress.poll();
  forwarder.Submit(Series(std::string(100, 'c')));  // Backlog drained: accepted again.
  egress.restart();  // poll() stopped the context when it ran out of work.
  egress.poll();
  ASSERT_EQ(http.sent().size(), 2u);
  EXPECT_EQ(http.sent()[0].body, std::string(100, 'a'));
  EXPECT_EQ(http.sent()[1].body, std::string(100, 'c'));
}

TEST(AsioForwarderTest, TickTimerRetriesQueuedTransactions) {
  boost::asio::io_context egress;
  testing::FakeHttpClient http;
  testing::ManualClock clock;
  telemetry::Registry registry;
  AsioForwarderOptions options = Options();
  options.tick_interval = milliseconds(5);
  AsioForwarder forwarder(egress, options, http, clock, registry, [] { return 0.0; });
  forwarder.Start();
  forwarder.Submit(Series("s1"));
  egress.poll();
  http.ScriptStatus(503);
  ASSERT_TRUE(http.CompleteNext());
  egress.run_for(milliseconds(30));  // Ticks, but the forwarder's clock has not moved.
  EXPECT_EQ(http.sent().size(), 1u);
  clock.Advance(seconds(5));
  for (int i = 0; i < 200 && http.sent().size() < 2; ++i) {
    egress.run_for(milliseconds(10));
  }
  EXPECT_EQ(http.sent().size(), 2u);
}

TEST(AsioForwarderTest, DrainFromAnotherThreadWaitsUntilIdle) {
  testing::FakeHttpClient http;
  common::SystemClock clock;
  telemetry::Registry registry;
  EgressThread egress;
  http.SetAutoCompleteExecutor(
      [&](std::function<void()> complete) { boost::asio::post(egress.context(), complete); });
  AsioForwarder forwarder(egress.context(), Options(), http, clock, registry, [] { return 0.0; });
  forwarder.Start();
  forwarder.Submit(Series("s1"));
  forwarder.Submit(Series("s2"));
  const auto start = std::chrono::steady_clock::now();
  ShutdownReport report = forwarder.Drain(start + seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  EXPECT_TRUE(report.idle);
  EXPECT_EQ(report.transactions_sent, 2u);
  EXPECT_EQ(report.transactions_failed_at_stop, 0u);
  egress.Stop();
  EXPECT_EQ(http.sent().size(), 2u);
}

TEST(AsioForwarderTest, DrainGivesUpAtTheDeadlineAndReportsUndelivered) {
  testing::FakeHttpClient http;  // Never completes: the request hangs.
  common::SystemClock clock;
  telemetry::Registry registry;
  EgressThread egress;
  AsioForwarder forwarder(egress.context(), Options(), http, clock, registry, [] { return 0.0; });
  forwarder.Submit(Series(std::string(100, 'x')));
  const auto start = std::chrono::steady_clock::now();
  ShutdownReport report = forwarder.Drain(start + milliseconds(200));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
  EXPECT_FALSE(report.idle);
  EXPECT_EQ(report.transactions_failed_at_stop, 1u);
  EXPECT_EQ(report.bytes_undelivered, 100u);
  egress.Stop();
}

}  // namespace
}  // namespace sidecar::forwarder
