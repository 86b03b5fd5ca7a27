// The receiver's HTTP surface against a recording consumer: status codes, headers and bodies of
// apm.md §1 (cases R1–R17, R22), over real sockets.
#include "apm/receiver.h"

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "agent/common/asio.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/http_test_client.h"

namespace sidecar::apm {
namespace {

using ::testing::HasSubstr;
using testing::HttpTestReply;
using testing::HttpTestRequest;
using testing::SendHttp;

class RecordingConsumer : public TraceConsumer {
 public:
  void ConsumeTraces(ArenaPayload payload, TracerInfo info, std::function<void()> done) override {
    std::lock_guard lock(mutex_);
    payloads_.push_back(*payload);
    infos_.push_back(std::move(info));
    if (hold_slots_) {
      held_.push_back(std::move(done));
    } else {
      done();
    }
  }
  absl::Status ConsumeClientStats(std::string_view body, const TracerInfo& info) override {
    std::lock_guard lock(mutex_);
    stats_bodies_.emplace_back(body);
    infos_.push_back(info);
    return body == "bad" ? absl::InvalidArgumentError("cannot decode stats") : absl::OkStatus();
  }
  std::shared_ptr<const RatesBody> Rates() const override {
    return std::make_shared<RatesBody>(
        RatesBody{R"({"rate_by_service":{"service:,env:":0.5}})", "v7"});
  }
  void HoldSlots() {
    std::lock_guard lock(mutex_);
    hold_slots_ = true;
  }
  void ReleaseHeld() {
    std::vector<std::function<void()>> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
      hold_slots_ = false;
    }
    for (auto& done : held) done();
  }
  size_t PayloadCount() {
    std::lock_guard lock(mutex_);
    return payloads_.size();
  }
  TracerPayload Payload(size_t i) {
    std::lock_guard lock(mutex_);
    return payloads_.at(i);
  }
  TracerInfo Info(size_t i) {
    std::lock_guard lock(mutex_);
    return infos_.at(i);
  }
  std::vector<std::string> StatsBodies() {
    std::lock_guard lock(mutex_);
    return stats_bodies_;
  }

 private:
  std::mutex mutex_;
  bool hold_slots_ = false;
  std::vector<TracerPayload> payloads_;
  std::vector<TracerInfo> infos_;
  std::vector<std::function<void()>> held_;
  std::vector<std::string> stats_bodies_;
};

class ReceiverTest : public ::testing::Test {
 protected:
  void StartReceiver(ReceiverOptions options = {}) {
    options.port = 0;
    ApmConfig config;
    receiver_ = std::make_unique<Receiver>(
        ingress_, compute_, options, BuildInfoDocument(config, 8125, {}), consumer_, registry_);
    ASSERT_TRUE(receiver_->Start().ok());
    thread_ = std::thread([this] { ingress_.run(); });
  }
  void TearDown() override {
    if (receiver_) receiver_->Close();
    consumer_.ReleaseHeld();
    guard_.reset();
    ingress_.stop();
    if (thread_.joinable()) thread_.join();
    compute_.join();
  }
  HttpTestReply Post(const std::string& target, const std::string& body,
                     std::vector<std::pair<std::string, std::string>> headers = {},
                     const std::string& method = "PUT") {
    HttpTestRequest request;
    request.method = method;
    request.target = target;
    request.headers = std::move(headers);
    request.body = body;
    auto reply = SendHttp(receiver_->Port(), request);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : HttpTestReply{};
  }

  boost::asio::io_context ingress_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          ingress_.get_executor());
  boost::asio::thread_pool compute_{1};
  RecordingConsumer consumer_;
  telemetry::Registry registry_;
  std::unique_ptr<Receiver> receiver_;
  std::thread thread_;
};

const std::string kMsgpackEmptyArray("\x90", 1);

