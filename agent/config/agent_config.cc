#include "agent/config/agent_config.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "agent/common/status_macros.h"
#include "agent/common/strings.h"
#include "agent/common/version.h"
#include "agent/config/site_endpoints.h"
#include "agent/config/value_parsing.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::config {
namespace {

// The first of `names` that is set wins; later names are legacy aliases.
std::optional<std::string> FirstSet(const Environment& environment,
                                    std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (auto value = environment.Get(name)) {
      return value;
    }
  }
  return std::nullopt;
}

absl::StatusOr<CompressorKind> ParseCompressor(const std::optional<std::string>& raw) {
  if (!raw.has_value() || raw->empty()) {
    return CompressorKind::kZstd;
  }
  const std::string value = common::AsciiToLower(common::TrimAsciiSpace(*raw));
  if (value == "zstd") {
    return CompressorKind::kZstd;
  }
  if (value == "zlib" || value == "deflate") {
    return CompressorKind::kZlib;
  }
  if (value == "gzip") {
    return CompressorKind::kGzip;
  }
  if (value == "none") {
    return CompressorKind::kNone;
  }
  return InvalidValue("DD_SERIALIZER_COMPRESSOR_KIND", *raw, "zstd, zlib, gzip or none");
}

std::string_view CompressorName(CompressorKind kind) {
  switch (kind) {
    case CompressorKind::kZstd:
      return "zstd";
    case CompressorKind::kZlib:
      return "zlib";
    case CompressorKind::kGzip:
      return "gzip";
    case CompressorKind::kNone:
      return "none";
  }
  return "unknown";
}

absl::Status ValidateUrl(std::string_view variable, const std::optional<std::string>& url) {
  if (!url.has_value() || url->empty()) {
    return absl::OkStatus();
  }
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    return InvalidValue(variable, *url, "an http:// or https:// URL");
  }
  return absl::OkStatus();
}

// A fraction in (0, 1], e.g. "0.8".
absl::StatusOr<double> ParseRatio(const std::optional<std::string>& raw, std::string_view variable,
                                  double fallback) {
  const std::string_view text = common::TrimAsciiSpace(raw.value_or(""));
  if (text.empty()) {
    return fallback;
  }
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !(value > 0.0 && value <= 1.0)) {
    return InvalidValue(variable, *raw, "a number greater than 0 and at most 1, e.g. 0.8");
  }
  return value;
}

void AppendUnique(std::vector<std::string>& into, const std::vector<std::string>& from) {
  for (const std::string& item : from) {
    if (std::find(into.begin(), into.end(), item) == into.end()) {
      into.push_back(item);
    }
  }
}

}  // namespace

RawConfig ReadRawConfig(const Environment& environment) {
  RawConfig raw;
  raw.api_key = environment.Get("DD_API_KEY");
  raw.site = environment.Get("DD_SITE");
  raw.dd_url = FirstSet(environment, {"DD_DD_URL", "DD_URL"});
  raw.apm_dd_url = environment.Get("DD_APM_DD_URL");
  raw.logs_dd_url = environment.Get("DD_LOGS_CONFIG_LOGS_DD_URL");
  raw.logs_use_http =
      FirstSet(environment, {"DD_LOGS_CONFIG_FORCE_USE_HTTP", "DD_LOGS_CONFIG_USE_HTTP"});
  raw.logs_no_ssl = environment.Get("DD_LOGS_CONFIG_LOGS_NO_SSL");
  raw.additional_endpoints = environment.Get("DD_ADDITIONAL_ENDPOINTS");
  raw.apm_additional_endpoints = environment.Get("DD_APM_ADDITIONAL_ENDPOINTS");
  raw.logs_additional_endpoints = environment.Get("DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS");
  raw.env = environment.Get("DD_ENV");
  raw.service = environment.Get("DD_SERVICE");
  raw.version = environment.Get("DD_VERSION");
  raw.tags = environment.Get("DD_TAGS");
  raw.extra_tags = environment.Get("DD_EXTRA_TAGS");
  raw.hostname = environment.Get("DD_HOSTNAME");
  raw.dogstatsd_port = environment.Get("DD_DOGSTATSD_PORT");
  raw.apm_receiver_port = FirstSet(environment, {"DD_APM_RECEIVER_PORT", "DD_RECEIVER_PORT"});
  raw.apm_enabled = environment.Get("DD_APM_ENABLED");
  raw.logs_enabled = environment.Get("DD_LOGS_ENABLED");
  raw.health_port = environment.Get("DD_HEALTH_PORT");
  raw.log_level = environment.Get("DD_LOG_LEVEL");
  raw.compressor_kind = environment.Get("DD_SERIALIZER_COMPRESSOR_KIND");
  raw.zstd_level =
      FirstSet(environment, {"DD_ZSTD_COMPRESSOR_LEVEL", "DD_SERIALIZER_ZSTD_COMPRESSOR_LEVEL"});
  raw.skip_ssl_validation = environment.Get("DD_SKIP_SSL_VALIDATION");
  raw.proxy_https = environment.Get("DD_PROXY_HTTPS");
  raw.forwarder_timeout = environment.Get("DD_FORWARDER_TIMEOUT");
  raw.retry_queue_max_bytes = environment.Get("DD_FORWARDER_RETRY_QUEUE_PAYLOADS_MAX_SIZE");
  raw.shutdown_timeout = environment.Get("DD_SIDECAR_SHUTDOWN_TIMEOUT");
  raw.storage_max_bytes = environment.Get("DD_FORWARDER_STORAGE_MAX_SIZE_IN_BYTES");
  raw.storage_path = environment.Get("DD_FORWARDER_STORAGE_PATH");
  raw.outdated_file_in_days = environment.Get("DD_FORWARDER_OUTDATED_FILE_IN_DAYS");
  raw.storage_max_disk_ratio = environment.Get("DD_FORWARDER_STORAGE_MAX_DISK_RATIO");
  return raw;
}

