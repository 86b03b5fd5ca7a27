// The wired logs pipeline: backpressure (TryAccept refuses while the strand is behind or the
// intake is congested, so receivers stop acking instead of growing memory), processing rules and
// the final flush.
#include "logs/logs_pipeline.h"

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"
#include "tests/testing/decompress.h"
#include "tests/testing/manual_clock.h"

namespace sidecar::logs {
namespace {

LogRecord Line(std::string message) {
  LogRecord record;
  record.source = LogSource::kTcpLine;
  record.message = std::move(message);
  record.timestamp_ns = 1'700'000'000'000'000'000;
  return record;
}

class LogsPipelineTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogsPipeline> Make(LogsConfig config, size_t max_pending_bytes = 1 << 20) {
    config.forward_port = 0;
    config.forward_socket = "";
    config.tcp_port = 0;
    LogsPipelineOptions options;
    options.config = std::move(config);
    options.mapper.service = "checkout";
    options.max_pending_bytes = max_pending_bytes;
    auto pipeline = LogsPipeline::Create(
        ingress_, compute_, options, mapping_,
        [this](forwarder::Payload payload) {
          std::lock_guard lock(mutex_);
          payloads_.push_back(std::move(payload));
        },
        [this] { return congested_.load(); }, clock_, registry_);
    EXPECT_TRUE(pipeline.ok()) << pipeline.status();
    return pipeline.ok() ? std::move(*pipeline) : nullptr;
  }
  std::vector<std::string> SentMessages() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> messages;
    for (const auto& payload : payloads_) {
      auto body = testing::Decompress(payload.content_encoding, payload.body);
      EXPECT_TRUE(body.ok());
      for (const auto& log : nlohmann::json::parse(*body)) {
        messages.push_back(log["message"].get<std::string>());
      }
    }
    return messages;
  }
  void TearDown() override { compute_.join(); }

  boost::asio::io_context ingress_;
  boost::asio::thread_pool compute_{1};
  common::Snapshot<MappingSnapshot> mapping_;
  testing::ManualClock clock_;
  telemetry::Registry registry_;
  std::atomic<bool> congested_{false};
  std::mutex mutex_;
  std::vector<forwarder::Payload> payloads_;
};

TEST_F(LogsPipelineTest, AcceptedRecordsAreSentOnFinalFlush) {
  auto pipeline = Make(LogsConfig{});
  std::vector<LogRecord> records = {Line("one"), Line("two")};
  ASSERT_TRUE(pipeline->TryAccept(records));
  EXPECT_TRUE(records.empty());
  pipeline->FinalFlush();
  EXPECT_EQ(SentMessages(), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(registry_.ValueOf("logs.records_received"), 2);
}

TEST_F(LogsPipelineTest, CongestedIntakeRefusesAndKeepsTheRecords) {
  auto pipeline = Make(LogsConfig{});
  congested_ = true;
  std::vector<LogRecord> records = {Line("held")};
  EXPECT_FALSE(pipeline->TryAccept(records));
  ASSERT_EQ(records.size(), 1u) << "a refused batch stays with the receiver, which retries it";
  EXPECT_EQ(registry_.ValueOf("logs.backpressure_refusals"), 1);
  congested_ = false;
  EXPECT_TRUE(pipeline->TryAccept(records));
  pipeline->FinalFlush();
  EXPECT_EQ(SentMessages(), (std::vector<std::string>{"held"}));
}

TEST_F(LogsPipelineTest, PendingBytesAreBounded) {
  auto pipeline = Make(LogsConfig{}, /*max_pending_bytes=*/1024);
  // Block the strand so accepted records stay pending.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  boost::asio::post(compute_, [released] { released.wait(); });
  std::vector<LogRecord> first = {Line(std::string(600, 'a'))};
  ASSERT_TRUE(pipeline->TryAccept(first)) << "one batch is always admitted when none is pending";
  std::vector<LogRecord> second = {Line(std::string(600, 'b'))};
  EXPECT_FALSE(pipeline->TryAccept(second));
  EXPECT_EQ(second.size(), 1u);
  release.set_value();
  // Once the strand caught up the same batch is admitted.
  bool accepted = false;
  for (int i = 0; i < 200 && !accepted; ++i) {
    accepted = pipeline->TryAccept(second);
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(accepted);
  pipeline->FinalFlush();
  EXPECT_EQ(SentMessages().size(), 2u);
  std::vector<LogRecord> late = {Line("after stop")};
  EXPECT_FALSE(pipeline->TryAccept(late)) << "nothing is accepted after the final flush";
}

TEST_F(LogsPipelineTest, ProcessingRulesDropAndCount) {
  LogsConfig config;
  RuleSpec rule;
  rule.type = RuleType::kExcludeAtMatch;
  rule.name = "no_health";
  rule.pattern = "GET /health";
  config.processing_rules = {rule};
  auto pipeline = Make(config);
  std::vector<LogRecord> records = {Line("GET /health 200"), Line("GET /cart 200")};
  ASSERT_TRUE(pipeline->TryAccept(records));
  pipeline->FinalFlush();
  EXPECT_EQ(SentMessages(), (std::vector<std::string>{"GET /cart 200"}));
  EXPECT_EQ(registry_.ValueOf("logs.records_dropped", {{"reason", "processing_rule"}}), 1);
}

TEST_F(LogsPipelineTest, MultiLineRuleJoinsContinuationLines) {
  LogsConfig config;
  RuleSpec rule;
  rule.type = RuleType::kMultiLine;
  rule.name = "stack";
  rule.pattern = "\\d{4}-\\d{2}-\\d{2}";
  config.processing_rules = {rule};
  auto pipeline = Make(config);
  std::vector<LogRecord> records = {Line("2026-11-23 boom"), Line("  at f()"),
                                    Line("2026-11-23 next")};
  ASSERT_TRUE(pipeline->TryAccept(records));
  pipeline->FinalFlush();
  const auto messages = SentMessages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], "2026-11-23 boom\n  at f()");
  EXPECT_EQ(messages[1], "2026-11-23 next");
}

}  // namespace
}  // namespace sidecar::logs
