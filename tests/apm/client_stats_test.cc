// /v0.6/stats payload normalization (apm.md §1.6) with injected normalizer / obfuscator hooks.
#include "apm/client_stats.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sidecar::apm {
namespace {

ClientGroupedStats Group(std::string name, std::string service, std::string resource) {
  ClientGroupedStats g;
  g.name = std::move(name);
  g.service = std::move(service);
  g.resource = std::move(resource);
  g.hits = 1;
  g.errors = 1;
  g.duration = 100;
  g.top_level_hits = 1;
  return g;
}

ClientStatsPayload Payload(std::vector<ClientGroupedStats> groups) {
  ClientStatsPayload payload;
  payload.env = "prod";
  payload.stats.emplace_back().stats = std::move(groups);
  return payload;
}

ClientStatsHooks RecordingHooks(std::vector<std::string>& calls) {
  ClientStatsHooks hooks;
  hooks.normalize_name = [&calls](std::string_view name) {
    calls.push_back("name:" + std::string(name));
    return name.empty() ? std::string("unnamed_operation") : std::string(name);
  };
  hooks.normalize_service = [&calls](std::string_view service, std::string_view lang) {
    calls.push_back("service:" + std::string(service) + "/" + std::string(lang));
    return service.empty() ? "unnamed-" + std::string(lang) + "-service" : std::string(service);
  };
  hooks.obfuscate = [&calls](ClientGroupedStats& group) {
    calls.push_back("obfuscate:" + group.resource);
    group.resource = "obfuscated";
  };
  return hooks;
}

// R14: lang and tracer version come from the headers only when the payload has none.
TEST(ClientStatsTest, FillsLangTracerVersionAndContainerFromRequest) {
  ClientStatsPayload payload = Payload({});
  ClientStatsRequest request{.lang = "lang1",
                             .tracer_version = "0.1.0",
                             .container_id = "cid",
                             .tracer_obfuscated = false};
  NormalizeClientStats(payload, request, {});
  EXPECT_EQ(payload.lang, "lang1");
  EXPECT_EQ(payload.tracer_version, "0.1.0");
  EXPECT_EQ(payload.container_id, "cid");

  ClientStatsPayload own = Payload({});
  own.lang = "go";
  own.tracer_version = "2.0";
  NormalizeClientStats(own, request, {});
  EXPECT_EQ(own.lang, "go");
  EXPECT_EQ(own.tracer_version, "2.0");
}

TEST(ClientStatsTest, NormalizesGroupsLikeSpansAndObfuscates) {
  std::vector<std::string> calls;
  ClientStatsPayload payload = Payload({Group("", "", "")});
  ClientStatsRequest request;
  request.lang = "java";
  NormalizeClientStats(payload, request, RecordingHooks(calls));
  const ClientGroupedStats& g = payload.stats[0].stats[0];
  EXPECT_EQ(g.name, "unnamed_operation");
  EXPECT_EQ(g.service, "unnamed-java-service");
  EXPECT_EQ(g.resource, "obfuscated");
  // The resource defaulted to the normalized name before obfuscation saw it.
  EXPECT_EQ(calls,
            (std::vector<std::string>{"name:", "service:/java", "obfuscate:unnamed_operation"}));
}

TEST(ClientStatsTest, TracerObfuscatedResourcesAreLeftAlone) {
  std::vector<std::string> calls;
  ClientStatsPayload payload = Payload({Group("op", "svc", "SELECT 1")});
  ClientStatsRequest request;
  request.tracer_obfuscated = true;
  NormalizeClientStats(payload, request, RecordingHooks(calls));
  EXPECT_EQ(payload.stats[0].stats[0].resource, "SELECT 1");
  EXPECT_EQ(calls.size(), 2u);  // name and service only
}

TEST(ClientStatsTest, TruncatesResourceOnUtf8Boundary) {
  std::string resource(kMaxClientStatsResourceBytes - 1, 'a');
  resource += "\xc3\xa9tail";  // "é" straddles the limit
  ClientStatsPayload payload = Payload({Group("op", "svc", resource)});
  NormalizeClientStats(payload, {}, {});
  EXPECT_EQ(payload.stats[0].stats[0].resource, std::string(kMaxClientStatsResourceBytes - 1, 'a'));
}

TEST(ClientStatsTest, DropsIgnoredResources) {
  ClientStatsHooks hooks;
  hooks.resource_ignored = [](std::string_view resource) { return resource == "GET /health"; };
  ClientStatsPayload payload =
      Payload({Group("op", "svc", "GET /health"), Group("op", "svc", "GET /users")});
  NormalizeClientStats(payload, {}, hooks);
  ASSERT_EQ(payload.stats[0].stats.size(), 1u);
  EXPECT_EQ(payload.stats[0].stats[0].resource, "GET /users");
}

TEST(ClientStatsTest, MergesDuplicateGroupsIntoTheFirst) {
  ClientGroupedStats a = Group("op", "svc", "r");
  ClientGroupedStats b = Group("op", "svc", "r");
  b.hits = 5;
  b.errors = 2;
  b.duration = 50;
  ClientGroupedStats other = Group("op", "svc", "r");
  other.http_status_code = 500;  // A different key: untouched.
  ClientStatsPayload payload = Payload({a, b, other});
  NormalizeClientStats(payload, {}, {});
  const auto& groups = payload.stats[0].stats;
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].hits, 6u);
  EXPECT_EQ(groups[0].errors, 3u);
  EXPECT_EQ(groups[0].duration, 150u);
  EXPECT_EQ(groups[1].hits, 0u);
  EXPECT_EQ(groups[1].errors, 0u);
  EXPECT_EQ(groups[1].duration, 0u);
  EXPECT_EQ(groups[2].hits, 1u);
}

TEST(ClientStatsTest, WrapMarksClientComputed) {
  StatsPayload out = WrapClientStats(Payload({Group("op", "svc", "r")}), "", "none", "7.70.0");
  EXPECT_TRUE(out.client_computed);
  EXPECT_EQ(out.agent_hostname, "");
  EXPECT_EQ(out.agent_env, "none");
  EXPECT_EQ(out.agent_version, "7.70.0");
  ASSERT_EQ(out.stats.size(), 1u);
  EXPECT_EQ(out.stats[0].env, "prod");
}

}  // namespace
}  // namespace sidecar::apm
