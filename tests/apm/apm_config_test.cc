#include "apm/apm_config.h"

#include "gtest/gtest.h"

namespace sidecar::apm {
namespace {

absl::StatusOr<ApmConfig> ConfigFrom(std::map<std::string, std::string, std::less<>> vars) {
  vars.emplace("DD_API_KEY", "0123456789abcdef0123456789abcdef");
  const config::MapEnvironment environment(std::move(vars));
  auto agent = config::Finalize(config::ReadRawConfig(environment));
  if (!agent.ok()) {
    return agent.status();
  }
  return FinalizeApmConfig(environment, *agent);
}

TEST(ApmConfigTest, DefaultsAreTheAgents) {
  auto config = ConfigFrom({{"DD_APM_RECEIVER_SOCKET", ""}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->enabled);
  EXPECT_EQ(config->receiver_port, 8126);
  EXPECT_EQ(config->bind_address, "127.0.0.1");
  EXPECT_EQ(config->receiver_socket, "");
  EXPECT_EQ(config->max_request_bytes, 26214400u);
  EXPECT_EQ(config->receiver_timeout, std::chrono::seconds(5));
  EXPECT_EQ(config->decoder_timeout, std::chrono::milliseconds(1000));
  EXPECT_GE(config->decoders, 1);
  EXPECT_EQ(config->default_env, "none");
  EXPECT_EQ(config->target_tps, 10);
  EXPECT_EQ(config->error_tps, 10);
  EXPECT_FALSE(config->rare_sampler_enabled);
  EXPECT_TRUE(config->obfuscation_credit_cards_enabled);
  EXPECT_FALSE(config->obfuscation_http_remove_query_string);
}

TEST(ApmConfigTest, EnvPrecedenceIsApmEnvThenEnvThenTags) {
  EXPECT_EQ(ConfigFrom({{"DD_TAGS", "env:tagged team:a"}})->default_env, "tagged");
  EXPECT_EQ(ConfigFrom({{"DD_TAGS", "env:tagged"}, {"DD_ENV", "prod"}})->default_env, "prod");
  EXPECT_EQ(ConfigFrom({{"DD_ENV", "prod"}, {"DD_APM_ENV", "apm"}})->default_env, "apm");
}

TEST(ApmConfigTest, ReadsTheAgentsVariables) {
  auto config = ConfigFrom({{"DD_APM_NON_LOCAL_TRAFFIC", "true"},
                            {"DD_APM_RECEIVER_PORT", "9126"},
                            {"DD_APM_RECEIVER_SOCKET", "/tmp/apm.sock"},
                            {"DD_APM_TARGET_TPS", "2.5"},
                            {"DD_APM_ERROR_TPS", "0"},
                            {"DD_APM_MAX_PAYLOAD_SIZE", "1048576"},
                            {"DD_APM_IGNORE_RESOURCES", "GET /health, GET /ping"},
                            {"DD_APM_FEATURES", "keep_sql_alias,table_names"},
                            {"DD_APM_OBFUSCATION_HTTP_REMOVE_QUERY_STRING", "true"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->bind_address, "0.0.0.0");
  EXPECT_EQ(config->receiver_port, 9126);
  EXPECT_EQ(config->receiver_socket, "/tmp/apm.sock");
  EXPECT_EQ(config->target_tps, 2.5);
  EXPECT_EQ(config->error_tps, 0);
  EXPECT_EQ(config->max_request_bytes, 1048576u);
  EXPECT_EQ(config->ignore_resources, (std::vector<std::string>{"GET /health", "GET /ping"}));
  EXPECT_TRUE(config->HasFeature("keep_sql_alias"));
  EXPECT_TRUE(config->HasFeature("table_names"));
  EXPECT_TRUE(config->obfuscation_http_remove_query_string);
}

TEST(ApmConfigTest, ReceiverCanBeDisabled) {
  auto config = ConfigFrom(
      {{"DD_APM_RECEIVER_ENABLED", "false"}, {"DD_APM_RECEIVER_SOCKET", "/tmp/apm.sock"}});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->receiver_port, 0);
  EXPECT_EQ(config->receiver_socket, "");
}

TEST(ApmConfigTest, InvalidValuesNameTheVariable) {
  auto config = ConfigFrom({{"DD_APM_TARGET_TPS", "lots"}});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("DD_APM_TARGET_TPS"), std::string::npos);
  auto decoders = ConfigFrom({{"DD_APM_DECODERS", "0"}});
  ASSERT_FALSE(decoders.ok());
  EXPECT_NE(decoders.status().message().find("DD_APM_DECODERS"), std::string::npos);
}

}  // namespace
}  // namespace sidecar::apm
