#include "agent/common/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "spdlog/sinks/ostream_sink.h"

namespace sidecar::common {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kApiKey[] = "abcdef0123456789abcdef0123456789";

TEST(LoggingTest, ApiKeyNeverReachesTheOutputWhoeverLogsIt) {
  std::ostringstream output;
  InitLogging("debug", {kApiKey}, std::make_shared<spdlog::sinks::ostream_sink_mt>(output));
  spdlog::info("Sending with DD-API-KEY: {}", kApiKey);
  Logger("forwarder")->warn("Header dump: DD-API-KEY={} user-agent=x", kApiKey);
  spdlog::default_logger()->flush();
  Logger("forwarder")->flush();
  const std::string text = output.str();
  EXPECT_THAT(text, Not(HasSubstr(kApiKey)));
  EXPECT_THAT(text, HasSubstr("DD-API-KEY: <redacted>"));
  EXPECT_THAT(text, HasSubstr("(forwarder) Header dump"));
}

TEST(LoggingTest, LevelFiltersLowerMessages) {
  std::ostringstream output;
  InitLogging("warn", {}, std::make_shared<spdlog::sinks::ostream_sink_mt>(output));
  spdlog::info("quiet");
  spdlog::error("loud");
  spdlog::default_logger()->flush();
  EXPECT_THAT(output.str(), Not(HasSubstr("quiet")));
  EXPECT_THAT(output.str(), HasSubstr("loud"));
}

TEST(LoggingTest, RedactSecretsReplacesEveryOccurrenceAndIgnoresTinySecrets) {
  EXPECT_EQ(RedactSecrets("k=secret1 again secret1", {"secret1", "ab"}),
            "k=<redacted> again <redacted>");
  EXPECT_EQ(RedactSecrets("ab ab", {"ab"}), "ab ab");
}

TEST(LogRateLimiterTest, AllowsBurstThenCountsSuppressedUntilNextWindow) {
  LogRateLimiter limiter(2, std::chrono::seconds(10));
  const auto start = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  uint64_t suppressed = 99;
  EXPECT_TRUE(limiter.Allow(start, &suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_TRUE(limiter.Allow(start, &suppressed));
  EXPECT_FALSE(limiter.Allow(start + std::chrono::seconds(1), &suppressed));
  EXPECT_FALSE(limiter.Allow(start + std::chrono::seconds(2), &suppressed));
  EXPECT_TRUE(limiter.Allow(start + std::chrono::seconds(11), &suppressed));
  EXPECT_EQ(suppressed, 2u);
}

}  // namespace
}  // namespace sidecar::common
