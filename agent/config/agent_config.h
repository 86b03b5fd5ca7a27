// Agent configuration in two phases: RawConfig holds what the environment said (every field
// optional, read once by ReadRawConfig), Finalize() validates it and fills defaults into an
// immutable FinalizedConfig that components receive. Variable names are the Datadog Agent's
// wherever one exists.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/config/environment.h"
#include "agent/forwarder/endpoint.h"
#include "nlohmann/json_fwd.hpp"

namespace sidecar::config {

// Raw values as text, exactly as set. Parsing and validation happen in Finalize so that every error
// names its variable.
struct RawConfig {
  std::optional<std::string> api_key;        // DD_API_KEY. Required.
  std::optional<std::string> site;           // DD_SITE. Default datadoghq.com.
  std::optional<std::string> dd_url;         // DD_DD_URL, else legacy DD_URL.
  std::optional<std::string> apm_dd_url;     // DD_APM_DD_URL.
  std::optional<std::string> logs_dd_url;    // DD_LOGS_CONFIG_LOGS_DD_URL (host:port or URL).
  std::optional<std::string> logs_use_http;  // DD_LOGS_CONFIG_USE_HTTP / _FORCE_USE_HTTP.
  std::optional<std::string> logs_no_ssl;    // DD_LOGS_CONFIG_LOGS_NO_SSL.
  std::optional<std::string> additional_endpoints;  // DD_ADDITIONAL_ENDPOINTS, JSON {url: [keys]}.
  std::optional<std::string> apm_additional_endpoints;  // DD_APM_ADDITIONAL_ENDPOINTS, same form.
  std::optional<std::string>
      logs_additional_endpoints;                 // DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS, JSON array.
  std::optional<std::string> env;                // DD_ENV.
  std::optional<std::string> service;            // DD_SERVICE.
  std::optional<std::string> version;            // DD_VERSION.
  std::optional<std::string> tags;               // DD_TAGS.
  std::optional<std::string> extra_tags;         // DD_EXTRA_TAGS.
  std::optional<std::string> hostname;           // DD_HOSTNAME. Default "" (sidecar identity).
  std::optional<std::string> dogstatsd_port;     // DD_DOGSTATSD_PORT. Default 8125; 0 disables.
  std::optional<std::string> apm_receiver_port;  // DD_APM_RECEIVER_PORT (or DD_RECEIVER_PORT).
  std::optional<std::string> apm_enabled;        // DD_APM_ENABLED. Default true.
  std::optional<std::string> logs_enabled;       // DD_LOGS_ENABLED. Default false.
  std::optional<std::string> health_port;        // DD_HEALTH_PORT. Default 5555; 0 disables.
  std::optional<std::string> log_level;          // DD_LOG_LEVEL. Default info.
  std::optional<std::string>
      compressor_kind;  // DD_SERIALIZER_COMPRESSOR_KIND: zstd|zlib|gzip|none.
  std::optional<std::string>
      zstd_level;  // DD_ZSTD_COMPRESSOR_LEVEL (or DD_SERIALIZER_ZSTD_COMPRESSOR_LEVEL).
  std::optional<std::string> skip_ssl_validation;    // DD_SKIP_SSL_VALIDATION.
  std::optional<std::string> proxy_https;            // DD_PROXY_HTTPS.
  std::optional<std::string> forwarder_timeout;      // DD_FORWARDER_TIMEOUT (s). Default 20.
  std::optional<std::string> retry_queue_max_bytes;  // DD_FORWARDER_RETRY_QUEUE_PAYLOADS_MAX_SIZE.
  std::optional<std::string> shutdown_timeout;       // DD_SIDECAR_SHUTDOWN_TIMEOUT (s). Default 25.
  // Disk spill of retry-queue overflow (off by default, as in the Agent).
  std::optional<std::string> storage_max_bytes;       // DD_FORWARDER_STORAGE_MAX_SIZE_IN_BYTES. 0.
  std::optional<std::string> storage_path;            // DD_FORWARDER_STORAGE_PATH.
  std::optional<std::string> outdated_file_in_days;   // DD_FORWARDER_OUTDATED_FILE_IN_DAYS. 10.
  std::optional<std::string> storage_max_disk_ratio;  // DD_FORWARDER_STORAGE_MAX_DISK_RATIO. 0.8.
};

RawConfig ReadRawConfig(const Environment& environment);

enum class CompressorKind { kZstd, kZlib, kGzip, kNone };

class FinalizedConfig {
 public:
  const std::string& ApiKey() const { return api_key_; }
  const std::string& Site() const { return site_; }
  // Every (base URL, API key) target per intake, main endpoint first.
  const forwarder::IntakeEndpoints& Endpoints() const { return endpoints_; }
  const std::string& Env() const { return env_; }
  const std::string& Service() const { return service_; }
  const std::string& Version() const { return version_; }
  // DD_TAGS + DD_EXTRA_TAGS, de-duplicated, in the order given.
  const std::vector<std::string>& StaticTags() const { return static_tags_; }
  const std::string& Hostname() const { return hostname_; }
  uint16_t DogstatsdPort() const { return dogstatsd_port_; }
  uint16_t ApmReceiverPort() const { return apm_receiver_port_; }
  bool ApmEnabled() const { return apm_enabled_; }
  bool LogsEnabled() const { return logs_enabled_; }
  uint16_t HealthPort() const { return health_port_; }
  const std::string& LogLevel() const { return log_level_; }
  CompressorKind Compressor() const { return compressor_; }
  int ZstdLevel() const { return zstd_level_; }
  bool SkipSslValidation() const { return skip_ssl_validation_; }
  const std::string& ProxyHttps() const { return proxy_https_; }
  std::chrono::seconds ForwarderTimeout() const { return forwarder_timeout_; }
  uint64_t RetryQueueMaxBytes() const { return retry_queue_max_bytes_; }
  std::chrono::seconds ShutdownTimeout() const { return shutdown_timeout_; }
  // Retry-queue overflow on disk; 0 (the default) disables it.
  uint64_t StorageMaxBytes() const { return storage_max_bytes_; }
  // Absolute directory for the spill files; put it on the task's ephemeral storage.
  const std::string& StoragePath() const { return storage_path_; }
  int OutdatedFileInDays() const { return outdated_file_in_days_; }
  // The spill never writes while the filesystem is fuller than this fraction.
  double StorageMaxDiskRatio() const { return storage_max_disk_ratio_; }

