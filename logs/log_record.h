// LogRecord: one log line as it crosses the stages of the logs pipeline (receiver → processor →
// batcher). Receivers fill the source fields; the processor fills the Datadog fields.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace sidecar::logs {

enum class LogSource { kForward, kTcpLine };

struct LogRecord {
  LogSource source = LogSource::kForward;
  // Fluent tag ("<container>-firelens-<task id>" under FireLens); empty for raw lines.
  std::string tag;
  // Event time in nanoseconds since the epoch (receive time for raw lines).
  int64_t timestamp_ns = 0;
  // The record's `log` field when it has one, else the whole record as JSON; the raw line for TCP.
  std::string message;
  // The other record fields (container_name, source, ecs_task_arn, ...), as a JSON object.
  nlohmann::json attributes = nlohmann::json::object();

  // Datadog fields, set by the processor (ecs-logs.md B4.3, B5).
  std::string status;
  std::string service;
  std::string ddsource;
  std::string ddtags;
  std::string hostname;
};

}  // namespace sidecar::logs
