#include "logs/log_encoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "logs/processing_rules.h"

namespace sidecar::logs {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::SizeIs;
using ::testing::StartsWith;

LogRecord Mapped(std::string message) {
  LogRecord record;
  record.tag = "app-firelens-abc";
  record.timestamp_ns = 1'574'174'278'995'123'456;
  record.message = std::move(message);
  record.attributes = {{"container_name", "/app"}, {"source", "stdout"}};
  record.status = "info";
  record.service = "payment";
  record.ddsource = "nginx";
  record.ddtags = "env:staging,version:5.1";
  return record;
}

std::vector<std::string> Encode(const LogRecord& record, LogEncoderOptions options = {}) {
  std::vector<std::string> out;
  const size_t appended = EncodeLog(record, options, out);
  EXPECT_EQ(appended, out.size());
  return out;
}

// B5.1: the Agent's field order, then the record's other fields as attributes.
TEST(LogEncoderTest, EncodesTheAgentFieldsInOrderThenAttributes) {
  const std::vector<std::string> encoded = Encode(Mapped("Hello \"World\""));
  ASSERT_THAT(encoded, SizeIs(1));
  EXPECT_EQ(encoded[0],
            R"({"message":"Hello \"World\"","status":"info","timestamp":1574174278995,)"
            R"("hostname":"","service":"payment","ddsource":"nginx",)"
            R"("ddtags":"env:staging,version:5.1","container_name":"/app","source":"stdout"})");
}

TEST(LogEncoderTest, AttributesCannotOverrideTheDatadogFields) {
  LogRecord record = Mapped("m");
  record.attributes["status"] = "emergency";
  record.attributes["message"] = "spoofed";
  record.attributes["level"] = "debug";
  const nlohmann::json decoded = nlohmann::json::parse(Encode(record).at(0));
  EXPECT_EQ(decoded["status"], "info");
  EXPECT_EQ(decoded["message"], "m");
  EXPECT_EQ(decoded["level"], "debug");
}

TEST(LogEncoderTest, InvalidUtf8BecomesReplacementCharacters) {
  const std::vector<std::string> encoded = Encode(Mapped(std::string("bad \xff\xfe end")));
  const nlohmann::json decoded = nlohmann::json::parse(encoded.at(0));
  EXPECT_EQ(decoded["message"], "bad \xEF\xBF\xBD\xEF\xBF\xBD end");
}

// B5-3: a long line is split into pieces with `...TRUNCATED...` at every cut end.
TEST(LogEncoderTest, SplitsLongMessagesWithTruncatedMarkers) {
  const std::vector<std::string> encoded =
      Encode(Mapped("aaaaabbbbbcc"), {.max_message_bytes = 5, .tag_truncated_logs = true});
  ASSERT_THAT(encoded, SizeIs(3));
  std::vector<std::string> messages;
  for (const std::string& piece : encoded) {
    const nlohmann::json decoded = nlohmann::json::parse(piece);
    messages.push_back(decoded["message"]);
    EXPECT_EQ(decoded["ddtags"], "env:staging,version:5.1,truncated:single_line");
    EXPECT_EQ(decoded["service"], "payment");
    EXPECT_EQ(decoded["container_name"], "/app");
  }
  EXPECT_THAT(messages, ElementsAre("aaaaa...TRUNCATED...", "...TRUNCATED...bbbbb...TRUNCATED...",
                                    "...TRUNCATED...cc"));
}

TEST(LogEncoderTest, TruncatedTagCanBeTurnedOffAndShortLinesAreUntouched) {
  const std::vector<std::string> split =
      Encode(Mapped("aaaaabb"), {.max_message_bytes = 5, .tag_truncated_logs = false});
  ASSERT_THAT(split, SizeIs(2));
  EXPECT_EQ(nlohmann::json::parse(split[0])["ddtags"], "env:staging,version:5.1");
  const std::vector<std::string> whole = Encode(Mapped("aaaaa"), {.max_message_bytes = 5});
  ASSERT_THAT(whole, SizeIs(1));
  EXPECT_EQ(nlohmann::json::parse(whole[0])["message"], "aaaaa");
  EXPECT_EQ(nlohmann::json::parse(whole[0])["ddtags"], "env:staging,version:5.1");
}

TEST(LogEncoderTest, NeverCutsInsideAUtf8Sequence) {
  // "é" is two bytes; a cut after 4 bytes would land inside the second one.
  const std::vector<std::string> encoded =
      Encode(Mapped("a\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"), {.max_message_bytes = 4});
  ASSERT_THAT(encoded, SizeIs(3));
  EXPECT_EQ(nlohmann::json::parse(encoded[0])["message"], "a\xC3\xA9...TRUNCATED...");
  EXPECT_EQ(nlohmann::json::parse(encoded[1])["message"],
            "...TRUNCATED...\xC3\xA9\xC3\xA9...TRUNCATED...");
  EXPECT_EQ(nlohmann::json::parse(encoded[2])["message"], "...TRUNCATED...\xC3\xA9");
}

// B5.1 / B5-3 at the real sizes: a 2.5 MB line becomes pieces that each stay under the intake's
// 1 MB per log, and nothing of the line is lost.
TEST(LogEncoderTest, MultiMegabyteLineSplitsIntoPiecesUnderOneMegabyte) {
  std::string line;
  for (int i = 0; line.size() < 2'500'000; ++i) {
    line += std::to_string(i % 10);
  }
  const std::vector<std::string> encoded = Encode(Mapped(line), {});
  ASSERT_THAT(encoded, SizeIs(3));  // 900,000 + 900,000 + 700,000.
  std::string rejoined;
  for (size_t i = 0; i < encoded.size(); ++i) {
    EXPECT_LT(encoded[i].size(), 1'000'000u);
    std::string message = nlohmann::json::parse(encoded[i])["message"];
    if (i > 0) {
      EXPECT_THAT(message, StartsWith(std::string(kTruncatedFlag)));
      message.erase(0, kTruncatedFlag.size());
    }
    if (i + 1 < encoded.size()) {
      EXPECT_THAT(message, EndsWith(std::string(kTruncatedFlag)));
      message.erase(message.size() - kTruncatedFlag.size());
      EXPECT_EQ(message.size(), kDefaultMaxMessageBytes);
    }
    rejoined += message;
  }
  EXPECT_EQ(rejoined, line);
}

}  // namespace
}  // namespace sidecar::logs
