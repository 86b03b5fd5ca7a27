// File: apm/msgpack_field_readers.h
//
// The lenient scalar readers of apm.md §2.1 (the Agent's parse*Bytes helpers), shared by the v0.4,
// v0.5 and v0.7 msgpack decoders (apm/msgpack_span_reader.h, apm/msgpack_trace_decoder.h) on top
// of the bounds-checked cursor of apm/msgpack_reader.h:
//
//   uint64_t trace_id = 0;
//   SIDECAR_RETURN_IF_ERROR(internal::ReadUint64(reader, trace_id));
//
// Leniency, as in the Agent: nil reads as the zero value (or an empty container), str and bin
// both read as strings, integers of any width are accepted and narrowed with Go's overflow errors,
// signed values are reinterpreted as uint64 for ids, and metrics take any int or float. Strings
// are repaired to valid UTF-8 (apm/utf8_repair.h) except where a view is returned.
//
// Errors: absl::OutOfRangeError("unexpected EOF") for truncated input, absl::InvalidArgumentError
// with the Agent's msgp wording for a type mismatch or an overflow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "apm/msgpack_reader.h"
#include "google/protobuf/map.h"

namespace sidecar::apm::internal {

// Every string map of the span model (meta, meta_struct, link attributes, chunk and payload tags).
using StringMap = google::protobuf::Map<std::string, std::string>;

// The Agent's msgp message for a value of the wrong type, naming the type found and `wanted`.
absl::Status TypeMismatch(MsgpackReader& reader, std::string_view wanted);

// nil => "", str/bin => the bytes as sent (a view into the body, not repaired).
absl::Status ReadStringView(MsgpackReader& reader, std::string_view& value);
// As ReadStringView, then repaired into `out`.
absl::Status ReadString(MsgpackReader& reader, std::string& out);

// Integers of any encoding; nil is 0.
absl::Status ReadUint64(MsgpackReader& reader, uint64_t& out);
absl::Status ReadInt64(MsgpackReader& reader, int64_t& out);
absl::Status ReadInt32(MsgpackReader& reader, int32_t& out);
absl::Status ReadUint32(MsgpackReader& reader, uint32_t& out);
// Any int, uint, float32 or float64; nil is 0.
absl::Status ReadFloat64(MsgpackReader& reader, double& out);
absl::Status ReadBool(MsgpackReader& reader, bool& out);

// Container headers where nil means empty.
absl::Status ReadMapHeaderOrNil(MsgpackReader& reader, uint32_t& count);
absl::Status ReadArrayHeaderOrNil(MsgpackReader& reader, uint32_t& count);

// The slot of `map` for `key`, repairing the key; no temporary when the key is valid.
std::string& MapSlot(StringMap& map, std::string_view key);

// map<str,str> merged into `map`, keys and values repaired; values of any other type fail the
// payload (R21).
absl::Status ReadStringMap(MsgpackReader& reader, StringMap& map);

}  // namespace sidecar::apm::internal
