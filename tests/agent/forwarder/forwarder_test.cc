#include "agent/forwarder/forwarder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "agent/forwarder/forwarder_stats.h"
#include "tests/testing/fake_http_client.h"
#include "tests/testing/manual_clock.h"

namespace sidecar::forwarder {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHost[] = "7-60-1-app.agent.datadoghq.com";
constexpr char kBaseUrl[] = "https://7-60-1-app.agent.datadoghq.com";
constexpr char kKey[] = "0123456789abcdef0123456789abcdef";

std::optional<std::string> Header(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

Payload Series(std::string body = "series-body", uint64_t items = 3) {
  Payload payload;
  payload.intake = Intake::kMetrics;
  payload.route = "/api/v2/series";
  payload.kind = "series";
  payload.body = std::move(body);
  payload.content_type = "application/x-protobuf";
  payload.content_encoding = "zstd";
  payload.item_count = items;
  return payload;
}

telemetry::Tags SeriesTags(std::string host = kHost) {
  return {{"endpoint", std::move(host)}, {"intake", "metrics"}, {"kind", "series"}};
}

telemetry::Tags With(telemetry::Tags tags, std::string key, std::string value) {
  tags.emplace_back(std::move(key), std::move(value));
  return tags;
}

class ForwarderTest : public ::testing::Test {
 protected:
  ForwarderTest() { options_.endpoints.metrics = {{kBaseUrl, kKey}}; }

  Forwarder& Make() {
    forwarder_ = std::make_unique<Forwarder>(options_, http_, clock_, registry_,
                                             [this] { return uniform_; });
    return *forwarder_;
  }

  std::vector<std::string> SentBodies() const {
    std::vector<std::string> bodies;
    for (const HttpRequest& request : http_.sent()) {
      bodies.push_back(request.body);
    }
    return bodies;
  }

  int64_t Value(std::string_view name, const telemetry::Tags& tags) const {
    return registry_.ValueOf(name, tags);
  }

  ForwarderOptions options_;
  testing::FakeHttpClient http_;
  testing::ManualClock clock_;
  telemetry::Registry registry_;
  double uniform_ = 0.0;  // Backoff at the low end: 2 s after one error.
  std::unique_ptr<Forwarder> forwarder_;
};

TEST_F(ForwarderTest, DualShippingSendsOneRequestPerEndpointAndKey) {
  // §9.2 dual shipping: every payload to every (domain, key).
  options_.endpoints.metrics = {{"https://a.example", "key-a1"},
                                {"https://a.example", "key-a2"},
                                {"https://b.example:8443", "key-b"}};
  Make().Submit(Series());
  ASSERT_EQ(http_.sent().size(), 3u);
  EXPECT_EQ(http_.sent()[0].url, "https://a.example/api/v2/series");
  EXPECT_EQ(Header(http_.sent()[0], "DD-API-KEY"), "key-a1");
  EXPECT_EQ(http_.sent()[1].url, "https://a.example/api/v2/series");
  EXPECT_EQ(Header(http_.sent()[1], "DD-API-KEY"), "key-a2");
  EXPECT_EQ(http_.sent()[2].url, "https://b.example:8443/api/v2/series");
  EXPECT_EQ(Header(http_.sent()[2], "DD-API-KEY"), "key-b");
  EXPECT_EQ(registry_.SumOf(kTransactionsCreated), 3);
  EXPECT_EQ(Value(kTransactionsCreated, SeriesTags("a.example")), 2);
  EXPECT_EQ(Value(kTransactionsCreated, SeriesTags("b.example")), 1);
}

TEST_F(ForwarderTest, MetricsRequestsCarryTheAgentHeaders) {
  // H12: DD-Api-Key, DD-Agent-Version, User-Agent, Content-Type, Content-Encoding,
  // DD-Agent-Payload.
  Payload payload = Series("abc");
  payload.extra_headers = {{"DD-Agent-Payload", "5.0.140"}};
  Make().Submit(std::move(payload));
  ASSERT_EQ(http_.sent().size(), 1u);
  const HttpRequest& request = http_.sent()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, std::string(kBaseUrl) + "/api/v2/series");
  EXPECT_EQ(request.body, "abc");
  EXPECT_EQ(Header(request, "DD-API-KEY"), kKey);
  EXPECT_EQ(Header(request, "User-Agent"), "datadog-agent/7.60.1");
  EXPECT_EQ(Header(request, "DD-Agent-Version"), "7.60.1");
  EXPECT_EQ(Header(request, "Content-Type"), "application/x-protobuf");
  EXPECT_EQ(Header(request, "Content-Encoding"), "zstd");
  EXPECT_EQ(Header(request, "DD-Agent-Payload"), "5.0.140");
}

TEST_F(ForwarderTest, TraceRequestsOmitAgentVersionAndEmptyEncoding) {
  // apm.md §7: no DD-Agent-Version header on traces; per-payload headers are passed through.
  options_.endpoints.traces = {{"https://trace.agent.datadoghq.com", kKey}};
  Payload payload;
  payload.intake = Intake::kTraces;
  payload.route = "/api/v0.2/traces";
  payload.kind = "traces";
  payload.body = "t";
  payload.content_type = "application/x-protobuf";
  payload.extra_headers = {{"X-Datadog-Reported-Languages", "go|nodejs"},
                           {"DD-API-KEY", "must-not-override"}};
  Make().Submit(std::move(payload));
  ASSERT_EQ(http_.sent().size(), 1u);
  const HttpRequest& request = http_.sent()[0];
  EXPECT_EQ(request.url, "https://trace.agent.datadoghq.com/api/v0.2/traces");
  EXPECT_EQ(Header(request, "DD-Agent-Version"), std::nullopt);
  EXPECT_EQ(Header(request, "Content-Encoding"), std::nullopt);
  EXPECT_EQ(Header(request, "X-Datadog-Reported-Languages"), "go|nodejs");
  EXPECT_EQ(Header(request, "DD-API-KEY"), kKey);
}

TEST_F(ForwarderTest, RetriesAfter503AndSucceedsOnTheNextAttempt) {
  // H09 then H10: 503 is retried once the backoff passes; success clears the breaker.
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("s1"));
  http_.ScriptStatus(503);
  ASSERT_TRUE(http_.CompleteNext());
  EXPECT_EQ(Value(kTransactionsRetried, SeriesTags()), 1);
  EXPECT_EQ(Value(kHttpErrors, {{"endpoint", kHost}, {"intake", "metrics"}, {"status", "503"}}), 1);
  EXPECT_EQ(forwarder.retry_queue().size(), 1u);
  EXPECT_EQ(registry_.ValueOf(kRetryQueueBytes), 2);

