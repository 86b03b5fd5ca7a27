#include "apm/apm_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <thread>

#include "agent/common/status_macros.h"
#include "agent/common/strings.h"
#include "agent/config/value_parsing.h"
#include "nlohmann/json.hpp"

namespace sidecar::apm {
namespace {

bool ParentDirectoryExists(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash);
  struct stat info {};
  return ::stat(directory.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::optional<std::string> FirstSet(const config::Environment& environment,
                                    std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (auto value = environment.Get(name); value.has_value() && !value->empty()) {
      return value;
    }
  }
  return std::nullopt;
}

absl::StatusOr<double> ParseRate(const std::optional<std::string>& raw, std::string_view variable,
                                 double fallback, double max) {
  if (!raw.has_value() || raw->empty()) {
    return fallback;
  }
  double value = 0;
  size_t used = 0;
  try {
    value = std::stod(*raw, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != raw->size() || !(value >= 0) || value > max) {
    return config::InvalidValue(variable, *raw, "a non-negative number");
  }
  return value;
}

// The Agent's list form for regex lists: comma-separated (DD_APM_IGNORE_RESOURCES) or a JSON array.
std::vector<std::string> ParseCsvOrJson(const std::string& raw) {
  std::vector<std::string> values;
  if (!raw.empty() && raw.front() == '[') {
    const nlohmann::json parsed = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_array()) {
      for (const auto& item : parsed) {
        if (item.is_string()) {
          values.push_back(item.get<std::string>());
        }
      }
      return values;
    }
  }
  size_t begin = 0;
  while (begin <= raw.size()) {
    size_t end = raw.find(',', begin);
    if (end == std::string::npos) {
      end = raw.size();
    }
    std::string item(common::TrimAsciiSpace(std::string_view(raw).substr(begin, end - begin)));
    if (!item.empty()) {
      values.push_back(std::move(item));
    }
    begin = end + 1;
  }
  return values;
}

std::string EnvFromTags(const std::vector<std::string>& tags) {
  for (const std::string& tag : tags) {
    if (tag.rfind("env:", 0) == 0) {
      return tag.substr(4);
    }
  }
  return "";
}

}  // namespace

bool ApmConfig::HasFeature(std::string_view feature) const {
  return std::find(features.begin(), features.end(), feature) != features.end();
}

absl::StatusOr<ApmConfig> FinalizeApmConfig(const config::Environment& environment,
                                            const config::FinalizedConfig& agent) {
  ApmConfig apm;
  apm.enabled = agent.ApmEnabled();
  SIDECAR_ASSIGN_OR_RETURN(const bool receiver_enabled,
                           config::ParseBool(environment.Get("DD_APM_RECEIVER_ENABLED"),
                                             "DD_APM_RECEIVER_ENABLED", true));
  apm.receiver_port = receiver_enabled ? agent.ApmReceiverPort() : 0;
  SIDECAR_ASSIGN_OR_RETURN(const bool non_local,
                           config::ParseBool(environment.Get("DD_APM_NON_LOCAL_TRAFFIC"),
                                             "DD_APM_NON_LOCAL_TRAFFIC", false));
  apm.bind_address = non_local ? "0.0.0.0" : "127.0.0.1";
  if (auto socket = environment.Get("DD_APM_RECEIVER_SOCKET")) {
    apm.receiver_socket = *socket;  // Set, possibly to "" (disabled).
  } else if (ParentDirectoryExists(kDefaultApmSocket)) {
    apm.receiver_socket = kDefaultApmSocket;
  }
  if (!receiver_enabled) {
    apm.receiver_socket.clear();
  }

  SIDECAR_ASSIGN_OR_RETURN(
      const int64_t max_payload,
      config::ParseInteger(environment.Get("DD_APM_MAX_PAYLOAD_SIZE"), "DD_APM_MAX_PAYLOAD_SIZE",
                           26'214'400, 1024, 512LL * 1024 * 1024));
  apm.max_request_bytes = static_cast<uint64_t>(max_payload);
  SIDECAR_ASSIGN_OR_RETURN(const int64_t receiver_timeout,
                           config::ParseInteger(environment.Get("DD_APM_RECEIVER_TIMEOUT"),
                                                "DD_APM_RECEIVER_TIMEOUT", 0, 0, 3600));
  apm.receiver_timeout = std::chrono::seconds(receiver_timeout == 0 ? 5 : receiver_timeout);
  const int64_t default_decoders =
      std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()) / 2);
  SIDECAR_ASSIGN_OR_RETURN(const int64_t decoders,
                           config::ParseInteger(environment.Get("DD_APM_DECODERS"),
                                                "DD_APM_DECODERS", default_decoders, 1, 256));
  apm.decoders = static_cast<int>(decoders);
  SIDECAR_ASSIGN_OR_RETURN(const int64_t decoder_timeout,
                           config::ParseInteger(environment.Get("DD_APM_DECODER_TIMEOUT"),
                                                "DD_APM_DECODER_TIMEOUT", 1000, 1, 600'000));
  apm.decoder_timeout = std::chrono::milliseconds(decoder_timeout);
  SIDECAR_ASSIGN_OR_RETURN(const int64_t max_connections,
                           config::ParseInteger(environment.Get("DD_APM_MAX_CONNECTIONS"),
                                                "DD_APM_MAX_CONNECTIONS", 1000, 1, 100'000));
  apm.max_connections = static_cast<uint32_t>(max_connections);

  if (auto env = FirstSet(environment, {"DD_APM_ENV"})) {
    apm.default_env = *env;
  } else if (!agent.Env().empty()) {
    apm.default_env = agent.Env();
  } else if (std::string from_tags = EnvFromTags(agent.StaticTags()); !from_tags.empty()) {
    apm.default_env = from_tags;
  }
  apm.hostname = agent.Hostname();

  SIDECAR_ASSIGN_OR_RETURN(
      apm.target_tps,
      ParseRate(FirstSet(environment, {"DD_APM_TARGET_TPS", "DD_APM_MAX_TPS", "DD_MAX_TPS"}),
                "DD_APM_TARGET_TPS", 10, 1e9));
  SIDECAR_ASSIGN_OR_RETURN(
      apm.error_tps, ParseRate(environment.Get("DD_APM_ERROR_TPS"), "DD_APM_ERROR_TPS", 10, 1e9));
  SIDECAR_ASSIGN_OR_RETURN(apm.max_eps,
                           ParseRate(FirstSet(environment, {"DD_APM_MAX_EPS", "DD_MAX_EPS"}),
                                     "DD_APM_MAX_EPS", 200, 1e9));
  SIDECAR_ASSIGN_OR_RETURN(apm.rare_sampler_enabled,
                           config::ParseBool(environment.Get("DD_APM_ENABLE_RARE_SAMPLER"),
                                             "DD_APM_ENABLE_RARE_SAMPLER", false));
  SIDECAR_ASSIGN_OR_RETURN(
      apm.probabilistic_sampler_enabled,
      config::ParseBool(environment.Get("DD_APM_PROBABILISTIC_SAMPLER_ENABLED"),
                        "DD_APM_PROBABILISTIC_SAMPLER_ENABLED", false));
  SIDECAR_ASSIGN_OR_RETURN(
      apm.probabilistic_sampling_percentage,
      ParseRate(environment.Get("DD_APM_PROBABILISTIC_SAMPLER_SAMPLING_PERCENTAGE"),
                "DD_APM_PROBABILISTIC_SAMPLER_SAMPLING_PERCENTAGE", 0, 100));
  SIDECAR_ASSIGN_OR_RETURN(
      const int64_t seed,
      config::ParseInteger(environment.Get("DD_APM_PROBABILISTIC_SAMPLER_HASH_SEED"),
                           "DD_APM_PROBABILISTIC_SAMPLER_HASH_SEED", 0, 0, UINT32_MAX));
  apm.probabilistic_hash_seed = static_cast<uint32_t>(seed);
  SIDECAR_ASSIGN_OR_RETURN(
      apm.error_tracking_standalone,
      config::ParseBool(environment.Get("DD_APM_ERROR_TRACKING_STANDALONE_ENABLED"),
                        "DD_APM_ERROR_TRACKING_STANDALONE_ENABLED", false));

  struct BoolSetting {
    const char* variable;
    bool* target;
  };
  const BoolSetting obfuscation[] = {
      {"DD_APM_OBFUSCATION_HTTP_REMOVE_QUERY_STRING", &apm.obfuscation_http_remove_query_string},
      {"DD_APM_OBFUSCATION_HTTP_REMOVE_PATHS_WITH_DIGITS",
       &apm.obfuscation_http_remove_paths_with_digits},
      {"DD_APM_OBFUSCATION_REDIS_ENABLED", &apm.obfuscation_redis_enabled},
      {"DD_APM_OBFUSCATION_REDIS_REMOVE_ALL_ARGS", &apm.obfuscation_redis_remove_all_args},
      {"DD_APM_OBFUSCATION_MEMCACHED_ENABLED", &apm.obfuscation_memcached_enabled},
      {"DD_APM_OBFUSCATION_MEMCACHED_KEEP_COMMAND", &apm.obfuscation_memcached_keep_command},
      {"DD_APM_OBFUSCATION_CREDIT_CARDS_ENABLED", &apm.obfuscation_credit_cards_enabled},
      {"DD_APM_OBFUSCATION_CREDIT_CARDS_LUHN", &apm.obfuscation_credit_cards_luhn},
      {"DD_APM_OBFUSCATION_REMOVE_STACK_TRACES", &apm.obfuscation_remove_stack_traces},
      {"DD_APM_COMPUTE_STATS_BY_SPAN_KIND", &apm.compute_stats_by_span_kind},
      {"DD_APM_PEER_TAGS_AGGREGATION", &apm.peer_tags_aggregation},
  };
  for (const BoolSetting& setting : obfuscation) {
    SIDECAR_ASSIGN_OR_RETURN(*setting.target, config::ParseBool(environment.Get(setting.variable),
                                                                setting.variable, *setting.target));
  }

  if (auto ignore = FirstSet(environment, {"DD_APM_IGNORE_RESOURCES", "DD_IGNORE_RESOURCE"})) {
    apm.ignore_resources = ParseCsvOrJson(*ignore);
  }
  SIDECAR_ASSIGN_OR_RETURN(
      apm.features, config::ParseTags(environment.Get("DD_APM_FEATURES"), "DD_APM_FEATURES"));
  SIDECAR_ASSIGN_OR_RETURN(
      apm.extra_peer_tags,
      config::ParseTags(environment.Get("DD_APM_PEER_TAGS"), "DD_APM_PEER_TAGS"));
  return apm;
}

}  // namespace sidecar::apm