absl::StatusOr<FinalizedConfig> Finalize(const RawConfig& raw) {
  FinalizedConfig config;

  config.api_key_ = std::string(common::TrimAsciiSpace(raw.api_key.value_or("")));
  if (config.api_key_.empty()) {
    return absl::InvalidArgumentError(
        "DD_API_KEY is not set. The sidecar needs a Datadog API key to send data. In the ECS task "
        "definition, add it to this container's \"secrets\" from AWS Secrets Manager or SSM "
        "Parameter "
        "Store, e.g. \"secrets\": [{\"name\": \"DD_API_KEY\", \"valueFrom\": \"<secret ARN>\"}]; "
        "do "
        "not put it in plain \"environment\".");
  }

  config.site_ = std::string(common::TrimAsciiSpace(raw.site.value_or("")));
  if (config.site_.empty()) {
    config.site_ = "datadoghq.com";
  }
  if (config.site_.find_first_of(":/ ") != std::string::npos) {
    return InvalidValue("DD_SITE", config.site_,
                        "a site domain such as datadoghq.com or datadoghq.eu");
  }
  SIDECAR_RETURN_IF_ERROR(ValidateUrl("DD_DD_URL", raw.dd_url));
  SIDECAR_RETURN_IF_ERROR(ValidateUrl("DD_APM_DD_URL", raw.apm_dd_url));

  SIDECAR_ASSIGN_OR_RETURN(const bool logs_no_ssl,
                           ParseBool(raw.logs_no_ssl, "DD_LOGS_CONFIG_LOGS_NO_SSL", false));
  // HTTP is the only logs transport we implement; the variable is validated for compatibility.
  SIDECAR_ASSIGN_OR_RETURN(const bool logs_use_http,
                           ParseBool(raw.logs_use_http, "DD_LOGS_CONFIG_USE_HTTP", true));
  (void)logs_use_http;

  const std::string agent_version(common::kAgentCompatibleVersion);
  config.endpoints_.metrics.push_back(
      {AddAgentVersionToDomain(MetricsBaseUrl(config.site_, raw.dd_url.value_or("")),
                               agent_version),
       config.api_key_});
  config.endpoints_.traces.push_back(
      {TracesBaseUrl(config.site_, raw.apm_dd_url.value_or("")), config.api_key_});
  config.endpoints_.logs.push_back(
      {LogsBaseUrl(config.site_, raw.logs_dd_url.value_or(""), logs_no_ssl), config.api_key_});
  if (raw.additional_endpoints.has_value() && !raw.additional_endpoints->empty()) {
    SIDECAR_ASSIGN_OR_RETURN(
        auto extra, ParseAdditionalEndpoints(*raw.additional_endpoints, "DD_ADDITIONAL_ENDPOINTS"));
    for (auto& endpoint : extra) {
      endpoint.base_url = AddAgentVersionToDomain(endpoint.base_url, agent_version);
      config.endpoints_.metrics.push_back(std::move(endpoint));
    }
  }
  if (raw.apm_additional_endpoints.has_value() && !raw.apm_additional_endpoints->empty()) {
    SIDECAR_ASSIGN_OR_RETURN(auto extra, ParseAdditionalEndpoints(*raw.apm_additional_endpoints,
                                                                  "DD_APM_ADDITIONAL_ENDPOINTS"));
    config.endpoints_.traces.insert(config.endpoints_.traces.end(), extra.begin(), extra.end());
  }
  if (raw.logs_additional_endpoints.has_value() && !raw.logs_additional_endpoints->empty()) {
    SIDECAR_ASSIGN_OR_RETURN(
        auto extra, ParseLogsAdditionalEndpoints(*raw.logs_additional_endpoints, logs_no_ssl));
    config.endpoints_.logs.insert(config.endpoints_.logs.end(), extra.begin(), extra.end());
  }

  config.env_ = std::string(common::TrimAsciiSpace(raw.env.value_or("")));
  config.service_ = std::string(common::TrimAsciiSpace(raw.service.value_or("")));
  config.version_ = std::string(common::TrimAsciiSpace(raw.version.value_or("")));
  SIDECAR_ASSIGN_OR_RETURN(auto tags, ParseTags(raw.tags, "DD_TAGS"));
  SIDECAR_ASSIGN_OR_RETURN(auto extra_tags, ParseTags(raw.extra_tags, "DD_EXTRA_TAGS"));
  AppendUnique(config.static_tags_, tags);
  AppendUnique(config.static_tags_, extra_tags);
  config.hostname_ = std::string(common::TrimAsciiSpace(raw.hostname.value_or("")));

  SIDECAR_ASSIGN_OR_RETURN(config.dogstatsd_port_,
                           ParsePort(raw.dogstatsd_port, "DD_DOGSTATSD_PORT", 8125));
  SIDECAR_ASSIGN_OR_RETURN(config.apm_receiver_port_,
                           ParsePort(raw.apm_receiver_port, "DD_APM_RECEIVER_PORT", 8126));
  SIDECAR_ASSIGN_OR_RETURN(config.apm_enabled_, ParseBool(raw.apm_enabled, "DD_APM_ENABLED", true));
  SIDECAR_ASSIGN_OR_RETURN(config.logs_enabled_,
                           ParseBool(raw.logs_enabled, "DD_LOGS_ENABLED", false));
  SIDECAR_ASSIGN_OR_RETURN(config.health_port_, ParsePort(raw.health_port, "DD_HEALTH_PORT", 5555));

  config.log_level_ = common::AsciiToLower(common::TrimAsciiSpace(raw.log_level.value_or("")));
  if (config.log_level_.empty()) {
    config.log_level_ = "info";
  }
  if (config.log_level_ == "warning") {
    config.log_level_ = "warn";
  }
  static constexpr std::array<std::string_view, 7> kLevels = {"trace", "debug",    "info", "warn",
                                                              "error", "critical", "off"};
  if (std::find(kLevels.begin(), kLevels.end(), config.log_level_) == kLevels.end()) {
    return InvalidValue("DD_LOG_LEVEL", *raw.log_level,
                        "trace, debug, info, warn, error, critical or off");
  }

  SIDECAR_ASSIGN_OR_RETURN(config.compressor_, ParseCompressor(raw.compressor_kind));
  SIDECAR_ASSIGN_OR_RETURN(int64_t zstd_level,
                           ParseInteger(raw.zstd_level, "DD_ZSTD_COMPRESSOR_LEVEL", 1, 1, 19));
  config.zstd_level_ = static_cast<int>(zstd_level);
  SIDECAR_ASSIGN_OR_RETURN(config.skip_ssl_validation_,
                           ParseBool(raw.skip_ssl_validation, "DD_SKIP_SSL_VALIDATION", false));
  config.proxy_https_ = std::string(common::TrimAsciiSpace(raw.proxy_https.value_or("")));
  SIDECAR_RETURN_IF_ERROR(ValidateUrl("DD_PROXY_HTTPS", config.proxy_https_));
  SIDECAR_ASSIGN_OR_RETURN(int64_t timeout,
                           ParseInteger(raw.forwarder_timeout, "DD_FORWARDER_TIMEOUT", 20, 1, 600));
  config.forwarder_timeout_ = std::chrono::seconds(timeout);
  SIDECAR_ASSIGN_OR_RETURN(
      int64_t queue_bytes,
      ParseInteger(raw.retry_queue_max_bytes, "DD_FORWARDER_RETRY_QUEUE_PAYLOADS_MAX_SIZE",
                   15LL * 1024 * 1024, 0, 4LL * 1024 * 1024 * 1024));
  config.retry_queue_max_bytes_ = static_cast<uint64_t>(queue_bytes);
  SIDECAR_ASSIGN_OR_RETURN(
      int64_t shutdown,
      ParseInteger(raw.shutdown_timeout, "DD_SIDECAR_SHUTDOWN_TIMEOUT", 25, 1, 3600));
  config.shutdown_timeout_ = std::chrono::seconds(shutdown);
  SIDECAR_ASSIGN_OR_RETURN(
      int64_t storage_bytes,
      ParseInteger(raw.storage_max_bytes, "DD_FORWARDER_STORAGE_MAX_SIZE_IN_BYTES", 0, 0,
                   int64_t{1} << 40));
  config.storage_max_bytes_ = static_cast<uint64_t>(storage_bytes);
  if (raw.storage_path.has_value()) {
    config.storage_path_ = std::string(common::TrimAsciiSpace(*raw.storage_path));
    if (config.storage_path_.empty() || config.storage_path_.front() != '/') {
      return InvalidValue(
          "DD_FORWARDER_STORAGE_PATH", *raw.storage_path,
          "an absolute directory path, e.g. /tmp/sidecar-agent/transactions_to_retry");
    }
  }
  SIDECAR_ASSIGN_OR_RETURN(
      int64_t outdated_days,
      ParseInteger(raw.outdated_file_in_days, "DD_FORWARDER_OUTDATED_FILE_IN_DAYS", 10, 1, 3650));
  config.outdated_file_in_days_ = static_cast<int>(outdated_days);
  SIDECAR_ASSIGN_OR_RETURN(
      config.storage_max_disk_ratio_,
      ParseRatio(raw.storage_max_disk_ratio, "DD_FORWARDER_STORAGE_MAX_DISK_RATIO", 0.8));
  return config;
}

