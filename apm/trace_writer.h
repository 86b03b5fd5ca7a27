// TraceWriter: buffers processed TracerPayloads and turns them into AgentPayload requests for
// `/api/v0.2/traces` (apm.md §7): flushed every 5 s by the pipeline's timer, or at once when the
// buffer would pass 3.2 MB, compressed with the agent's compressor (zstd by default).
//
// Each payload is serialized when it is added, as an AgentPayload `tracerPayloads` field, so the
// buffer holds bytes rather than live messages (their request arena is freed right after) and a
// flush only prepends the agent fields: protobuf parsers accept fields in any order.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "agent/forwarder/compression.h"
#include "agent/forwarder/payload.h"
#include "agent/telemetry/registry.h"
#include "apm/trace_types.h"
#include "apm/tracer_payload_encoder.h"

namespace sidecar::apm {

struct TraceWriterOptions {
  std::string hostname;  // "" on Fargate.
  std::string env = "none";
  std::string agent_version;
  std::string user_agent;  // "Datadog Trace Agent/<version>/<commit>"
  double target_tps = 10;
  double error_tps = 10;
  bool rare_sampler_enabled = false;
  size_t flush_bytes = 3'200'000;
  forwarder::CompressionKind compression = forwarder::CompressionKind::kZstd;
  int zstd_level = 1;
};

class TraceWriter {
 public:
  using Submit = std::function<void(forwarder::Payload)>;
  TraceWriter(TraceWriterOptions options, Submit submit, telemetry::Registry& registry);

  void Add(const TracerPayload& payload);
  // Sends whatever is buffered (the 5 s tick and shutdown).
  void Flush();

  size_t BufferedBytes() const { return buffered_bytes_; }

 private:
  TraceWriterOptions options_;
  Submit submit_;
  TracerPayloadEncoder encoder_;
  bool HasBuffered() const { return encoded_.size() > agent_fields_.size(); }

  // The serialized AgentPayload fields that do not depend on the traces (hostname, env, ...).
  std::string agent_fields_;
  // agent_fields_, then the serialized AgentPayload.tracerPayloads fields buffered since the last
  // flush: together the AgentPayload as SerializeToString wrote it (those fields come first).
  std::string encoded_;
  size_t buffered_bytes_ = 0;
  uint64_t buffered_spans_ = 0;
  uint64_t buffered_chunks_ = 0;
  std::set<std::string> languages_;
  telemetry::Counter& payloads_;
  telemetry::Counter& bytes_;
  telemetry::Counter& spans_;
  telemetry::Counter& traces_;
  telemetry::Counter& errors_;
};

}  // namespace sidecar::apm
