// File: apm/json_trace_decoder.h
//
// The JSON body of v0.2-v0.4 trace requests (apm.md §2.3): an array of traces, each an array of
// span objects, read as Go's encoding/json reads the Agent's span structs. Used by DecodeTraces
// (apm/trace_decoder.h) for JSON content types, and first for unknown ones:
//
//   SIDECAR_RETURN_IF_ERROR(internal::DecodeJsonTraces(body, payload));
//
// Go's rules kept: field names match case-insensitively, null leaves a field alone (and empties a
// map or list), a value of the wrong type fails with Go's "cannot unmarshal" message, invalid
// UTF-8 inside strings becomes U+FFFD, meta_struct values are base64. Unlike Go the body must be
// one complete document. DecodeLimits do not apply: a JSON document cannot claim more elements
// than it holds.
//
// Errors: absl::OutOfRangeError("unexpected EOF") for an empty or truncated body,
// absl::InvalidArgumentError otherwise. Parser exceptions never escape.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "apm/trace_types.h"

namespace sidecar::apm::internal {

// Appends one chunk per trace to `out`, with priority kPriorityNone; a null body adds nothing.
absl::Status DecodeJsonTraces(std::string_view body, TracerPayload& out);

}  // namespace sidecar::apm::internal
