#include "apm/info.h"

#include "agent/common/version.h"
#include "apm/sha256.h"
#include "nlohmann/json.hpp"

namespace sidecar::apm {

std::vector<std::string> AdvertisedEndpoints() {
  return {"/v0.3/traces", "/v0.3/services", "/v0.4/traces", "/v0.4/services",
          "/v0.5/traces", "/v0.7/traces",   "/v0.6/stats"};
}

InfoDocument BuildInfoDocument(const ApmConfig& config, uint16_t statsd_port,
                               const std::vector<std::string>& peer_tags) {
  const std::vector<std::string> endpoints = AdvertisedEndpoints();
  // Client-side P0 dropping is only safe when client stats reach the intake (/v0.6/stats is
  // served) and no probabilistic sampler must see every trace.
  const bool client_drop_p0s = !config.probabilistic_sampler_enabled;
  nlohmann::json obfuscation = {
      {"elastic_search", true},
      {"mongo", true},
      {"sql_exec_plan", false},
      {"sql_exec_plan_normalize", false},
      {"sql_obfuscation_mode", ""},
      {"http",
       {{"remove_query_string", config.obfuscation_http_remove_query_string},
        {"remove_path_digits", config.obfuscation_http_remove_paths_with_digits}}},
      {"remove_stack_traces", config.obfuscation_remove_stack_traces},
      {"redis",
       {{"enabled", config.obfuscation_redis_enabled},
        {"remove_all_args", config.obfuscation_redis_remove_all_args}}},
      {"valkey",
       {{"enabled", config.obfuscation_redis_enabled},
        {"remove_all_args", config.obfuscation_redis_remove_all_args}}},
      {"memcached",
       {{"enabled", config.obfuscation_memcached_enabled},
        {"keep_command", config.obfuscation_memcached_keep_command}}},
      {"credit_cards",
       {{"enabled", config.obfuscation_credit_cards_enabled},
        {"luhn", config.obfuscation_credit_cards_luhn}}},
      {"sql", {{"keep_sql_alias", config.HasFeature("keep_sql_alias")}}},
      {"elasticsearch", {{"enabled", true}, {"keep_keys", nlohmann::json::array()}}},
      {"opensearch", {{"enabled", true}, {"keep_keys", nlohmann::json::array()}}},
      {"mongodb", {{"enabled", true}, {"keep_keys", nlohmann::json::array()}}},
      {"tag_replace_rules", nlohmann::json::array()},
  };
  nlohmann::json info = {
      {"version", std::string(common::kAgentCompatibleVersion)},
      {"git_commit", std::string("sidecar-agent-") + std::string(common::kSidecarVersion)},
      {"endpoints", endpoints},
      {"feature_flags", config.features},
      {"client_drop_p0s", client_drop_p0s},
      {"span_meta_structs", true},
      {"long_running_spans", true},
      {"span_events", true},
      {"evp_proxy_allowed_headers",
       {"Content-Type", "Accept-Encoding", "Content-Encoding", "User-Agent",
        "DD-CI-PROVIDER-NAME"}},
      {"peer_tags", config.peer_tags_aggregation ? nlohmann::json(peer_tags) : nlohmann::json()},
      {"span_kinds_stats_computed",
       config.compute_stats_by_span_kind
           ? nlohmann::json({"server", "consumer", "client", "producer"})
           : nlohmann::json::array()},
      {"obfuscation_version", 1},
      {"filter_tags", {{"require", nlohmann::json::array()}, {"reject", nlohmann::json::array()}}},
      {"filter_tags_regex",
       {{"require", nlohmann::json::array()}, {"reject", nlohmann::json::array()}}},
      {"config",
       {{"default_env", config.default_env},
        {"target_tps", config.target_tps},
        {"max_eps", config.max_eps},
        {"receiver_port", config.receiver_port},
        {"receiver_socket", config.receiver_socket},
        {"connection_limit", 0},
        {"receiver_timeout", config.receiver_timeout.count()},
        {"max_request_bytes", config.max_request_bytes},
        {"statsd_port", statsd_port},
        {"max_memory", 0},
        {"max_cpu", 0},
        {"analyzed_spans_by_service", nlohmann::json::object()},
        {"obfuscation", obfuscation}}},
  };
  if (!config.ignore_resources.empty()) {
    info["ignore_resources"] = config.ignore_resources;
  }
  InfoDocument document;
  document.body = info.dump(4);
  document.state = Sha256Hex(document.body);
  return document;
}

}  // namespace sidecar::apm
