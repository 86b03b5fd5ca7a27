// The real sidecar-agent binary: configuration errors, readiness, status, SIGTERM, and secrets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "nlohmann/json.hpp"
#include "tests/integration/agent_process.h"

namespace sidecar::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kApiKey[] = "feedfacecafebeef0123456789abcdef";
constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kExitTimeout = std::chrono::seconds(30);

std::map<std::string, std::string> BaseEnvironment(uint16_t health_port) {
  return {{"DD_API_KEY", kApiKey},
          {"DD_DD_URL", "http://127.0.0.1:9"},
          {"DD_APM_DD_URL", "http://127.0.0.1:9"},
          {"DD_LOGS_CONFIG_LOGS_DD_URL", "http://127.0.0.1:9"},
          {"DD_HEALTH_PORT", std::to_string(health_port)},
          // Lifecycle tests run beside each other: no fixed DogStatsD port to fight over.
          {"DD_DOGSTATSD_PORT", "0"},
          {"DD_DOGSTATSD_SOCKET", ""},
          {"DD_LOG_LEVEL", "debug"}};
}

TEST(AgentLifecycleTest, MissingApiKeyExitsTwoAndExplainsSecrets) {
  AgentProcess agent({"run"}, {{"DD_HEALTH_PORT", std::to_string(FreePort())}});
  EXPECT_EQ(agent.Wait(kExitTimeout), 2);
  EXPECT_THAT(agent.Output(), HasSubstr("DD_API_KEY"));
  EXPECT_THAT(agent.Output(), HasSubstr("secrets"));
}

TEST(AgentLifecycleTest, InvalidValueExitsTwoNamingTheVariable) {
  auto environment = BaseEnvironment(FreePort());
  environment["DD_DOGSTATSD_PORT"] = "eighty";
  AgentProcess agent({"run"}, environment);
  EXPECT_EQ(agent.Wait(kExitTimeout), 2);
  EXPECT_THAT(agent.Output(), HasSubstr("DD_DOGSTATSD_PORT"));
  EXPECT_THAT(agent.Output(), HasSubstr("integer from 0 to 65535"));
}

TEST(AgentLifecycleTest, BecomesHealthyServesStatusAndStopsCleanlyOnSigterm) {
  const uint16_t port = FreePort();
  AgentProcess agent({"run"}, BaseEnvironment(port));
  ASSERT_TRUE(WaitForHttpStatus(port, "/health", 200, kStartTimeout)) << agent.Output();

  AgentProcess health({"health"}, {{"DD_HEALTH_PORT", std::to_string(port)}});
  EXPECT_EQ(health.Wait(kExitTimeout), 0);

  AgentProcess status({"status", "--json"}, {{"DD_HEALTH_PORT", std::to_string(port)}});
  ASSERT_EQ(status.Wait(kExitTimeout), 0);
  const auto document = nlohmann::json::parse(status.Output(), nullptr, false);
  ASSERT_FALSE(document.is_discarded()) << status.Output();
  EXPECT_TRUE(document["healthy"].get<bool>());
  EXPECT_THAT(document["components"].dump(), HasSubstr("dd_out"));

  AgentProcess table({"status"}, {{"DD_HEALTH_PORT", std::to_string(port)}});
  ASSERT_EQ(table.Wait(kExitTimeout), 0);
  EXPECT_THAT(table.Output(), HasSubstr("Health: healthy"));

  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(kExitTimeout), 0) << agent.Output();
  EXPECT_THAT(agent.Output(), HasSubstr("Stopped cleanly"));
}