TEST_F(ReceiverTest, R1_BodyOverTheLimitIs413) {
  ReceiverOptions options;
  options.max_request_bytes = 2;
  StartReceiver(options);
  EXPECT_EQ(Post("/v0.4/traces", "[]", {{"Content-Type", "application/json"}}).status, 200);
  EXPECT_EQ(Post("/v0.4/traces", " []", {{"Content-Type", "application/json"}}).status, 413);
}

TEST_F(ReceiverTest, R2_MsgpackToV02Is415V03AnswersOkV04AnswersRates) {
  StartReceiver();
  const std::pair<std::string, std::string> msgpack{"Content-Type", "application/msgpack"};
  EXPECT_EQ(Post("/v0.2/traces", kMsgpackEmptyArray, {msgpack}).status, 415);
  const HttpTestReply v03 = Post("/v0.3/traces", kMsgpackEmptyArray, {msgpack});
  EXPECT_EQ(v03.status, 200);
  EXPECT_EQ(v03.body, "OK\n");
  const HttpTestReply v04 = Post("/v0.4/traces", kMsgpackEmptyArray, {msgpack});
  EXPECT_EQ(v04.status, 200);
  EXPECT_EQ(v04.Header("content-type"), "application/json");
  EXPECT_THAT(v04.body, HasSubstr("\"rate_by_service\""));
}

TEST_F(ReceiverTest, R4_InvalidJsonIs400AndDropsTheAnnouncedTraces) {
  StartReceiver();
  const std::pair<std::string, std::string> json{"Content-Type", "application/json"};
  EXPECT_EQ(Post("/v0.4/traces", "} invalid json", {json}).status, 400);
  EXPECT_EQ(registry_.SumOf("datadog.trace_agent.receiver.traces_dropped"), 0);
  EXPECT_EQ(Post("/v0.4/traces", "} invalid json", {json, {"X-Datadog-Trace-Count", "10"}}).status,
            400);
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.receiver.traces_dropped",
                              {{"reason", "decoding_error"}}),
            10);
  EXPECT_EQ(consumer_.PayloadCount(), 0u);
}

TEST_F(ReceiverTest, R5_CrossSiteBrowserRequestsAre403) {
  StartReceiver();
  EXPECT_EQ(Post("/v0.4/traces", "[]", {{"Sec-Fetch-Site", "cross-site"}}).status, 403);
}

TEST_F(ReceiverTest, R6_BodyShorterThanContentLengthIs400) {
  StartReceiver();
  const std::string request =
      "PUT /v0.5/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/msgpack\r\n"
      "X-Datadog-Trace-Count: 3\r\nContent-Length: 270\r\n\r\n"
      "\x92\x91\xa5"
      "abcde";
  auto reply = testing::SendRawHttp(receiver_->Port(), request, /*half_close=*/true,
                                    std::chrono::seconds(5));
  ASSERT_TRUE(reply.ok());
  EXPECT_THAT(*reply, HasSubstr("HTTP/1.1 400"));
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.receiver.traces_dropped",
                              {{"reason", "unexpected_eof"}}),
            3);
}

TEST_F(ReceiverTest, R7_TraceCountHeaderIsOptional) {
  StartReceiver();
  EXPECT_EQ(Post("/v0.4/traces", "[]", {{"X-Datadog-Trace-Count", ""}}).status, 200);
  EXPECT_EQ(Post("/v0.4/traces", "[]", {{"X-Datadog-Trace-Count", "qwe"}}).status, 200);
}

TEST_F(ReceiverTest, R9_EmptyV05PayloadAnswersRates) {
  StartReceiver();
  const HttpTestReply reply = Post("/v0.5/traces", std::string("\x92\x90\x90", 3), {}, "POST");
  EXPECT_EQ(reply.status, 200);
  EXPECT_THAT(reply.body, HasSubstr("\"rate_by_service\""));
  EXPECT_EQ(consumer_.PayloadCount(), 1u);
}

