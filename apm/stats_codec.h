// msgpack codecs for APM stats (apm.md §6): StatsPayload out to /api/v0.2/stats, and
// ClientStatsPayload in from tracers on /v0.6/stats (§1.6). Keys are the Go field names of the
// trace-agent's structs (PascalCase, plus "srv_src"), which is what both sides expect.
//
// The decoder reads untrusted bytes: it never throws, checks every declared length against the
// bytes left before using it, caps what one payload may create (limits below) and nesting depth,
// accepts any msgpack integer width, nil for any scalar (as its zero value), str or bin for
// strings and sketches, and skips keys it does not know. The bounds checks are MsgpackReader's
// (apm/msgpack_reader.h, shared with the trace decoders): container headers above 25 M elements
// and unknown values nested kSkipDepthLimit (64) deep are refused. Every error, truncation
// included, is InvalidArgument with a "stats payload: " prefix.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "apm/stats_types.h"

namespace sidecar::apm {

// Largest /v0.6/stats body accepted (the agent's limited reader, apm.md §1.6).
inline constexpr size_t kMaxClientStatsBodyBytes = 25 * 1024 * 1024;
// What one decoded ClientStatsPayload may hold, so a small body cannot expand into gigabytes of
// structs: buckets, groups over all buckets, and strings in tag lists over the whole payload.
inline constexpr size_t kMaxClientStatsBuckets = 1024;
inline constexpr size_t kMaxClientStatsGroups = 100000;
inline constexpr size_t kMaxClientStatsTagStrings = 200000;

// StatsPayload as msgpack (maps with the §6 key names, every field written).
std::string EncodeStatsPayload(const StatsPayload& payload);

// ClientStatsPayload from a /v0.6/stats body. InvalidArgument on malformed msgpack, a wrong type
// for a known key, or a limit exceeded; trailing bytes after the top-level map are an error too.
absl::StatusOr<ClientStatsPayload> DecodeClientStatsPayload(std::string_view body);

}  // namespace sidecar::apm
