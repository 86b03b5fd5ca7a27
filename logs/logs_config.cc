#include "logs/logs_config.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "agent/common/status_macros.h"
#include "agent/common/strings.h"
#include "agent/config/value_parsing.h"
#include "fmt/format.h"

namespace sidecar::logs {
namespace {

constexpr std::string_view kRulesVariable = "DD_LOGS_CONFIG_PROCESSING_RULES";
// A rules document is configuration, but still bounded: nobody needs more.
constexpr size_t kMaxRulesJsonBytes = 1 << 20;

std::optional<RuleType> ParseRuleType(std::string_view name) {
  for (RuleType type :
       {RuleType::kExcludeAtMatch, RuleType::kIncludeAtMatch, RuleType::kMaskSequences,
        RuleType::kExcludeTruncated, RuleType::kMultiLine}) {
    if (RuleTypeName(type) == name) {
      return type;
    }
  }
  return std::nullopt;
}

absl::Status RuleError(std::string_view variable, size_t index, std::string_view what) {
  return absl::InvalidArgumentError(
      fmt::format("{}: rule [{}] {}. Expected a JSON array of {{\"type\", \"name\", \"pattern\"}} "
                  "objects.",
                  variable, index, what));
}

// Reads an optional string field; an error when present but not a string.
absl::StatusOr<std::string> StringField(const nlohmann::json& item, const char* key,
                                        std::string_view variable, size_t index) {
  auto it = item.find(key);
  if (it == item.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return RuleError(variable, index, fmt::format("field \"{}\" is not a string", key));
  }
  return it->get<std::string>();
}

absl::StatusOr<forwarder::CompressionKind> ParseCompressionKind(
    const std::optional<std::string>& raw) {
  if (!raw.has_value() || raw->empty()) {
    return forwarder::CompressionKind::kZstd;
  }
  const std::string kind = common::AsciiToLower(common::TrimAsciiSpace(*raw));
  if (kind == "zstd") {
    return forwarder::CompressionKind::kZstd;
  }
  if (kind == "gzip") {
    return forwarder::CompressionKind::kGzip;
  }
  return config::InvalidValue("DD_LOGS_CONFIG_COMPRESSION_KIND", *raw, "zstd or gzip");
}

}  // namespace

absl::StatusOr<std::vector<RuleSpec>> ParseProcessingRules(std::string_view json,
                                                           std::string_view variable) {
  if (common::TrimAsciiSpace(json).empty()) {
    return std::vector<RuleSpec>();
  }
  if (json.size() > kMaxRulesJsonBytes) {
    return absl::InvalidArgumentError(
        fmt::format("{} is larger than {} bytes.", variable, kMaxRulesJsonBytes));
  }
  const nlohmann::json document = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_array()) {
    return absl::InvalidArgumentError(fmt::format(
        "{} is not a JSON array. Example: [{{\"type\":\"exclude_at_match\",\"name\":\"no_health\","
        "\"pattern\":\"GET /health\"}}].",
        variable));
  }
  std::vector<RuleSpec> specs;
  bool has_multi_line = false;
  for (size_t index = 0; index < document.size(); ++index) {
    const nlohmann::json& item = document[index];
    if (!item.is_object()) {
      return RuleError(variable, index, "is not an object");
    }
    SIDECAR_ASSIGN_OR_RETURN(const std::string type_name,
                             StringField(item, "type", variable, index));
    const std::optional<RuleType> type = ParseRuleType(type_name);
    if (!type.has_value()) {
      return RuleError(variable, index,
                       fmt::format("has unknown type \"{}\" (exclude_at_match, include_at_match, "
                                   "mask_sequences, exclude_truncated, multi_line)",
                                   type_name));
    }
    RuleSpec spec;
    spec.type = *type;
    SIDECAR_ASSIGN_OR_RETURN(spec.name, StringField(item, "name", variable, index));
    SIDECAR_ASSIGN_OR_RETURN(spec.pattern, StringField(item, "pattern", variable, index));
    SIDECAR_ASSIGN_OR_RETURN(spec.replace_placeholder,
                             StringField(item, "replace_placeholder", variable, index));
    if (spec.name.empty()) {
      return RuleError(variable, index, "has no \"name\"");
    }
    if (spec.type != RuleType::kExcludeTruncated && spec.pattern.empty()) {
      return RuleError(variable, index, fmt::format("(\"{}\") has no \"pattern\"", spec.name));
    }
    if (spec.type == RuleType::kMultiLine) {
      if (has_multi_line) {
        return RuleError(variable, index, "is a second multi_line rule (one is supported)");
      }
      has_multi_line = true;
    }
    specs.push_back(std::move(spec));
  }
  // Compile once now so a bad pattern fails at start with the variable's name.
  if (auto rules = ProcessingRules::Create(specs); !rules.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", variable, std::string(rules.status().message())));
  }
  for (const RuleSpec& spec : specs) {
    if (spec.type == RuleType::kMultiLine) {
      if (auto aggregator = MultiLineAggregator::Create({.pattern = spec.pattern});
          !aggregator.ok()) {
        return absl::InvalidArgumentError(
            fmt::format("{}: {}", variable, std::string(aggregator.status().message())));
      }
    }
  }
  return specs;
}

