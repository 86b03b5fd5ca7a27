// File: apm/trace_decoder.h
//
// Decoders of trace request bodies (apm.md §2.1-2.4): v0.2/v0.3/v0.4 as JSON or msgpack, v0.5
// (string table) and v0.7 (TracerPayload map), straight into the protobuf model of
// apm/trace_types.h. The receiver picks the encoding from Content-Type, decodes, and maps errors to
// HTTP statuses (apm.md §1.2 steps 1 and 6):
//
//   TracerPayload payload;
//   absl::Status status = DecodeTraces(TraceApiVersion::kV04,
//                                      EncodingForContentType(content_type), body, payload);
//   if (absl::IsUnimplemented(status)) -> 415      (v0.2 with application/msgpack)
//   if (absl::IsOutOfRange(status))    -> 400, counted as unexpected-eof
//   if (!status.ok())                  -> 400 with status.message() as text
//
// Behaviour follows the Agent: lenient scalar types, nil as the zero value, str or bin for
// strings, invalid UTF-8 repaired byte by byte to U+FFFD, unknown keys skipped, meta values that
// are not strings fail the whole payload (R21), v0.5 spans of exactly 12 elements with dictionary
// indexes of any integer width (R18-R20), container headers above DecodeLimits fail with
// "too long payload" (R10). Fields are kept as sent: normalization is a later stage (R3).
//
// Deliberate differences from the Agent (documented so nobody "fixes" them by accident):
// - a nil span inside a trace is dropped (the Agent keeps a nil pointer);
// - JSON must be one complete document (Go's decoder ignores bytes after the first value);
// - for "other" content types the body is retried as msgpack from its start (Go retries on
//   whatever the JSON decoder left unread, which in practice always fails);
// - msgpack float32 is accepted for metrics (the Agent accepts float64 and integers only).
// The JSON path does not apply DecodeLimits: a JSON document cannot claim more elements than it
// holds, so its size is already bounded by the body limit.
//
// Pure and thread-compatible: no I/O, globals or exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "apm/trace_types.h"

namespace sidecar::apm {

enum class TraceApiVersion { kV02, kV03, kV04, kV05, kV07 };

enum class BodyEncoding {
  kJson,
  kMsgpack,
  // Content types other than the msgpack and JSON ones: JSON first, msgpack if that fails.
  kJsonOrMsgpack,
};

// apm.md §1.3, as the Agent applies Go's mime.ParseMediaType: the media type is the part before
// ';', trimmed and lower-cased. "application/msgpack" => kMsgpack; "application/json",
// "text/json", an empty header or one that does not parse (including bad parameters) => kJson;
// anything else => kJsonOrMsgpack. v0.5 and v0.7 ignore the result (always msgpack).
BodyEncoding EncodingForContentType(std::string_view content_type);

struct DecodeLimits {
  // Largest element count any array or map header may declare (the Agent's anti-OOM limit).
  uint32_t max_container_elements = 25'000'000;
  // Spans one body may decode into (see MsgpackReader::set_span_budget); the receiver derives it
  // from the body size.
  uint64_t max_spans = UINT64_MAX;
};

// Decodes a trace request body, appending one TraceChunk per inner array to `out.chunks` with
// priority kPriorityNone (v0.2-v0.5). For v0.7 the body is a TracerPayload map: its chunks are
// appended as sent and its header-independent fields (container_id, language_name, ..., env,
// hostname, app_version, tags) are set on `out`; the caller fills what is still empty from headers.
//
// Errors: absl::OutOfRangeError("unexpected EOF") for truncated input; absl::UnimplementedError
// for v0.2 with kMsgpack (HTTP 415, `unsupported media type: "application/msgpack"`);
// absl::InvalidArgumentError with an Agent-like message otherwise. On error `out` may hold partial
// data; the caller discards it.
absl::Status DecodeTraces(TraceApiVersion version, BodyEncoding encoding, std::string_view body,
                          TracerPayload& out, const DecodeLimits& limits = {});

namespace internal {

// Replaces `out` with `text`, every byte that does not start a valid UTF-8 sequence (Go's rules:
// no overlongs, surrogates or code points above U+10FFFF) replaced by U+FFFD, as the Agent's
// repairUTF8 does.
void AssignRepairedUtf8(std::string_view text, std::string& out);

}  // namespace internal
}  // namespace sidecar::apm
