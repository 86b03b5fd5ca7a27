#include "agent/config/agent_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"

namespace sidecar::config {
namespace {

using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kApiKey[] = "0123456789abcdef0123456789abcdef";

absl::StatusOr<FinalizedConfig> FinalizeEnv(std::map<std::string, std::string, std::less<>> vars) {
  return Finalize(ReadRawConfig(MapEnvironment(std::move(vars))));
}

TEST(AgentConfigTest, MissingApiKeyIsAnErrorThatExplainsSecrets) {
  auto config = FinalizeEnv({});
  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DD_API_KEY")));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("secrets"));
}

TEST(AgentConfigTest, DefaultsMatchTheAgent) {
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey}});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->Site(), "datadoghq.com");
  EXPECT_EQ(config->DogstatsdPort(), 8125);
  EXPECT_EQ(config->ApmReceiverPort(), 8126);
  EXPECT_TRUE(config->ApmEnabled());
  EXPECT_FALSE(config->LogsEnabled());
  EXPECT_EQ(config->HealthPort(), 5555);
  EXPECT_EQ(config->Compressor(), CompressorKind::kZstd);
  EXPECT_EQ(config->ZstdLevel(), 1);
  EXPECT_EQ(config->RetryQueueMaxBytes(), 15u * 1024 * 1024);
  EXPECT_EQ(config->ForwarderTimeout(), std::chrono::seconds(20));
  EXPECT_EQ(config->ShutdownTimeout(), std::chrono::seconds(25));
  EXPECT_EQ(config->Hostname(), "");
}

// H13: the metrics host carries the Agent version for Datadog-owned sites.
TEST(AgentConfigTest, SiteDerivesEveryIntakeHost) {
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey}, {"DD_SITE", "datadoghq.eu"}});
  ASSERT_THAT(config, IsOk());
  ASSERT_EQ(config->Endpoints().metrics.size(), 1u);
  EXPECT_EQ(config->Endpoints().metrics[0].base_url, "https://7-60-1-app.agent.datadoghq.eu");
  EXPECT_EQ(config->Endpoints().traces[0].base_url, "https://trace.agent.datadoghq.eu");
  EXPECT_EQ(config->Endpoints().logs[0].base_url, "https://agent-http-intake.logs.datadoghq.eu");
  EXPECT_EQ(config->Endpoints().metrics[0].api_key, kApiKey);
}

TEST(AgentConfigTest, RegionalSiteKeepsRegionLabel) {
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey}, {"DD_SITE", "us5.datadoghq.com"}});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->Endpoints().metrics[0].base_url, "https://7-60-1-app.agent.us5.datadoghq.com");
}

// H14: a custom dd_url is used as given, with no version prefix.
TEST(AgentConfigTest, CustomUrlsAreUsedAsGiven) {
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey},
                             {"DD_DD_URL", "http://proxy:8080/"},
                             {"DD_APM_DD_URL", "http://127.0.0.1:9000"},
                             {"DD_LOGS_CONFIG_LOGS_DD_URL", "127.0.0.1:9001"},
                             {"DD_LOGS_CONFIG_LOGS_NO_SSL", "true"}});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->Endpoints().metrics[0].base_url, "http://proxy:8080");
  EXPECT_EQ(config->Endpoints().traces[0].base_url, "http://127.0.0.1:9000");
  EXPECT_EQ(config->Endpoints().logs[0].base_url, "http://127.0.0.1:9001");
}

TEST(AgentConfigTest, LegacyDdUrlIsUsedOnlyWhenDdDdUrlIsAbsent) {
  auto legacy = FinalizeEnv({{"DD_API_KEY", kApiKey}, {"DD_URL", "http://legacy:1"}});
  ASSERT_THAT(legacy, IsOk());
  EXPECT_EQ(legacy->Endpoints().metrics[0].base_url, "http://legacy:1");
  auto both = FinalizeEnv(
      {{"DD_API_KEY", kApiKey}, {"DD_URL", "http://legacy:1"}, {"DD_DD_URL", "http://new:2"}});
  ASSERT_THAT(both, IsOk());
  EXPECT_EQ(both->Endpoints().metrics[0].base_url, "http://new:2");
}

