#include "logs/log_batcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/decompress.h"
#include "tests/testing/manual_clock.h"
#include "tests/testing/status_matchers.h"

namespace sidecar::logs {
namespace {

using ::sidecar::testing::IsOk;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

LogRecord Record(std::string message) {
  LogRecord record;
  record.timestamp_ns = 1'700'000'000'123'000'000;
  record.message = std::move(message);
  record.status = "info";
  record.service = "payment";
  record.ddtags = "env:prod";
  return record;
}

// Decodes a payload body independently of the forwarder's codec (tests/testing/decompress.h).
nlohmann::json DecodeBody(const forwarder::Payload& payload) {
  absl::StatusOr<std::string> json =
      sidecar::testing::Decompress(payload.content_encoding, payload.body);
  EXPECT_THAT(json, IsOk());
  return json.ok() ? nlohmann::json::parse(*json, nullptr, false) : nlohmann::json();
}

class LogBatcherTest : public ::testing::Test {
 protected:
  LogBatcher MakeBatcher(BatcherOptions options) {
    return LogBatcher(std::move(options), clock_,
                      [this](forwarder::Payload payload) { sent_.push_back(std::move(payload)); });
  }

  sidecar::testing::ManualClock clock_;
  std::vector<forwarder::Payload> sent_;
};

TEST_F(LogBatcherTest, ZstdPayloadDecodesToTheExpectedJsonArray) {
  LogBatcher batcher = MakeBatcher({});
  batcher.Add(Record("first"));
  batcher.Add(Record("second"));
  EXPECT_THAT(sent_, IsEmpty());
  batcher.Flush();
  ASSERT_THAT(sent_, SizeIs(1));
  const forwarder::Payload& payload = sent_[0];
  EXPECT_EQ(payload.intake, forwarder::Intake::kLogs);
  EXPECT_EQ(payload.route, "/api/v2/logs");
  EXPECT_EQ(payload.content_type, "application/json");
  EXPECT_EQ(payload.content_encoding, "zstd");
  EXPECT_EQ(payload.item_count, 2u);
  EXPECT_THAT(payload.extra_headers, Contains(Pair("DD-PROTOCOL", "agent-json")));
  EXPECT_THAT(payload.extra_headers, Contains(Pair("DD-EVP-ORIGIN", "agent")));
  EXPECT_THAT(payload.extra_headers, Contains(Pair("DD-EVP-ORIGIN-VERSION", "7.60.1")));
  EXPECT_THAT(payload.extra_headers, Contains(Pair("dd-message-timestamp", "1700000000000")));
  const nlohmann::json expected = nlohmann::json::parse(R"([
    {"message":"first","status":"info","timestamp":1700000000123,"hostname":"",
     "service":"payment","ddsource":"","ddtags":"env:prod"},
    {"message":"second","status":"info","timestamp":1700000000123,"hostname":"",
     "service":"payment","ddsource":"","ddtags":"env:prod"}])");
  EXPECT_EQ(DecodeBody(payload), expected);
}

TEST_F(LogBatcherTest, GzipAndUncompressedPayloadsDecodeToo) {
  for (auto [kind, encoding] : {std::pair(forwarder::CompressionKind::kGzip, "gzip"),
                                std::pair(forwarder::CompressionKind::kNone, "")}) {
    sent_.clear();
    LogBatcher batcher = MakeBatcher({.compression = kind});
    batcher.Add(Record("one"));
    batcher.Flush();
    ASSERT_THAT(sent_, SizeIs(1));
    EXPECT_EQ(sent_[0].content_encoding, encoding);
    const nlohmann::json body = DecodeBody(sent_[0]);
    ASSERT_TRUE(body.is_array()) << encoding;
    EXPECT_EQ(body.at(0)["message"], "one");
  }
}

// B5-1: never more than 1000 entries per payload.
TEST_F(LogBatcherTest, SendsAtOneThousandEntries) {
  LogBatcher batcher = MakeBatcher({});
  for (int i = 0; i < 2500; ++i) {
    batcher.Add(Record("line " + std::to_string(i)));
  }
  ASSERT_THAT(sent_, SizeIs(2));
  EXPECT_EQ(sent_[0].item_count, 1000u);
  EXPECT_EQ(sent_[1].item_count, 1000u);
  EXPECT_EQ(batcher.pending_entries(), 500u);
  batcher.Flush();
  ASSERT_THAT(sent_, SizeIs(3));
  const nlohmann::json last = DecodeBody(sent_[2]);
  ASSERT_THAT(last, SizeIs(500));
  EXPECT_EQ(last.back()["message"], "line 2499");
  EXPECT_EQ(DecodeBody(sent_[0]).front()["message"], "line 0");
}

// B5-1: never more than 5 MB of uncompressed JSON per payload.
TEST_F(LogBatcherTest, SendsBeforeFiveMegabytesOfUncompressedJson) {
  LogBatcher batcher = MakeBatcher({});
  const std::string big(800'000, 'x');
  for (int i = 0; i < 14; ++i) {
    batcher.Add(Record(big));
  }
  batcher.Flush();
  ASSERT_GE(sent_.size(), 3u);
  uint64_t total = 0;
  for (const forwarder::Payload& payload : sent_) {
    absl::StatusOr<std::string> json =
        sidecar::testing::Decompress(payload.content_encoding, payload.body);
    ASSERT_THAT(json, IsOk());
    EXPECT_LE(json->size(), 5'000'000u);
    total += payload.item_count;
  }
  EXPECT_EQ(total, 14u);
  EXPECT_EQ(sent_[0].item_count, 6u);  // 6 × ~800 KB fits, a 7th would not.
}

TEST_F(LogBatcherTest, DropsASingleLogLargerThanTheContentCap) {
  LogBatcher batcher = MakeBatcher({.max_content_bytes = 1000});
  batcher.Add(Record(std::string(2000, 'x')));
  batcher.Add(Record("small"));
  batcher.Flush();
  EXPECT_EQ(batcher.stats().logs_dropped_too_large, 1u);
  ASSERT_THAT(sent_, SizeIs(1));
  EXPECT_EQ(sent_[0].item_count, 1u);
}

TEST_F(LogBatcherTest, BatchWaitSendsTheOldestLogAfterFiveSeconds) {
  LogBatcher batcher = MakeBatcher({});
  batcher.Add(Record("early"));
  clock_.Advance(seconds(3));
  batcher.Add(Record("later"));
  batcher.Tick();
  EXPECT_THAT(sent_, IsEmpty());
  clock_.Advance(milliseconds(1999));
  batcher.Tick();
  EXPECT_THAT(sent_, IsEmpty());
  clock_.Advance(milliseconds(1));  // The oldest log is now 5 s old.
  batcher.Tick();
  ASSERT_THAT(sent_, SizeIs(1));
  EXPECT_EQ(sent_[0].item_count, 2u);
  // The next batch's clock starts with its own first log.
  batcher.Add(Record("next"));
  clock_.Advance(seconds(4));
  batcher.Tick();
  EXPECT_THAT(sent_, SizeIs(1));
}

TEST_F(LogBatcherTest, FlushWithNothingPendingSendsNothing) {
  LogBatcher batcher = MakeBatcher({});
  batcher.Flush();
  batcher.Tick();
  EXPECT_THAT(sent_, IsEmpty());
  EXPECT_EQ(batcher.stats().payloads_emitted, 0u);
}

TEST_F(LogBatcherTest, SplitPiecesOfALongLineAreSeparateEntries) {
  BatcherOptions options;
  options.encoder.max_message_bytes = 10;
  LogBatcher batcher = MakeBatcher(options);
  batcher.Add(Record(std::string(25, 'y')));
  batcher.Flush();
  ASSERT_THAT(sent_, SizeIs(1));
  EXPECT_EQ(sent_[0].item_count, 3u);
  const nlohmann::json body = DecodeBody(sent_[0]);
  ASSERT_THAT(body, SizeIs(3));
  EXPECT_EQ(body[2]["message"], "...TRUNCATED...yyyyy");
  EXPECT_EQ(body[0]["ddtags"], "env:prod,truncated:single_line");
}

TEST(BatcherOptionsTest, ComeFromTheLogsConfig) {
  LogsConfig config;
  config.batch_max_size = 10;
  config.batch_max_content_size = 1234;
  config.batch_wait = seconds(2);
  config.compression = forwarder::CompressionKind::kGzip;
  config.max_message_bytes = 500;
  config.tag_truncated_logs = false;
  const BatcherOptions options = MakeBatcherOptions(config);
  EXPECT_EQ(options.max_entries, 10u);
  EXPECT_EQ(options.max_content_bytes, 1234u);
  EXPECT_EQ(options.batch_wait, seconds(2));
  EXPECT_EQ(options.compression, forwarder::CompressionKind::kGzip);
  EXPECT_EQ(options.encoder.max_message_bytes, 500u);
  EXPECT_FALSE(options.encoder.tag_truncated_logs);
}

}  // namespace
}  // namespace sidecar::logs