TEST_F(ReceiverTest, R11_EveryTraceResponseCarriesVersionAndState) {
  StartReceiver();
  for (const std::string target :
       {"/v0.3/traces", "/v0.4/traces", "/v0.5/traces", "/v0.7/traces"}) {
    for (const std::string& body : {std::string("[]"), std::string("\xc1", 1)}) {
      const HttpTestReply reply = Post(target, body, {{"Content-Type", "application/msgpack"}});
      EXPECT_FALSE(reply.Header("datadog-agent-version").empty()) << target << " " << reply.status;
      EXPECT_EQ(reply.Header("datadog-agent-state").size(), 64u) << target;
    }
  }
}

TEST_F(ReceiverTest, R12_R13_HeadersReachTheConsumer) {
  StartReceiver();
  Post("/v0.4/traces", "[]",
       {{"Datadog-Meta-Lang", "nodejs"},
        {"Datadog-Meta-Lang-Version", "v20.1.0"},
        {"Datadog-Meta-Tracer-Version", "5.1.0"},
        {"Datadog-Container-ID", "abc123"},
        {"Datadog-Client-Computed-Stats", "yes"},
        {"Datadog-Client-Computed-Top-Level", "false"},
        {"Datadog-Client-Dropped-P0-Traces", "153"},
        {"Datadog-Client-Dropped-P0-Spans", "2331"}});
  ASSERT_EQ(consumer_.PayloadCount(), 1u);
  const TracerInfo info = consumer_.Info(0);
  EXPECT_EQ(info.lang, "nodejs");
  EXPECT_EQ(info.lang_version, "v20.1.0");
  EXPECT_EQ(info.tracer_version, "5.1.0");
  EXPECT_EQ(info.container_id, "abc123");
  EXPECT_TRUE(info.client_computed_stats);
  EXPECT_FALSE(info.client_computed_top_level);
  EXPECT_EQ(info.client_dropped_p0_traces, 153);
  EXPECT_EQ(info.client_dropped_p0_spans, 2331);
}

TEST_F(ReceiverTest, R14_ClientStatsReachTheConsumer) {
  StartReceiver();
  const HttpTestReply reply =
      Post("/v0.6/stats", "stats-body",
           {{"Datadog-Meta-Lang", "lang1"}, {"Datadog-Meta-Tracer-Version", "0.1.0"}});
  EXPECT_EQ(reply.status, 200);
  ASSERT_EQ(consumer_.StatsBodies().size(), 1u);
  EXPECT_EQ(consumer_.StatsBodies()[0], "stats-body");
  EXPECT_EQ(consumer_.Info(0).lang, "lang1");
  EXPECT_EQ(consumer_.Info(0).tracer_version, "0.1.0");
  EXPECT_EQ(Post("/v0.6/stats", "bad").status, 400);
}

TEST_F(ReceiverTest, R15_InfoIsServedForAnyMethod) {
  StartReceiver();
  for (const std::string method : {"GET", "POST"}) {
    const HttpTestReply reply = Post("/info", "", {}, method);
    EXPECT_EQ(reply.status, 200);
    EXPECT_THAT(reply.body, HasSubstr("\"endpoints\""));
  }
}

TEST_F(ReceiverTest, R16_BusyDecodersAnswer429OnlyWhenAskedFor) {
  ReceiverOptions options;
  options.decoders = 1;
  options.decoder_timeout = std::chrono::milliseconds(100);
  StartReceiver(options);
  consumer_.HoldSlots();
  ASSERT_EQ(Post("/v0.4/traces", "[]").status, 200);  // holds the only slot
  const HttpTestReply real =
      Post("/v0.4/traces", "[]", {{"Datadog-Send-Real-Http-Status", "true"}});
  EXPECT_EQ(real.status, 429);
  EXPECT_EQ(real.Header("content-type"), "application/json");
  EXPECT_THAT(real.body, HasSubstr("rate_by_service"));
  EXPECT_EQ(Post("/v0.4/traces", "[]", {{"Datadog-Send-Real-Http-Status", "false"}}).status, 200);
  EXPECT_EQ(Post("/v0.4/traces", "[]").status, 200);
  EXPECT_EQ(Post("/v0.4/traces", "[]", {{"Datadog-Send-Real-Http-Status", "yes"}}).status, 429);
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.receiver.payload_refused"), 4);
  EXPECT_EQ(consumer_.PayloadCount(), 1u);
  consumer_.ReleaseHeld();
  EXPECT_EQ(Post("/v0.4/traces", "[]", {{"Datadog-Send-Real-Http-Status", "true"}}).status, 200);
}