TEST(AgentLifecycleTest, MemoryLimitIsReportedAndABadOneExitsTwo) {
  const uint16_t port = FreePort();
  auto environment = BaseEnvironment(port);
  environment["DD_SIDECAR_MEMORY_LIMIT"] = "256MiB";
  // DogStatsD and APM on, for their shares of the pool.
  environment["DD_DOGSTATSD_PORT"] = std::to_string(FreePort());
  environment["DD_APM_RECEIVER_PORT"] = std::to_string(FreePort());
  AgentProcess agent({"run"}, environment);
  ASSERT_TRUE(WaitForHttpStatus(port, "/health", 200, kStartTimeout)) << agent.Output();
  // /health answers before the last pipeline has started; the start-up line comes after it.
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (agent.Output().find("started in") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  AgentProcess status({"status", "--json"}, {{"DD_HEALTH_PORT", std::to_string(port)}});
  ASSERT_EQ(status.Wait(kExitTimeout), 0);
  const auto document = nlohmann::json::parse(status.Output(), nullptr, false);
  ASSERT_FALSE(document.is_discarded()) << status.Output();
  int64_t limit = -1;
  int64_t rss = -1;
  int64_t pool = -1;
  std::map<std::string, int64_t> share_caps;
  for (const auto& metric : document["metrics"]) {
    if (metric["name"] == "memory.limit_bytes") {
      limit = metric["value"].get<int64_t>();
    }
    if (metric["name"] == "memory.rss_bytes") {
      rss = metric["value"].get<int64_t>();
    }
    if (metric["name"] == "memory.pool.capacity_bytes") {
      pool = metric["value"].get<int64_t>();
    }
    if (metric["name"] == "memory.pool.share_cap_bytes") {
      share_caps[metric["tags"]["share"].get<std::string>()] = metric["value"].get<int64_t>();
    }
  }
  EXPECT_EQ(limit, int64_t{256} << 20);
  EXPECT_GT(rss, 0);
  // One pool for every buffer: the 80 % soft mark less at least the 20 MiB idle estimate and an
  // eighth of the limit for working memory.
  EXPECT_GT(pool, 0);
  EXPECT_LE(pool, limit / 10 * 8 - (int64_t{20} << 20) - limit / 8);
  EXPECT_EQ(share_caps["forwarder.retry_queue"], int64_t{15} << 20);  // Configured < L/8.
  EXPECT_EQ(share_caps["apm.inflight"], limit / 8);
  EXPECT_EQ(share_caps["dogstatsd.contexts"], limit / 8);
  EXPECT_EQ(share_caps["dogstatsd.values"], limit / 8);
  EXPECT_EQ(share_caps["dogstatsd.batches"], limit / 16);
  EXPECT_THAT(agent.Output(), HasSubstr("Memory limit 256 MiB"));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(kExitTimeout), 0) << agent.Output();

  environment["DD_SIDECAR_MEMORY_LIMIT"] = "a lot";
  AgentProcess invalid({"run"}, environment);
  EXPECT_EQ(invalid.Wait(kExitTimeout), 2);
  EXPECT_THAT(invalid.Output(), HasSubstr("DD_SIDECAR_MEMORY_LIMIT"));
}

TEST(AgentLifecycleTest, HealthCommandFailsWhenNoSidecarAnswers) {
  AgentProcess health({"health"}, {{"DD_HEALTH_PORT", std::to_string(FreePort())}});
  EXPECT_EQ(health.Wait(kExitTimeout), 1);
}

TEST(AgentLifecycleTest, BusyHealthPortFailsStartNamingTheVariable) {
  const uint16_t port = FreePort();
  AgentProcess first({"run"}, BaseEnvironment(port));
  ASSERT_TRUE(WaitForHttpStatus(port, "/health", 200, kStartTimeout));
  AgentProcess second({"run"}, BaseEnvironment(port));
  EXPECT_EQ(second.Wait(kExitTimeout), 1);
  EXPECT_THAT(second.Output(), HasSubstr("DD_HEALTH_PORT"));
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(kExitTimeout), 0);
}

TEST(AgentLifecycleTest, ApiKeyNeverAppearsInAnyOutput) {
  const uint16_t port = FreePort();
  auto environment = BaseEnvironment(port);
  environment["DD_LOG_LEVEL"] = "trace";
  AgentProcess agent({"run"}, environment);
  ASSERT_TRUE(WaitForHttpStatus(port, "/health", 200, kStartTimeout));
  AgentProcess config({"config"}, environment);
  ASSERT_EQ(config.Wait(kExitTimeout), 0);
  AgentProcess status({"status", "--json"}, environment);
  ASSERT_EQ(status.Wait(kExitTimeout), 0);
  agent.Signal(SIGTERM);
  ASSERT_EQ(agent.Wait(kExitTimeout), 0);

  EXPECT_THAT(config.Output(), HasSubstr("\"api_key\""));
  for (const std::string& output : {agent.Output(), config.Output(), status.Output()}) {
    EXPECT_THAT(output, Not(HasSubstr(kApiKey)));
  }
}

}  // namespace
}  // namespace sidecar::integration