  clock_.Advance(seconds(5));  // One retry_interval; the 2 s block has passed.
  forwarder.Tick();
  ASSERT_EQ(http_.sent().size(), 2u);
  EXPECT_EQ(http_.sent()[1].body, "s1");
  ASSERT_TRUE(http_.CompleteNext());  // Default 202.
  EXPECT_EQ(Value(kTransactionsSuccess, SeriesTags()), 1);
  EXPECT_EQ(Value(kBytesSent, SeriesTags()), 2);
  EXPECT_EQ(forwarder.circuit_breaker().ErrorCount(http_.sent()[0].url), 0);
  EXPECT_TRUE(forwarder.Idle());
  EXPECT_EQ(registry_.ValueOf(kRetryQueueBytes), 0);
}

TEST_F(ForwarderTest, ForbiddenIsDroppedWithoutRetry) {
  // H08: 403 "API Key invalid" is dropped; nothing is queued or re-sent.
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("s1", 7));
  http_.ScriptStatus(403);
  ASSERT_TRUE(http_.CompleteNext());
  EXPECT_EQ(Value(kTransactionsDropped, With(SeriesTags(), "reason", "403")), 1);
  EXPECT_EQ(Value(kItemsDropped, With(SeriesTags(), "reason", "403")), 7);
  EXPECT_EQ(registry_.SumOf(kTransactionsRetried), 0);
  clock_.Advance(seconds(70));
  forwarder.Tick();
  EXPECT_EQ(http_.sent().size(), 1u);
  EXPECT_TRUE(forwarder.Idle());
}

TEST_F(ForwarderTest, PayloadTooLargeIsDroppedWithoutRetry) {
  // H07: 400 and 413 are dropped.
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("s1"));
  forwarder.Submit(Series("s2"));
  http_.ScriptStatus(413);
  http_.ScriptStatus(400);
  EXPECT_EQ(http_.CompleteAll(), 2);
  EXPECT_EQ(Value(kTransactionsDropped, With(SeriesTags(), "reason", "413")), 1);
  EXPECT_EQ(Value(kTransactionsDropped, With(SeriesTags(), "reason", "400")), 1);
  clock_.Advance(seconds(70));
  forwarder.Tick();
  EXPECT_EQ(http_.sent().size(), 2u);
}