// Memory pressure (agent/runtime/memory_guard.h) refuses payloads as a busy decoder does: 429
// for clients that ask for real statuses, 200 and a counted refusal for the others.
TEST_F(ReceiverTest, MemoryPressureRefusesPayloadsUntilItEnds) {
  std::atomic<bool> pressure{true};
  ReceiverOptions options;
  options.under_memory_pressure = [&pressure] { return pressure.load(); };
  StartReceiver(options);
  EXPECT_EQ(Post("/v0.4/traces", "[]", {{"Datadog-Send-Real-Http-Status", "true"}}).status, 429);
  EXPECT_EQ(Post("/v0.4/traces", "[]").status, 200);
  EXPECT_EQ(consumer_.PayloadCount(), 0u);
  EXPECT_EQ(registry_.ValueOf("memory.pressure_refusals", {{"signal", "apm"}}), 2);
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.receiver.payload_refused"), 2);
  pressure = false;
  EXPECT_EQ(Post("/v0.4/traces", "[]", {{"Datadog-Send-Real-Http-Status", "true"}}).status, 200);
  EXPECT_EQ(consumer_.PayloadCount(), 1u);
}

TEST_F(ReceiverTest, R17_RatesVersionTheClientHoldsGetsAnEmptyObject) {
  StartReceiver();
  const HttpTestReply same = Post("/v0.4/traces", "[]", {{"Datadog-Rates-Payload-Version", "v7"}});
  EXPECT_EQ(same.body, "{}");
  EXPECT_EQ(same.Header("datadog-rates-payload-version"), "v7");
  const HttpTestReply other = Post("/v0.4/traces", "[]", {{"Datadog-Rates-Payload-Version", "v6"}});
  EXPECT_THAT(other.body, HasSubstr("service:,env:"));
  EXPECT_EQ(other.Header("datadog-rates-payload-version"), "v7");
}

TEST_F(ReceiverTest, R22_UnknownPathsAre404AndMethodsAreNotRestricted) {
  StartReceiver();
  EXPECT_EQ(Post("/v0.8/traces", "[]").status, 404);
  EXPECT_EQ(Post("/v0.4/traces", "[]", {}, "GET").status, 200);
  EXPECT_EQ(Post("/v0.4/services", "{}").status, 200);
}

TEST_F(ReceiverTest, ServesTheUnixSocket) {
  const std::string path = ::testing::TempDir() + "apm-" + std::to_string(::getpid()) + ".sock";
  ReceiverOptions options;
  options.socket_path = path;
  StartReceiver(options);
  HttpTestRequest request;
  request.target = "/v0.4/traces";
  request.body = "[]";
  auto reply = SendHttp(0, request, std::chrono::seconds(5), path);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 200);
}

TEST_F(ReceiverTest, KeepAliveConnectionsServeSeveralRequests) {
  StartReceiver();
  const std::string one = "PUT /v0.4/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]";
  const std::string last =
      "PUT /v0.4/traces HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]";
  auto reply =
      testing::SendRawHttp(receiver_->Port(), one + one + last, false, std::chrono::seconds(5));
  ASSERT_TRUE(reply.ok());
  size_t count = 0;
  for (size_t at = reply->find("HTTP/1.1 200"); at != std::string::npos;
       at = reply->find("HTTP/1.1 200", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u);
}

}  // namespace
}  // namespace sidecar::apm