absl::StatusOr<LogsConfig> LoadLogsConfig(const config::Environment& environment) {
  LogsConfig logs;
  SIDECAR_ASSIGN_OR_RETURN(logs.enabled, config::ParseBool(environment.Get("DD_LOGS_ENABLED"),
                                                           "DD_LOGS_ENABLED", false));
  SIDECAR_ASSIGN_OR_RETURN(logs.forward_port,
                           config::ParsePort(environment.Get("DD_LOGS_FORWARD_PORT"),
                                             "DD_LOGS_FORWARD_PORT", kDefaultForwardPort));
  if (auto socket = environment.Get("DD_LOGS_FORWARD_SOCKET")) {
    logs.forward_socket = std::string(common::TrimAsciiSpace(*socket));  // "" disables.
  }
  SIDECAR_ASSIGN_OR_RETURN(
      logs.tcp_port, config::ParsePort(environment.Get("DD_LOGS_TCP_PORT"), "DD_LOGS_TCP_PORT", 0));

  SIDECAR_ASSIGN_OR_RETURN(const int64_t batch_wait_s,
                           config::ParseInteger(environment.Get("DD_LOGS_CONFIG_BATCH_WAIT"),
                                                "DD_LOGS_CONFIG_BATCH_WAIT", 5, 1, 10));
  logs.batch_wait = std::chrono::seconds(batch_wait_s);
  SIDECAR_ASSIGN_OR_RETURN(
      const int64_t max_size,
      config::ParseInteger(environment.Get("DD_LOGS_CONFIG_BATCH_MAX_SIZE"),
                           "DD_LOGS_CONFIG_BATCH_MAX_SIZE", kMaxBatchEntries, 1, kMaxBatchEntries));
  logs.batch_max_size = static_cast<size_t>(max_size);
  SIDECAR_ASSIGN_OR_RETURN(
      const int64_t max_content,
      config::ParseInteger(environment.Get("DD_LOGS_CONFIG_BATCH_MAX_CONTENT_SIZE"),
                           "DD_LOGS_CONFIG_BATCH_MAX_CONTENT_SIZE", kMaxBatchContentBytes, 1,
                           kMaxBatchContentBytes));
  logs.batch_max_content_size = static_cast<size_t>(max_content);

  SIDECAR_ASSIGN_OR_RETURN(const bool use_compression,
                           config::ParseBool(environment.Get("DD_LOGS_CONFIG_USE_COMPRESSION"),
                                             "DD_LOGS_CONFIG_USE_COMPRESSION", true));
  SIDECAR_ASSIGN_OR_RETURN(
      logs.compression, ParseCompressionKind(environment.Get("DD_LOGS_CONFIG_COMPRESSION_KIND")));
  if (!use_compression) {
    logs.compression = forwarder::CompressionKind::kNone;
  }
  SIDECAR_ASSIGN_OR_RETURN(
      const int64_t zstd_level,
      config::ParseInteger(environment.Get("DD_LOGS_CONFIG_ZSTD_COMPRESSION_LEVEL"),
                           "DD_LOGS_CONFIG_ZSTD_COMPRESSION_LEVEL", 1, 1, 22));
  logs.zstd_level = static_cast<int>(zstd_level);
  SIDECAR_ASSIGN_OR_RETURN(const int64_t gzip_level,
                           config::ParseInteger(environment.Get("DD_LOGS_CONFIG_COMPRESSION_LEVEL"),
                                                "DD_LOGS_CONFIG_COMPRESSION_LEVEL", 6, 0, 9));
  logs.gzip_level = static_cast<int>(gzip_level);

  SIDECAR_ASSIGN_OR_RETURN(
      const int64_t max_message,
      config::ParseInteger(environment.Get("DD_LOGS_CONFIG_MAX_MESSAGE_SIZE_BYTES"),
                           "DD_LOGS_CONFIG_MAX_MESSAGE_SIZE_BYTES", kDefaultMaxMessageBytes, 100,
                           1'000'000));
  logs.max_message_bytes = static_cast<size_t>(max_message);
  SIDECAR_ASSIGN_OR_RETURN(logs.tag_truncated_logs,
                           config::ParseBool(environment.Get("DD_LOGS_CONFIG_TAG_TRUNCATED_LOGS"),
                                             "DD_LOGS_CONFIG_TAG_TRUNCATED_LOGS", true));
  SIDECAR_ASSIGN_OR_RETURN(
      const int64_t aggregation_ms,
      config::ParseInteger(environment.Get("DD_LOGS_CONFIG_AGGREGATION_TIMEOUT"),
                           "DD_LOGS_CONFIG_AGGREGATION_TIMEOUT", 1000, 1, 60'000));
  logs.aggregation_timeout = std::chrono::milliseconds(aggregation_ms);

  if (auto rules = environment.Get(kRulesVariable)) {
    SIDECAR_ASSIGN_OR_RETURN(logs.processing_rules, ParseProcessingRules(*rules, kRulesVariable));
  }
  return logs;
}

}  // namespace sidecar::logs
