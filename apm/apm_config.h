// APM settings: the Agent's DD_APM_* variables (apm.md §9) validated into ApmConfig. Agent-wide
// values (API key, site, endpoints, DD_ENV, hostname, compression) come from the finalized agent
// config.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/config/agent_config.h"
#include "agent/config/environment.h"

namespace sidecar::apm {

// The Agent's Linux default for DD_APM_RECEIVER_SOCKET; used only when its directory exists.
inline constexpr char kDefaultApmSocket[] = "/var/run/datadog/apm.socket";

struct ApmConfig {
  bool enabled = true;
  // 127.0.0.1 unless DD_APM_NON_LOCAL_TRAFFIC=true (every container of an awsvpc task shares the
  // loopback, so nothing outside the task needs to reach the receiver).
  std::string bind_address = "127.0.0.1";
  uint16_t receiver_port = 8126;  // 0 disables TCP.
  std::string receiver_socket;    // "" disables the Unix socket.
  uint64_t max_request_bytes = 26'214'400;
  std::chrono::seconds receiver_timeout{5};
  int decoders = 1;
  std::chrono::milliseconds decoder_timeout{1000};
  uint32_t max_connections = 1000;

  // DD_APM_ENV > DD_ENV > env: in DD_TAGS > "none"; normalized later by the pipeline.
  std::string default_env = "none";
  std::string hostname;  // "" on Fargate: the intake keys traces on task_arn.

  double target_tps = 10;
  double error_tps = 10;
  double max_eps = 200;
  bool rare_sampler_enabled = false;
  bool probabilistic_sampler_enabled = false;
  double probabilistic_sampling_percentage = 0;
  uint32_t probabilistic_hash_seed = 0;
  bool error_tracking_standalone = false;

  bool obfuscation_http_remove_query_string = false;
  bool obfuscation_http_remove_paths_with_digits = false;
  bool obfuscation_redis_enabled = true;
  bool obfuscation_redis_remove_all_args = false;
  bool obfuscation_memcached_enabled = true;
  bool obfuscation_memcached_keep_command = false;
  bool obfuscation_credit_cards_enabled = true;
  bool obfuscation_credit_cards_luhn = false;
  bool obfuscation_remove_stack_traces = false;

  std::vector<std::string> ignore_resources;  // Regexes on the root span's resource.
  std::vector<std::string> features;          // DD_APM_FEATURES.
  bool compute_stats_by_span_kind = true;
  bool peer_tags_aggregation = true;
  std::vector<std::string> extra_peer_tags;  // DD_APM_PEER_TAGS.

  std::chrono::seconds trace_flush_period{5};
  size_t trace_flush_bytes = 3'200'000;  // "3.2MB is the maximum allowed by the Datadog API".
  std::chrono::seconds stats_flush_period{10};

  bool HasFeature(std::string_view feature) const;
};

absl::StatusOr<ApmConfig> FinalizeApmConfig(const config::Environment& environment,
                                            const config::FinalizedConfig& agent);

}  // namespace sidecar::apm
