#include "logs/logs_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace sidecar::logs {
namespace {

using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

absl::StatusOr<LogsConfig> Load(std::map<std::string, std::string, std::less<>> variables) {
  return LoadLogsConfig(config::MapEnvironment(std::move(variables)));
}

TEST(LogsConfigTest, DefaultsFollowTheAgentAndOurOwnSettings) {
  absl::StatusOr<LogsConfig> logs = Load({});
  ASSERT_THAT(logs, IsOk());
  EXPECT_FALSE(logs->enabled);
  EXPECT_EQ(logs->forward_port, 24224);
  EXPECT_EQ(logs->forward_socket, "/var/run/fluent.sock");
  EXPECT_EQ(logs->tcp_port, 0);
  EXPECT_EQ(logs->batch_wait, std::chrono::seconds(5));
  EXPECT_EQ(logs->batch_max_size, 1000u);
  EXPECT_EQ(logs->batch_max_content_size, 5'000'000u);
  EXPECT_EQ(logs->compression, forwarder::CompressionKind::kZstd);
  EXPECT_EQ(logs->zstd_level, 1);
  EXPECT_EQ(logs->max_message_bytes, 900'000u);
  EXPECT_TRUE(logs->tag_truncated_logs);
  EXPECT_TRUE(logs->processing_rules.empty());
}

TEST(LogsConfigTest, ReadsEveryVariable) {
  absl::StatusOr<LogsConfig> logs = Load({
      {"DD_LOGS_ENABLED", "true"},
      {"DD_LOGS_FORWARD_PORT", "0"},
      {"DD_LOGS_FORWARD_SOCKET", ""},
      {"DD_LOGS_TCP_PORT", "10518"},
      {"DD_LOGS_CONFIG_BATCH_WAIT", "2"},
      {"DD_LOGS_CONFIG_BATCH_MAX_SIZE", "100"},
      {"DD_LOGS_CONFIG_BATCH_MAX_CONTENT_SIZE", "1000000"},
      {"DD_LOGS_CONFIG_COMPRESSION_KIND", "GZIP"},
      {"DD_LOGS_CONFIG_ZSTD_COMPRESSION_LEVEL", "3"},
      {"DD_LOGS_CONFIG_MAX_MESSAGE_SIZE_BYTES", "256000"},
      {"DD_LOGS_CONFIG_TAG_TRUNCATED_LOGS", "false"},
      {"DD_LOGS_CONFIG_AGGREGATION_TIMEOUT", "250"},
  });
  ASSERT_THAT(logs, IsOk());
  EXPECT_TRUE(logs->enabled);
  EXPECT_EQ(logs->forward_port, 0);
  EXPECT_EQ(logs->forward_socket, "");
  EXPECT_EQ(logs->tcp_port, 10518);
  EXPECT_EQ(logs->batch_wait, std::chrono::seconds(2));
  EXPECT_EQ(logs->batch_max_size, 100u);
  EXPECT_EQ(logs->batch_max_content_size, 1'000'000u);
  EXPECT_EQ(logs->compression, forwarder::CompressionKind::kGzip);
  EXPECT_EQ(logs->zstd_level, 3);
  EXPECT_EQ(logs->max_message_bytes, 256'000u);
  EXPECT_FALSE(logs->tag_truncated_logs);
  EXPECT_EQ(logs->aggregation_timeout, std::chrono::milliseconds(250));
}

TEST(LogsConfigTest, UseCompressionFalseMeansNoContentEncoding) {
  absl::StatusOr<LogsConfig> logs = Load({{"DD_LOGS_CONFIG_USE_COMPRESSION", "false"}});
  ASSERT_THAT(logs, IsOk());
  EXPECT_EQ(logs->compression, forwarder::CompressionKind::kNone);
}

// B5-1: the intake caps cannot be raised.
TEST(LogsConfigTest, RejectsBatchSettingsBeyondTheIntakeCapsNamingTheVariable) {
  EXPECT_THAT(
      Load({{"DD_LOGS_CONFIG_BATCH_MAX_SIZE", "1001"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DD_LOGS_CONFIG_BATCH_MAX_SIZE")));
  EXPECT_THAT(Load({{"DD_LOGS_CONFIG_BATCH_MAX_CONTENT_SIZE", "5000001"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("DD_LOGS_CONFIG_BATCH_MAX_CONTENT_SIZE")));
  EXPECT_THAT(Load({{"DD_LOGS_CONFIG_BATCH_WAIT", "0"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DD_LOGS_CONFIG_BATCH_WAIT")));
  EXPECT_THAT(
      Load({{"DD_LOGS_CONFIG_COMPRESSION_KIND", "lz4"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DD_LOGS_CONFIG_COMPRESSION_KIND")));
  EXPECT_THAT(Load({{"DD_LOGS_FORWARD_PORT", "70000"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DD_LOGS_FORWARD_PORT")));
}

TEST(LogsConfigTest, ParsesProcessingRulesFromJson) {
  absl::StatusOr<LogsConfig> logs = Load({{"DD_LOGS_CONFIG_PROCESSING_RULES",
                                           R"([{"type":"mask_sequences","name":"mask_api_key",
                                               "replace_placeholder":"[REDACTED]",
                                               "pattern":"api_key=[A-Za-z0-9]{32}"},
                                              {"type":"exclude_at_match","name":"no_health",
                                               "pattern":"GET /health"},
                                              {"type":"exclude_truncated","name":"no_cut"}])"}});
  ASSERT_THAT(logs, IsOk());
  ASSERT_THAT(logs->processing_rules, SizeIs(3));
  EXPECT_EQ(logs->processing_rules[0].type, RuleType::kMaskSequences);
  EXPECT_EQ(logs->processing_rules[0].name, "mask_api_key");
  EXPECT_EQ(logs->processing_rules[0].replace_placeholder, "[REDACTED]");
  EXPECT_EQ(logs->processing_rules[1].type, RuleType::kExcludeAtMatch);
  EXPECT_EQ(logs->processing_rules[1].pattern, "GET /health");
  EXPECT_EQ(logs->processing_rules[2].type, RuleType::kExcludeTruncated);
}

TEST(LogsConfigTest, ProcessingRuleErrorsNameTheVariable) {
  const std::string variable = "DD_LOGS_CONFIG_PROCESSING_RULES";
  for (const char* bad : {
           "not json",
           R"({"type":"exclude_at_match"})",
           R"([42])",
           R"([{"type":"drop_everything","name":"x","pattern":"a"}])",
           R"([{"type":"exclude_at_match","pattern":"a"}])",
           R"([{"type":"exclude_at_match","name":"x"}])",
           R"([{"type":"exclude_at_match","name":"x","pattern":7}])",
           R"([{"type":"exclude_at_match","name":"bad_regex","pattern":"(a"}])",
           R"([{"type":"multi_line","name":"m1","pattern":"a"},
               {"type":"multi_line","name":"m2","pattern":"b"}])",
       }) {
    EXPECT_THAT(Load({{variable, bad}}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(variable)))
        << bad;
  }
  EXPECT_THAT(
      Load({{variable, R"([{"type":"exclude_at_match","name":"bad_regex","pattern":"(a"}])"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad_regex")));
}

TEST(LogsConfigTest, EmptyProcessingRulesAreNone) {
  absl::StatusOr<LogsConfig> logs = Load({{"DD_LOGS_CONFIG_PROCESSING_RULES", " "}});
  ASSERT_THAT(logs, IsOk());
  EXPECT_TRUE(logs->processing_rules.empty());
}

}  // namespace
}  // namespace sidecar::logs
