// File: apm/msgpack_trace_decoder.h
//
// The msgpack body layouts behind DecodeTraces (apm/trace_decoder.h), one per API version:
//   - v0.4 (also v0.2/v0.3 sent as msgpack): an array of traces, each an array of span maps;
//   - v0.5 (apm.md §2.2): [string table, traces], each span an array of exactly 12 elements whose
//     strings are table indexes of any integer width (R18-R20);
//   - v0.7 (apm.md §2.4): a TracerPayload map whose chunks hold v0.4 span maps.
//
//   SIDECAR_RETURN_IF_ERROR(internal::DecodeMsgpackV05(body, payload, limits));
//
// Container headers above limits.max_container_elements fail with "too long payload" (R10), spans
// beyond limits.max_spans fail the body. Chunks are appended to `out`; v0.4 and v0.5 chunks get
// priority kPriorityNone. On error `out` may hold partial data.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "apm/trace_decoder.h"
#include "apm/trace_types.h"

namespace sidecar::apm::internal {

absl::Status DecodeMsgpackV04(std::string_view body, TracerPayload& out,
                              const DecodeLimits& limits);
absl::Status DecodeMsgpackV05(std::string_view body, TracerPayload& out,
                              const DecodeLimits& limits);
absl::Status DecodeMsgpackV07(std::string_view body, TracerPayload& out,
                              const DecodeLimits& limits);

}  // namespace sidecar::apm::internal
