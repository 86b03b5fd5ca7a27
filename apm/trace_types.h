// The in-memory trace model. Like the trace-agent, the sidecar keeps spans in the upstream protobuf
// classes from the moment they are decoded: normalization, obfuscation and sampling edit them in
// place, and the writer serializes them into an AgentPayload without another copy of the model.
#pragma once

#include <google/protobuf/arena.h>

#include <cstdint>
#include <memory>
#include <string>

#include "proto/span.pb.h"
#include "proto/tracer_payload.pb.h"

namespace sidecar::apm {

using Span = datadog::trace::Span;
using TraceChunk = datadog::trace::TraceChunk;
using TracerPayload = datadog::trace::TracerPayload;

// Sampling priorities (apm.md §2.1, §4). kPriorityNone marks a chunk whose tracer gave none.
inline constexpr int32_t kPriorityNone = -128;
inline constexpr int32_t kPriorityUserDrop = -1;
inline constexpr int32_t kPriorityAutoDrop = 0;
inline constexpr int32_t kPriorityAutoKeep = 1;
inline constexpr int32_t kPriorityUserKeep = 2;

// One request's decoded payload on its own arena: decoding, normalization and obfuscation then
// allocate by bumping a pointer instead of a malloc per string and map node, and the whole request
// is freed at once after the writer serialized it (malloc/free were ~30 % of the APM CPU).
class ArenaPayload {
 public:
  ArenaPayload();
  ArenaPayload(ArenaPayload&&) noexcept = default;
  ArenaPayload& operator=(ArenaPayload&&) noexcept = default;

  TracerPayload& operator*() const { return *payload_; }
  TracerPayload* operator->() const { return payload_; }

 private:
  std::unique_ptr<google::protobuf::Arena> arena_;
  TracerPayload* payload_ = nullptr;  // owned by arena_
};

// What a trace request says about its sender, from the headers of apm.md §1.3.
struct TracerInfo {
  std::string lang;                        // Datadog-Meta-Lang
  std::string lang_version;                // Datadog-Meta-Lang-Version
  std::string lang_interpreter;            // Datadog-Meta-Lang-Interpreter
  std::string lang_vendor;                 // Datadog-Meta-Lang-Interpreter-Vendor
  std::string tracer_version;              // Datadog-Meta-Tracer-Version
  std::string container_id;                // Datadog-Entity-ID / Datadog-Container-ID, resolved
  bool client_computed_top_level = false;  // Datadog-Client-Computed-Top-Level (truthy rule)
  bool client_computed_stats = false;      // Datadog-Client-Computed-Stats (truthy rule)
  int64_t client_dropped_p0_traces = 0;    // Datadog-Client-Dropped-P0-Traces
  int64_t client_dropped_p0_spans = 0;     // Datadog-Client-Dropped-P0-Spans
  std::string obfuscation_version;         // Datadog-Obfuscation-Version (/v0.6/stats)
};

}  // namespace sidecar::apm
