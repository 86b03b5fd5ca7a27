// File: apm/normalizer.h
//
// Chunk validation, per-span normalization and truncation of the trace-agent (apm.md §3 steps 2-3
// and the span table; AGT:pkg/trace/agent/normalizer.go, truncator.go). Spans are edited in place
// in the protobuf model (apm/trace_types.h); a span that is already normal is not written to.
//
//   Normalizer normalizer(clock);
//   NormalizeCounters counters;
//   for (TraceChunk& chunk : *payload.mutable_chunks()) {
//     if (ChunkDropReason reason = normalizer.NormalizeChunk(chunk, lang, counters);
//         reason != ChunkDropReason::kNone) { count traces_dropped{reason}; drop chunk; continue; }
//     ...  // root, chunk attributes (apm/top_level.h), filters, obfuscation
//     for (Span& span : *chunk.mutable_spans()) TruncateSpan(span);
//   }
//
// Thread-safety: Normalizer is immutable after construction; NormalizeCounters belongs to the
// caller (one per batch or per strand), so concurrent calls need separate counters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/common/clock.h"
#include "apm/trace_types.h"

namespace sidecar::apm {

// Limits of AGT:pkg/trace/traceutil/truncate.go and normalizer.go.
inline constexpr size_t kMaxTypeLen = 100;
inline constexpr size_t kMaxResourceLen = 5000;  // 15000 with the `big_resource` feature
inline constexpr size_t kMaxMetaKeyLen = 200;    // also metrics keys
inline constexpr size_t kMaxMetaValueLen = 25000;
// 2000-01-01T00:00:00Z in ns: an earlier span start is garbage and replaced by now - duration.
inline constexpr int64_t kYear2000Nanos = 946684800LL * 1000000000LL;

// Why a chunk was dropped; the Agent's traces_dropped{reason} tags.
enum class ChunkDropReason { kNone, kEmptyTrace, kTraceIdZero, kSpanIdZero, kForeignSpan };
std::string_view ChunkDropReasonName(ChunkDropReason reason);  // "" for kNone

// What was repaired in a span (span kept); the Agent's spans_malformed{reason} tags.
enum class MalformedReason : uint8_t {
  kServiceEmpty,
  kServiceTruncate,
  kServiceInvalid,
  kPeerServiceTruncate,
  kPeerServiceInvalid,
  kBaseServiceTruncate,
  kBaseServiceInvalid,
  kSpanNameEmpty,
  kSpanNameTruncate,
  kSpanNameInvalid,
  kResourceEmpty,
  kTypeTruncate,
  kInvalidStartDate,
  kInvalidDuration,
  kInvalidHttpStatusCode,
  kDuplicateSpanId,
};
inline constexpr size_t kMalformedReasonCount =
    static_cast<size_t>(MalformedReason::kDuplicateSpanId) + 1;
// "service_empty", "span_name_truncate", "duplicate_span_id", ...
std::string_view MalformedReasonName(MalformedReason reason);

// Counts of repaired fields, reported as datadog.trace_agent.normalizer.spans_malformed.
struct NormalizeCounters {
  std::array<uint64_t, kMalformedReasonCount> spans_malformed{};

  void Add(MalformedReason reason) { ++spans_malformed[static_cast<size_t>(reason)]; }
  uint64_t Get(MalformedReason reason) const {
    return spans_malformed[static_cast<size_t>(reason)];
  }
};

class Normalizer {
 public:
  // `clock` gives "now" for spans that started before 2000 (SystemNow); it must outlive us.
  explicit Normalizer(const common::Clock& clock);

  // §3 steps 2 and 3: rejects an empty chunk, a chunk mixing trace ids (low 64 bits, and
  // `_dd.p.tid` when both spans carry it) and one with a zero trace or span id; otherwise
  // normalizes every span in place and returns kNone. Spans before the offending one may already
  // be normalized when a chunk is rejected (as in the Agent). `lang` is Datadog-Meta-Lang.
  ChunkDropReason NormalizeChunk(TraceChunk& chunk, std::string_view lang,
                                 NormalizeCounters& counters) const;

  // The per-span table of §3 (service, peer/base service, name, resource, parent id, duration,
  // start, type, meta env, http.status_code, span link names). Ids are not checked here.
  void NormalizeSpan(Span& span, std::string_view lang, NormalizeCounters& counters) const;

 private:
  const common::Clock& clock_;
};

// §3 last row (N17): resource to `max_resource_len` bytes; meta keys over 200 bytes and values
// over 25000 bytes cut UTF-8-safely and suffixed with "..." (the old key is removed); metrics keys
// likewise. Structured meta keys (`_dd.` prefix and `.json`/`.msgpack`/`.protobuf` suffix) keep
// key and value whole. Call after obfuscation, which may shorten values.
void TruncateSpan(Span& span, size_t max_resource_len = kMaxResourceLen);

}  // namespace sidecar::apm
