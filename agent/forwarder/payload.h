// Payload: what an encoder hands the forwarder. The body is already compressed (encoders stream
// items into a compressor so they can honour the intake's compressed-size caps).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sidecar::forwarder {

// Which upstream intake a payload goes to; each has its own base URLs and retry table.
enum class Intake { kMetrics, kTraces, kLogs };
std::string_view IntakeName(Intake intake);

enum class Priority { kNormal, kHigh };

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Payload {
  Intake intake = Intake::kMetrics;
  std::string route;             // Path on the intake, e.g. "/api/v2/series".
  std::string kind;              // Telemetry tag, e.g. "series", "sketches", "traces", "logs".
  std::string body;              // Compressed body.
  std::string content_type;      // "application/x-protobuf", "application/json", ...
  std::string content_encoding;  // "zstd", "deflate", "gzip" or "" (identity).
  Headers extra_headers;    // Per-payload headers (DD-Agent-Payload, X-Datadog-Reported-Languages).
  uint64_t item_count = 0;  // Points/sketches/spans/logs inside, for drop accounting.
  Priority priority = Priority::kNormal;
};

}  // namespace sidecar::forwarder