TEST_F(ForwarderTest, BlockedEndpointGetsNoRequestUntilTheBackoffPasses) {
  // H09: blocked 2-4 s after the first error; the uniform source at 1 makes it exactly 4 s.
  uniform_ = 1.0;
  options_.retry_interval = seconds(1);
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("s1"));
  http_.ScriptStatus(503);
  ASSERT_TRUE(http_.CompleteNext());
  forwarder.Submit(Series("s2"));
  forwarder.Submit(Series("s3"));
  for (int second = 1; second <= 3; ++second) {
    clock_.Advance(seconds(1));
    forwarder.Tick();
    EXPECT_EQ(http_.sent().size(), 1u) << "at " << second << " s";
  }
  clock_.Advance(seconds(1));
  forwarder.Tick();
  // One probe only (newest first) while the breaker is half-open.
  ASSERT_EQ(http_.sent().size(), 2u);
  EXPECT_EQ(http_.sent()[1].body, "s3");
  ASSERT_TRUE(http_.CompleteNext());
  clock_.Advance(seconds(1));
  forwarder.Tick();
  EXPECT_THAT(SentBodies(), ElementsAre("s1", "s3", "s2", "s1"));
}

TEST_F(ForwarderTest, RetryQueueOverflowDropsTheOldestAndCountsIt) {
  // H11: oldest transactions dropped once queued payload bytes exceed the cap.
  options_.retry_queue_max_bytes = 250;
  Forwarder& forwarder = Make();
  forwarder.Submit(Series(std::string(100, 'a'), 4));
  http_.ScriptStatus(503);
  ASSERT_TRUE(http_.CompleteNext());
  forwarder.Submit(Series(std::string(100, 'b')));  // Endpoint blocked: straight to the queue.
  EXPECT_EQ(registry_.SumOf(kTransactionsDropped), 0);
  forwarder.Submit(Series(std::string(100, 'c')));
  const telemetry::Tags full = With(SeriesTags(), "reason", "retry_queue_full");
  EXPECT_EQ(Value(kTransactionsDropped, full), 1);
  EXPECT_EQ(Value(kItemsDropped, full), 4);
  EXPECT_EQ(registry_.ValueOf(kRetryQueueBytes), 200);

  clock_.Advance(seconds(5));
  forwarder.Tick();
  ASSERT_TRUE(http_.CompleteNext());
  clock_.Advance(seconds(5));
  forwarder.Tick();
  EXPECT_THAT(SentBodies(),
              ElementsAre(std::string(100, 'a'), std::string(100, 'c'), std::string(100, 'b')));
}

TEST_F(ForwarderTest, InFlightCapParksTransactionsUntilASlotFrees) {
  options_.max_in_flight_per_endpoint = 2;
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("s1"));
  forwarder.Submit(Series("s2"));
  forwarder.Submit(Series("s3"));
  EXPECT_EQ(http_.sent().size(), 2u);
  EXPECT_EQ(registry_.ValueOf(kInFlight), 2);
  ASSERT_TRUE(http_.CompleteNext());
  EXPECT_THAT(SentBodies(), ElementsAre("s1", "s2", "s3"));
  EXPECT_EQ(http_.CompleteAll(), 2);
  EXPECT_EQ(registry_.ValueOf(kInFlight), 0);
  EXPECT_EQ(Value(kTransactionsSuccess, SeriesTags()), 3);
}

TEST_F(ForwarderTest, ParkedTransactionsAreChargedToTheirShareAndQueueForRetryWithoutRoom) {
  runtime::MemoryAccount account(0);
  runtime::MemoryShare& pending = account.AddShare("forwarder.pending", 2);
  options_.max_in_flight_per_endpoint = 1;
  options_.pending_share = &pending;
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("s1"));
  forwarder.Submit(Series("s2"));  // Parked: charged.
  forwarder.Submit(Series("s3"));  // No room left in the share: to the retry queue.
  EXPECT_EQ(pending.used(), 2u);
  EXPECT_EQ(forwarder.retry_queue().size(), 1u);
  ASSERT_TRUE(http_.CompleteNext());  // s1 done: s2 leaves the parking and its charge goes.
  EXPECT_EQ(pending.used(), 0u);
  EXPECT_THAT(SentBodies(), ElementsAre("s1", "s2"));
  ASSERT_TRUE(http_.CompleteNext());
  clock_.Advance(seconds(5));
  forwarder.Tick();
  EXPECT_THAT(SentBodies(), ElementsAre("s1", "s2", "s3"));
  forwarder.Submit(Series("s4"));  // s3 in flight: s4 parks, and the forwarder's end frees it.
  EXPECT_EQ(pending.used(), 2u);
  forwarder_.reset();
  EXPECT_EQ(pending.used(), 0u);
}

