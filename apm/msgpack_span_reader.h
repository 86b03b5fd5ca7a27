// File: apm/msgpack_span_reader.h
//
// The v0.4 span of apm.md §2.1 (a msgpack map keyed by field name), with its meta, metrics,
// meta_struct, span links and span events; v0.4 bodies (arrays of traces) and v0.7 chunks both
// hold arrays of these (apm/msgpack_trace_decoder.h):
//
//   TraceChunk& chunk = *out.add_chunks();
//   SIDECAR_RETURN_IF_ERROR(internal::ReadSpans(reader, chunk));
//
// Unknown keys are skipped, a repeated key replaces the earlier value (maps and lists included,
// as Go's decoder does), meta values that are not strings fail the payload (R21) and meta_struct
// values stay opaque bytes. Every span is charged to the reader's span budget
// (MsgpackReader::TakeSpan) before it is decoded.
//
// Errors: those of apm/msgpack_field_readers.h and apm/msgpack_reader.h.
#pragma once

#include "absl/status/status.h"
#include "apm/msgpack_reader.h"
#include "apm/trace_types.h"

namespace sidecar::apm::internal {

// An array of span maps (nil: none) appended to `chunk`; nil spans are dropped.
absl::Status ReadSpans(MsgpackReader& reader, TraceChunk& chunk);

}  // namespace sidecar::apm::internal