  // The effective configuration as JSON with every API key redacted (`sidecar-agent config`).
  nlohmann::json ToRedactedJson() const;
  // Every secret the process must never print: the API keys of all endpoints.
  std::vector<std::string> Secrets() const;

 private:
  friend absl::StatusOr<FinalizedConfig> Finalize(const RawConfig& raw);
  FinalizedConfig() = default;

  std::string api_key_;
  std::string site_;
  forwarder::IntakeEndpoints endpoints_;
  std::string env_;
  std::string service_;
  std::string version_;
  std::vector<std::string> static_tags_;
  std::string hostname_;
  uint16_t dogstatsd_port_ = 8125;
  uint16_t apm_receiver_port_ = 8126;
  bool apm_enabled_ = true;
  bool logs_enabled_ = false;
  uint16_t health_port_ = 5555;
  std::string log_level_ = "info";
  CompressorKind compressor_ = CompressorKind::kZstd;
  int zstd_level_ = 1;
  bool skip_ssl_validation_ = false;
  std::string proxy_https_;
  std::chrono::seconds forwarder_timeout_{20};
  uint64_t retry_queue_max_bytes_ = 15ULL * 1024 * 1024;
  std::chrono::seconds shutdown_timeout_{25};
  uint64_t storage_max_bytes_ = 0;
  std::string storage_path_ = "/tmp/sidecar-agent/transactions_to_retry";
  int outdated_file_in_days_ = 10;
  double storage_max_disk_ratio_ = 0.8;
};

// Errors are InvalidArgument with a message naming the variable and the accepted form.
absl::StatusOr<FinalizedConfig> Finalize(const RawConfig& raw);

}  // namespace sidecar::config
