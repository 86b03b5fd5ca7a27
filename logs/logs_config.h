// File: logs/logs_config.h
//
// Logs settings: the Agent's DD_LOGS_* variables (spec ../shared/spec/ecs-logs.md §B5.4) and our
// own receiver knobs (architecture.md "Names of our own settings"), validated once at start.
//
//   absl::StatusOr<LogsConfig> logs = LoadLogsConfig(environment);
//   if (!logs.ok()) { /* log logs.status() (it names the variable) and exit non-zero */ }
//
// Deviation: the Agent replaces an out-of-range batch setting by its default with a warning; we
// reject it, like every other bad value, so a typo in a task definition is seen at deploy time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/config/environment.h"
#include "agent/forwarder/compression.h"
#include "logs/processing_rules.h"

namespace sidecar::logs {

inline constexpr uint16_t kDefaultForwardPort = 24224;
inline constexpr char kDefaultForwardSocket[] = "/var/run/fluent.sock";
// Where a long line is split (Agent logs_config.max_message_size_bytes, 2026 builds): leaves room
// for the TRUNCATED markers and the JSON envelope under the intake's 1 MB per log.
inline constexpr size_t kDefaultMaxMessageBytes = 900'000;
inline constexpr size_t kMaxBatchEntries = 1000;            // Intake: ≤ 1000 logs per request.
inline constexpr size_t kMaxBatchContentBytes = 5'000'000;  // Intake: ≤ 5 MB uncompressed.

struct LogsConfig {
  // DD_LOGS_ENABLED. Default false (the Agent's). Turns the receivers on.
  bool enabled = false;
  // DD_LOGS_FORWARD_PORT: Fluent Forward on 127.0.0.1 (FireLens awsvpc). 0 disables. Default 24224.
  uint16_t forward_port = kDefaultForwardPort;
  // DD_LOGS_FORWARD_SOCKET: Fluent Forward unix socket FireLens mounts at /var/run. "" disables.
  std::string forward_socket = kDefaultForwardSocket;
  // DD_LOGS_TCP_PORT: newline-delimited raw lines. Default 0 (off).
  uint16_t tcp_port = 0;

  // DD_LOGS_CONFIG_BATCH_WAIT, whole seconds 1..10 (Agent range). Default 5 s.
  std::chrono::milliseconds batch_wait{5000};
  // DD_LOGS_CONFIG_BATCH_MAX_SIZE, 1..1000 logs per payload. Default 1000.
  size_t batch_max_size = kMaxBatchEntries;
  // DD_LOGS_CONFIG_BATCH_MAX_CONTENT_SIZE, 1..5,000,000 uncompressed bytes. Default 5,000,000.
  size_t batch_max_content_size = kMaxBatchContentBytes;

  // DD_LOGS_CONFIG_USE_COMPRESSION (default true) and DD_LOGS_CONFIG_COMPRESSION_KIND
  // (zstd | gzip, default zstd); kNone when compression is off.
  forwarder::CompressionKind compression = forwarder::CompressionKind::kZstd;
  // DD_LOGS_CONFIG_ZSTD_COMPRESSION_LEVEL, 1..22. Default 1.
  int zstd_level = 1;
  // DD_LOGS_CONFIG_COMPRESSION_LEVEL (gzip), 0..9. Default 6. Validated only: the forwarder's
  // gzip stream uses its own fixed level.
  int gzip_level = 6;

  // DD_LOGS_CONFIG_MAX_MESSAGE_SIZE_BYTES, 100..1,000,000. Default 900,000.
  size_t max_message_bytes = kDefaultMaxMessageBytes;
  // DD_LOGS_CONFIG_TAG_TRUNCATED_LOGS: add `truncated:single_line` to split pieces. Default true.
  bool tag_truncated_logs = true;
  // DD_LOGS_CONFIG_AGGREGATION_TIMEOUT (ms, 1..60000): multi_line flush timeout. Default 1000.
  std::chrono::milliseconds aggregation_timeout{1000};

  // DD_LOGS_CONFIG_PROCESSING_RULES: JSON array of {type, name, pattern, replace_placeholder},
  // already compiled once to validate them (ProcessingRules::Create rebuilds them for use).
  std::vector<RuleSpec> processing_rules;
};

absl::StatusOr<LogsConfig> LoadLogsConfig(const config::Environment& environment);

// Parses a processing-rules JSON array. InvalidArgument naming `variable` and the item when the
// text is not a JSON array of objects, a type is unknown, a field is missing or of the wrong
// type, or a pattern does not compile.
absl::StatusOr<std::vector<RuleSpec>> ParseProcessingRules(std::string_view json,
                                                           std::string_view variable);

}  // namespace sidecar::logs
