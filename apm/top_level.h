// File: apm/top_level.h
//
// Root selection, chunk attributes and top-level marking of the trace-agent (apm.md §3 steps 4, 5,
// 8 and 11; AGT:pkg/trace/traceutil/trace.go GetRoot/ComputeTopLevel, agent.go
// setChunkAttributes). Top-level spans are the ones APM stats and sampling look at: the entry span
// of each service in a trace.
//
//   const size_t root = RootSpanIndex(chunk);
//   SetChunkAttributes(chunk, chunk.spans(root));
//   if (tracer.client_computed_top_level) CopyClientTopLevel(chunk); else ComputeTopLevel(chunk);
//
// Pure functions over one chunk; no allocation for chunks of up to 32 spans.
#pragma once

#include <cstddef>
#include <string_view>

#include "apm/trace_types.h"

namespace sidecar::apm {

inline constexpr std::string_view kTopLevelKey = "_top_level";           // set by the agent
inline constexpr std::string_view kTracerTopLevelKey = "_dd.top_level";  // set by the tracer
inline constexpr std::string_view kMeasuredKey = "_dd.measured";
inline constexpr std::string_view kSamplingPriorityKey = "_sampling_priority_v1";
inline constexpr std::string_view kOriginKey = "_dd.origin";
inline constexpr std::string_view kDecisionMakerKey = "_dd.p.dm";

// §3 step 4: the last span with parent_id 0; else the first span whose parent is not in the chunk
// (the Agent picks any such span); else the last span. 0 for an empty chunk.
size_t RootSpanIndex(const TraceChunk& chunk);

// §3 step 5 (N14): a chunk without priority (kPriorityNone) takes the root's
// `_sampling_priority_v1` metric, else the first span's that has one; an empty origin takes the
// root's `_dd.origin` meta; a chunk without a `_dd.p.dm` tag takes the first span's `_dd.p.dm`
// meta (spans keep theirs). `root` is a span of `chunk`.
void SetChunkAttributes(TraceChunk& chunk, const Span& root);

// §3 step 11 (N18): metric `_top_level=1` on spans with parent_id 0, spans whose parent is not in
// the chunk, and spans whose parent has another service. Never clears an existing mark.
void ComputeTopLevel(TraceChunk& chunk);

// §3 step 8 when the tracer computed top-level itself: `_dd.top_level==1` ⇒ `_top_level=1`.
void CopyClientTopLevel(TraceChunk& chunk);

bool IsTopLevel(const Span& span);  // metric `_top_level`==1 or `_dd.top_level`==1
bool IsMeasured(const Span& span);  // metric `_dd.measured`==1

}  // namespace sidecar::apm