TEST(AgentConfigTest, AdditionalEndpointsAddOneTargetPerKey) {
  auto config = FinalizeEnv(
      {{"DD_API_KEY", kApiKey},
       {"DD_ADDITIONAL_ENDPOINTS",
        R"({"https://app.datadoghq.eu": ["key-b", " key-b ", "", "key-c"], "http://mirror:1": ["key-d"]})"}});
  ASSERT_THAT(config, IsOk());
  const auto& metrics = config->Endpoints().metrics;
  // JSON objects are unordered; additional URLs come after the main endpoint, sorted.
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[1].base_url, "http://mirror:1");
  EXPECT_EQ(metrics[1].api_key, "key-d");
  EXPECT_EQ(metrics[2].base_url, "https://7-60-1-app.agent.datadoghq.eu");
  EXPECT_EQ(metrics[2].api_key, "key-b");
  EXPECT_EQ(metrics[3].api_key, "key-c");
  EXPECT_EQ(config->Endpoints().traces.size(), 1u);
}

TEST(AgentConfigTest, MalformedAdditionalEndpointsNameTheVariable) {
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey}, {"DD_APM_ADDITIONAL_ENDPOINTS", "[1,2]"}});
  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("DD_APM_ADDITIONAL_ENDPOINTS")));
}

TEST(AgentConfigTest, LogsAdditionalEndpointsUseHostAndPort) {
  auto config = FinalizeEnv(
      {{"DD_API_KEY", kApiKey},
       {"DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS",
        R"([{"api_key": "key-l", "Host": "agent-http-intake.logs.datadoghq.eu", "Port": 443}])"}});
  ASSERT_THAT(config, IsOk());
  ASSERT_EQ(config->Endpoints().logs.size(), 2u);
  EXPECT_EQ(config->Endpoints().logs[1].base_url,
            "https://agent-http-intake.logs.datadoghq.eu:443");
  EXPECT_EQ(config->Endpoints().logs[1].api_key, "key-l");
}

TEST(AgentConfigTest, TagsAcceptSpacesCommasAndJsonAndAreDeduplicated) {
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey},
                             {"DD_TAGS", "team:a  tier:web,team:a"},
                             {"DD_EXTRA_TAGS", R"(["zone:1", "tier:web"])"}});
  ASSERT_THAT(config, IsOk());
  EXPECT_THAT(config->StaticTags(), ElementsAre("team:a", "tier:web", "zone:1"));
}

struct InvalidCase {
  std::string variable;
  std::string value;
  std::string expected_hint;
};

class InvalidValueTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidValueTest, NamesTheVariableAndTheAcceptedForm) {
  const InvalidCase& param = GetParam();
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey}, {param.variable, param.value}});
  ASSERT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(param.variable));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(param.expected_hint));
}

INSTANTIATE_TEST_SUITE_P(
    Variables, InvalidValueTest,
    ::testing::Values(InvalidCase{"DD_DOGSTATSD_PORT", "81x", "integer from 0 to 65535"},
                      InvalidCase{"DD_DOGSTATSD_PORT", "70000", "integer from 0 to 65535"},
                      InvalidCase{"DD_APM_RECEIVER_PORT", "-1", "integer"},
                      InvalidCase{"DD_HEALTH_PORT", "abc", "integer"},
                      InvalidCase{"DD_APM_ENABLED", "maybe", "true or false"},
                      InvalidCase{"DD_LOG_LEVEL", "loud", "trace, debug"},
                      InvalidCase{"DD_SERIALIZER_COMPRESSOR_KIND", "lz4", "zstd, zlib"},
                      InvalidCase{"DD_ZSTD_COMPRESSOR_LEVEL", "40", "from 1 to 19"},
                      InvalidCase{"DD_DD_URL", "ftp://x", "http"},
                      InvalidCase{"DD_SITE", "https://datadoghq.com", "site domain"},
                      InvalidCase{"DD_SIDECAR_SHUTDOWN_TIMEOUT", "0", "from 1"}));