TEST_F(ForwarderTest, TracesAreDroppedOnceRetriesAreExhausted) {
  // apm.md §7 / W2: dropped after max_sender_retries.
  options_.endpoints.traces = {{"https://trace.agent.datadoghq.com", kKey}};
  options_.traces_max_retries = 1;
  Forwarder& forwarder = Make();
  Payload payload;
  payload.intake = Intake::kTraces;
  payload.route = "/api/v0.2/traces";
  payload.kind = "traces";
  payload.body = "t";
  payload.item_count = 5;
  forwarder.Submit(std::move(payload));
  http_.SetDefaultStatus(500);
  ASSERT_TRUE(http_.CompleteNext());
  clock_.Advance(seconds(5));
  forwarder.Tick();
  ASSERT_TRUE(http_.CompleteNext());
  const telemetry::Tags tags{{"endpoint", "trace.agent.datadoghq.com"},
                             {"intake", "traces"},
                             {"kind", "traces"},
                             {"reason", "retries_exhausted"}};
  EXPECT_EQ(Value(kTransactionsDropped, tags), 1);
  EXPECT_EQ(Value(kItemsDropped, tags), 5);
  clock_.Advance(seconds(70));
  forwarder.Tick();
  EXPECT_EQ(http_.sent().size(), 2u);
}

TEST_F(ForwarderTest, PayloadForAnIntakeWithoutEndpointsIsCountedAsDropped) {
  Make().Submit(Series("s1", 2));
  Payload logs;
  logs.intake = Intake::kLogs;
  logs.kind = "logs";
  logs.item_count = 9;
  forwarder_->Submit(std::move(logs));
  EXPECT_EQ(http_.sent().size(), 1u);
  const telemetry::Tags tags{{"intake", "logs"}, {"kind", "logs"}, {"reason", "no_endpoint"}};
  EXPECT_EQ(Value(kTransactionsDropped, tags), 1);
  EXPECT_EQ(Value(kItemsDropped, tags), 9);
}

TEST_F(ForwarderTest, ShutdownSendsQueuedTransactionsDespiteTheBlock) {
  uniform_ = 1.0;
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("s1"));
  http_.ScriptStatus(503);
  ASSERT_TRUE(http_.CompleteNext());
  forwarder.Submit(Series("s2"));
  ASSERT_EQ(http_.sent().size(), 1u);  // Blocked for 4 s.

  forwarder.BeginShutdown(clock_.SteadyNow() + seconds(2));
  EXPECT_EQ(http_.sent().size(), 3u);
  EXPECT_FALSE(forwarder.Idle());
  EXPECT_EQ(http_.CompleteAll(), 2);
  EXPECT_TRUE(forwarder.Idle());
  ShutdownReport report = forwarder.Report();
  EXPECT_TRUE(report.idle);
  EXPECT_EQ(report.transactions_sent, 2u);
  EXPECT_EQ(report.transactions_failed_at_stop, 0u);
  EXPECT_EQ(report.bytes_undelivered, 0u);
}

TEST_F(ForwarderTest, ShutdownReportCountsFailuresAndWhatIsStillInFlight) {
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("aaaa"));
  forwarder.Submit(Series("bbbbbb"));
  forwarder.BeginShutdown(clock_.SteadyNow() + seconds(2));
  http_.ScriptStatus(503);
  ASSERT_TRUE(http_.CompleteNext());  // "aaaa" fails: no retry during shutdown.
  EXPECT_EQ(forwarder.retry_queue().size(), 0u);
  clock_.Advance(seconds(3));
  forwarder.Submit(Series("late"));  // After the deadline: never sent.
  EXPECT_EQ(http_.sent().size(), 2u);

  ShutdownReport report = forwarder.Report();
  EXPECT_FALSE(report.idle);  // "bbbbbb" is still in flight.
  EXPECT_EQ(report.transactions_sent, 0u);
  EXPECT_EQ(report.transactions_failed_at_stop, 3u);
  EXPECT_EQ(report.bytes_undelivered, 4u + 6u + 4u);
  EXPECT_EQ(Value(kTransactionsDropped, With(SeriesTags(), "reason", "shutdown")), 2);
}

