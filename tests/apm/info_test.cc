#include "apm/info.h"

#include "apm/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace sidecar::apm {
namespace {

TEST(Sha256Test, MatchesTheFipsTestVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(InfoTest, R15_HasTheKeysTracersRead) {
  ApmConfig config;
  const InfoDocument info = BuildInfoDocument(config, 8125, {"db.name", "peer.service"});
  const nlohmann::json json = nlohmann::json::parse(info.body);
  for (const char* key :
       {"version", "git_commit", "endpoints", "feature_flags", "client_drop_p0s",
        "span_meta_structs", "long_running_spans", "evp_proxy_allowed_headers", "config",
        "span_events", "peer_tags", "span_kinds_stats_computed", "obfuscation_version"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  for (const char* key :
       {"default_env", "target_tps", "max_eps", "receiver_port", "receiver_socket",
        "connection_limit", "receiver_timeout", "max_request_bytes", "statsd_port", "max_memory",
        "max_cpu", "analyzed_spans_by_service", "obfuscation"}) {
    EXPECT_TRUE(json["config"].contains(key)) << key;
  }
  for (const char* key : {"elastic_search", "mongo", "sql_exec_plan", "sql_exec_plan_normalize",
                          "http", "remove_stack_traces", "redis", "memcached", "credit_cards"}) {
    EXPECT_TRUE(json["config"]["obfuscation"].contains(key)) << key;
  }
  EXPECT_EQ(json["config"]["default_env"], "none");
  EXPECT_EQ(json["config"]["max_request_bytes"], 26214400);
  EXPECT_EQ(info.state, Sha256Hex(info.body));
}

TEST(InfoTest, AdvertisesOnlyImplementedEndpoints) {
  const nlohmann::json json = nlohmann::json::parse(BuildInfoDocument(ApmConfig{}, 8125, {}).body);
  EXPECT_THAT(
      json["endpoints"].get<std::vector<std::string>>(),
      ::testing::ElementsAre("/v0.3/traces", "/v0.3/services", "/v0.4/traces", "/v0.4/services",
                             "/v0.5/traces", "/v0.7/traces", "/v0.6/stats"));
  EXPECT_TRUE(json["client_drop_p0s"].get<bool>());
}

TEST(InfoTest, S7_ProbabilisticSamplingTurnsOffClientDrops) {
  ApmConfig config;
  config.probabilistic_sampler_enabled = true;
  const nlohmann::json json = nlohmann::json::parse(BuildInfoDocument(config, 8125, {}).body);
  EXPECT_FALSE(json["client_drop_p0s"].get<bool>());
}

}  // namespace
}  // namespace sidecar::apm