nlohmann::json FinalizedConfig::ToRedactedJson() const {
  const auto endpoints_json = [](const std::vector<forwarder::Endpoint>& endpoints) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& endpoint : endpoints) {
      list.push_back(
          {{"url", endpoint.base_url}, {"api_key", forwarder::RedactApiKey(endpoint.api_key)}});
    }
    return list;
  };
  return nlohmann::json{
      {"api_key", forwarder::RedactApiKey(api_key_)},
      {"site", site_},
      {"endpoints",
       {{"metrics", endpoints_json(endpoints_.metrics)},
        {"traces", endpoints_json(endpoints_.traces)},
        {"logs", endpoints_json(endpoints_.logs)}}},
      {"env", env_},
      {"service", service_},
      {"version", version_},
      {"tags", static_tags_},
      {"hostname", hostname_},
      {"dogstatsd_port", dogstatsd_port_},
      {"apm_enabled", apm_enabled_},
      {"apm_receiver_port", apm_receiver_port_},
      {"logs_enabled", logs_enabled_},
      {"health_port", health_port_},
      {"log_level", log_level_},
      {"compressor_kind", CompressorName(compressor_)},
      {"zstd_level", zstd_level_},
      {"skip_ssl_validation", skip_ssl_validation_},
      {"proxy_https", proxy_https_.empty() ? "" : "(set)"},
      {"forwarder_timeout_seconds", forwarder_timeout_.count()},
      {"retry_queue_max_bytes", retry_queue_max_bytes_},
      {"shutdown_timeout_seconds", shutdown_timeout_.count()},
      {"forwarder_storage_max_size_in_bytes", storage_max_bytes_},
      {"forwarder_storage_path", storage_path_},
      {"forwarder_outdated_file_in_days", outdated_file_in_days_},
      {"forwarder_storage_max_disk_ratio", storage_max_disk_ratio_},
  };
}

std::vector<std::string> FinalizedConfig::Secrets() const {
  std::vector<std::string> secrets{api_key_};
  for (const auto* list : {&endpoints_.metrics, &endpoints_.traces, &endpoints_.logs}) {
    for (const auto& endpoint : *list) {
      if (std::find(secrets.begin(), secrets.end(), endpoint.api_key) == secrets.end()) {
        secrets.push_back(endpoint.api_key);
      }
    }
  }
  return secrets;
}

}  // namespace sidecar::config