TEST_F(ForwarderTest, IdleCallbackRunsOnceTheLastRequestCompletes) {
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("s1"));
  int calls = 0;
  forwarder.BeginShutdown(clock_.SteadyNow() + seconds(2));
  forwarder.NotifyWhenIdle([&] { ++calls; });
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(http_.CompleteNext());
  EXPECT_EQ(calls, 1);
}

TEST_F(ForwarderTest, CompletionAfterDestructionIsIgnored) {
  Make().Submit(Series("s1"));
  forwarder_.reset();
  EXPECT_EQ(http_.CompleteAll(), 1);  // Must not touch the destroyed forwarder (ASan checks).
  EXPECT_EQ(registry_.SumOf(kTransactionsSuccess), 0);
}

class ForwarderLogTest : public ForwarderTest {
 protected:
  ForwarderLogTest() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    spdlog::drop("forwarder");
    spdlog::register_logger(std::make_shared<spdlog::logger>("forwarder", sink));
  }
  ~ForwarderLogTest() override { spdlog::drop("forwarder"); }

  std::ostringstream log_;
};

TEST_F(ForwarderLogTest, LogsHintsButNeverTheApiKey) {
  options_.endpoints.metrics = {{"https://user:" + std::string(kKey) + "@proxy.example", kKey}};
  Forwarder& forwarder = Make();
  forwarder.Submit(Series("s1"));
  forwarder.Submit(Series("s2"));
  forwarder.Submit(Series("s3"));
  http_.ScriptStatus(403);
  http_.ScriptStatus(404);
  http_.ScriptTransportError("connection refused");
  EXPECT_EQ(http_.CompleteAll(), 3);
  const std::string log = log_.str();
  EXPECT_THAT(log, HasSubstr("API key invalid: check DD_API_KEY"));  // H08 hint.
  EXPECT_THAT(log, HasSubstr("DD_SITE"));                            // 404 hint.
  EXPECT_THAT(log, HasSubstr("connection refused"));
  EXPECT_THAT(log, Not(HasSubstr(kKey)));
  EXPECT_THAT(log, Not(HasSubstr("abcdef")));  // Not even the key's tail.
  for (const telemetry::MetricValue& metric : registry_.Collect()) {
    for (const auto& [tag, value] : metric.tags) {
      EXPECT_THAT(value, Not(HasSubstr("abcdef"))) << metric.name << " " << tag;
    }
  }
}

TEST_F(ForwarderLogTest, DropLogIsRateLimitedPerStatus) {
  options_.log_interval = seconds(60);
  Forwarder& forwarder = Make();
  auto count_lines = [&] {
    const std::string log = log_.str();
    size_t count = 0;
    for (size_t at = log.find("status=403"); at != std::string::npos;
         at = log.find("status=403", at + 1)) {
      ++count;
    }
    return count;
  };
  http_.SetDefaultStatus(403);
  forwarder.Submit(Series("s1"));
  forwarder.Submit(Series("s2"));
  http_.CompleteAll();
  EXPECT_EQ(count_lines(), 1u);
  clock_.Advance(seconds(61));
  forwarder.Submit(Series("s3"));
  http_.CompleteAll();
  EXPECT_EQ(count_lines(), 2u);
  EXPECT_EQ(Value(kTransactionsDropped, With(SeriesTags(), "reason", "403")), 3);
}

TEST(EndpointHostTest, KeepsOnlyTheHostName) {
  EXPECT_EQ(EndpointHost("https://7-60-1-app.agent.datadoghq.com"), kHost);
  EXPECT_EQ(EndpointHost("http://proxy:8080/base"), "proxy");
  EXPECT_EQ(EndpointHost("https://user:secret@host.example:443/x"), "host.example");
  EXPECT_EQ(EndpointHost("http://[::1]:8080"), "[::1]");
}

}  // namespace
}  // namespace sidecar::forwarder