TEST(AgentConfigTest, PortZeroDisablesAListener) {
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey}, {"DD_DOGSTATSD_PORT", "0"}});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->DogstatsdPort(), 0);
}

TEST(AgentConfigTest, RedactedJsonNeverContainsAnyApiKey) {
  auto config =
      FinalizeEnv({{"DD_API_KEY", kApiKey},
                   {"DD_PROXY_HTTPS", "http://user:hunter2@proxy:3128"},
                   {"DD_ADDITIONAL_ENDPOINTS", R"({"http://m:1": ["second-secret-key-value"]})"}});
  ASSERT_THAT(config, IsOk());
  const std::string dump = config->ToRedactedJson().dump();
  EXPECT_THAT(dump, Not(HasSubstr(kApiKey)));
  EXPECT_THAT(dump, Not(HasSubstr("second-secret-key-value")));
  EXPECT_THAT(dump, Not(HasSubstr("hunter2")));
  EXPECT_THAT(dump, HasSubstr("bcdef"));  // The Agent's convention: last five characters shown.
  EXPECT_THAT(config->Secrets(), ElementsAre(kApiKey, "second-secret-key-value"));
}

TEST(AgentConfigTest, ForwarderStorageIsOffByDefaultWithTheAgentDefaults) {
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey}});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->StorageMaxBytes(), 0u);
  EXPECT_EQ(config->StoragePath(), "/tmp/sidecar-agent/transactions_to_retry");
  EXPECT_EQ(config->OutdatedFileInDays(), 10);
  EXPECT_DOUBLE_EQ(config->StorageMaxDiskRatio(), 0.8);
}

TEST(AgentConfigTest, ForwarderStorageSettingsAreReadAndShown) {
  auto config = FinalizeEnv({{"DD_API_KEY", kApiKey},
                             {"DD_FORWARDER_STORAGE_MAX_SIZE_IN_BYTES", "104857600"},
                             {"DD_FORWARDER_STORAGE_PATH", " /ephemeral/retry "},
                             {"DD_FORWARDER_OUTDATED_FILE_IN_DAYS", "2"},
                             {"DD_FORWARDER_STORAGE_MAX_DISK_RATIO", "0.95"}});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->StorageMaxBytes(), 104857600u);
  EXPECT_EQ(config->StoragePath(), "/ephemeral/retry");
  EXPECT_EQ(config->OutdatedFileInDays(), 2);
  EXPECT_DOUBLE_EQ(config->StorageMaxDiskRatio(), 0.95);
  const nlohmann::json json = config->ToRedactedJson();
  EXPECT_EQ(json["forwarder_storage_max_size_in_bytes"], 104857600u);
  EXPECT_EQ(json["forwarder_storage_path"], "/ephemeral/retry");
  EXPECT_EQ(json["forwarder_outdated_file_in_days"], 2);
  EXPECT_DOUBLE_EQ(json["forwarder_storage_max_disk_ratio"].get<double>(), 0.95);
}

TEST(AgentConfigTest, InvalidForwarderStorageSettingsNameTheVariable) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"DD_FORWARDER_STORAGE_MAX_SIZE_IN_BYTES", "-1"},
      {"DD_FORWARDER_STORAGE_MAX_SIZE_IN_BYTES", "lots"},
      {"DD_FORWARDER_STORAGE_PATH", "relative/dir"},
      {"DD_FORWARDER_STORAGE_PATH", "  "},
      {"DD_FORWARDER_OUTDATED_FILE_IN_DAYS", "0"},
      {"DD_FORWARDER_STORAGE_MAX_DISK_RATIO", "1.5"},
      {"DD_FORWARDER_STORAGE_MAX_DISK_RATIO", "0"},
      {"DD_FORWARDER_STORAGE_MAX_DISK_RATIO", "80%"},
  };
  for (const auto& [variable, value] : cases) {
    auto config = FinalizeEnv({{"DD_API_KEY", kApiKey}, {variable, value}});
    EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(variable)))
        << variable << "=" << value;
  }
}

}  // namespace
}  // namespace sidecar::config
