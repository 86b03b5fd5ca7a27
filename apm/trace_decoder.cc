#include "apm/trace_decoder.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "agent/common/status_macros.h"
#include "apm/msgpack_reader.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::apm {
namespace internal {
namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when the first byte does not start
// one (Go's utf8.DecodeRune returning RuneError with width 1).
size_t ValidSequenceLength(const unsigned char* s, size_t size) {
  const unsigned char b0 = s[0];
  if (b0 < 0x80) {
    return 1;
  }
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
    return i < size && s[i] >= lo && s[i] <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    return cont(1) ? 2 : 0;
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const unsigned char lo = b0 == 0xe0 ? 0xa0 : 0x80;
    const unsigned char hi = b0 == 0xed ? 0x9f : 0xbf;  // no UTF-16 surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const unsigned char lo = b0 == 0xf0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xf4 ? 0x8f : 0xbf;  // nothing above U+10FFFF
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Index of the first byte that does not start a valid sequence, or `size`.
size_t FirstInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t length = ValidSequenceLength(s + i, text.size() - i);
    if (length == 0) {
      return i;
    }
    i += length;
  }
  return text.size();
}

}  // namespace

void AssignRepairedUtf8(std::string_view text, std::string& out) {
  const size_t first_invalid = FirstInvalidUtf8(text);
  if (first_invalid == text.size()) {
    out.assign(text.data(), text.size());
    return;
  }
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  out.assign(text.data(), first_invalid);
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = first_invalid;
  while (i < text.size()) {
    const size_t length = ValidSequenceLength(s + i, text.size() - i);
    if (length == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(text.data() + i, length);
      i += length;
    }
  }
}

}  // namespace internal

namespace {

using internal::AssignRepairedUtf8;

bool IsValidUtf8(std::string_view text) { return internal::FirstInvalidUtf8(text) == text.size(); }

// Sets `map[key] = value` for string maps, repairing both; no temporary when the key is valid.
template <typename Map>
std::string& MapSlot(Map& map, std::string_view key) {
  if (IsValidUtf8(key)) {
    return map[key];
  }
  std::string repaired;
  AssignRepairedUtf8(key, repaired);
  return map[repaired];
}

// ---------------------------------------------------------------------------------------------
// msgpack: the lenient scalar readers of apm.md §2.1 (the Agent's parse*Bytes helpers).

absl::Status TypeMismatch(MsgpackReader& reader, std::string_view wanted) {
  MsgpackType type;
  SIDECAR_RETURN_IF_ERROR(reader.PeekType(type));
  return absl::InvalidArgumentError(
      fmt::format("msgp: attempted to decode type \"{}\" with method for \"{}\"",
                  MsgpackTypeName(type), wanted));
}

// nil => "", str/bin => the bytes; anything else is a type error.
absl::Status ReadStringView(MsgpackReader& reader, std::string_view& value) {
  if (reader.TryReadNil()) {
    value = {};
    return absl::OkStatus();
  }
  return reader.ReadStringOrBinary(value);
}

absl::Status ReadString(MsgpackReader& reader, std::string& out) {
  std::string_view view;
  SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, view));
  AssignRepairedUtf8(view, out);
  return absl::OkStatus();
}

absl::Status ReadLenientInt(MsgpackReader& reader, MsgpackInt& value) {
  if (reader.TryReadNil()) {
    value = {};
    return absl::OkStatus();
  }
  MsgpackType type;
  SIDECAR_RETURN_IF_ERROR(reader.PeekType(type));
  if (type != MsgpackType::kInt) {
    return TypeMismatch(reader, "int");
  }
  return reader.ReadInt(value);
}

// Signed values are reinterpreted: tracers in languages without unsigned types send them so.
absl::Status ReadUint64(MsgpackReader& reader, uint64_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadLenientInt(reader, value));
  out = value.bits;
  return absl::OkStatus();
}

absl::Status ReadInt64(MsgpackReader& reader, int64_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadLenientInt(reader, value));
  if (!value.negative && value.bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError("found uint64, overflows int64");
  }
  out = value.AsInt64();
  return absl::OkStatus();
}

absl::Status ReadInt32(MsgpackReader& reader, int32_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadLenientInt(reader, value));
  const int64_t v = value.AsInt64();
  if (!value.negative && value.bits > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError("found uint32, overflows int32");
  }
  if (v < std::numeric_limits<int32_t>::min()) {
    return absl::InvalidArgumentError(fmt::format("msgp: {} overflows int32", v));
  }
  out = static_cast<int32_t>(v);
  return absl::OkStatus();
}

absl::Status ReadUint32(MsgpackReader& reader, uint32_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadLenientInt(reader, value));
  if (value.negative) {
    return absl::InvalidArgumentError(
        fmt::format("msgp: attempted to decode negative value {} into unsigned", value.AsInt64()));
  }
  if (value.bits > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(fmt::format("msgp: {} overflows uint32", value.bits));
  }
  out = static_cast<uint32_t>(value.bits);
  return absl::OkStatus();
}

// Tracers shrink numbers, so metrics arrive as any int, uint, float32 or float64.
absl::Status ReadFloat64(MsgpackReader& reader, double& out) {
  if (reader.TryReadNil()) {
    out = 0;
    return absl::OkStatus();
  }
  MsgpackType type;
  SIDECAR_RETURN_IF_ERROR(reader.PeekType(type));
  if (type == MsgpackType::kInt) {
    MsgpackInt value;
    SIDECAR_RETURN_IF_ERROR(reader.ReadInt(value));
    out = value.negative ? static_cast<double>(value.AsInt64()) : static_cast<double>(value.bits);
    return absl::OkStatus();
  }
  if (type == MsgpackType::kFloat32 || type == MsgpackType::kFloat64) {
    return reader.ReadFloat(out);
  }
  return TypeMismatch(reader, "float64");
}

absl::Status ReadBool(MsgpackReader& reader, bool& out) {
  if (reader.TryReadNil()) {
    out = false;
    return absl::OkStatus();
  }
  return reader.ReadBool(out);
}

// nil is an empty container.
absl::Status ReadMapHeaderOrNil(MsgpackReader& reader, uint32_t& count) {
  if (reader.TryReadNil()) {
    count = 0;
    return absl::OkStatus();
  }
  return reader.ReadMapHeader(count);
}

absl::Status ReadArrayHeaderOrNil(MsgpackReader& reader, uint32_t& count) {
  if (reader.TryReadNil()) {
    count = 0;
    return absl::OkStatus();
  }
  return reader.ReadArrayHeader(count);
}

// map<str,str>; values of any other type fail the payload (R21).
template <typename Map>
absl::Status ReadStringMap(MsgpackReader& reader, Map& map) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(ReadMapHeaderOrNil(reader, count));
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    std::string_view value;
    SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, key));
    SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, value));
    AssignRepairedUtf8(value, MapSlot(map, key));
  }
  return absl::OkStatus();
}

absl::Status ReadMetricsMap(MsgpackReader& reader, Span& span) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(ReadMapHeaderOrNil(reader, count));
  auto& metrics = *span.mutable_metrics();
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    double value = 0;
    SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, key));
    SIDECAR_RETURN_IF_ERROR(ReadFloat64(reader, value));
    if (IsValidUtf8(key)) {
      metrics[key] = value;
    } else {
      std::string repaired;
      AssignRepairedUtf8(key, repaired);
      metrics[repaired] = value;
    }
  }
  return absl::OkStatus();
}

// map<str,bin>: the blobs are msgpack themselves and stay opaque (no UTF-8 repair).
absl::Status ReadMetaStruct(MsgpackReader& reader, Span& span) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(ReadMapHeaderOrNil(reader, count));
  auto& meta_struct = *span.mutable_meta_struct();
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, key));
    std::string_view value;
    if (!reader.TryReadNil()) {
      MsgpackType type;
      SIDECAR_RETURN_IF_ERROR(reader.PeekType(type));
      if (type != MsgpackType::kBin) {
        return TypeMismatch(reader, "bin");
      }
      SIDECAR_RETURN_IF_ERROR(reader.ReadStringOrBinary(value));
    }
    MapSlot(meta_struct, key).assign(value.data(), value.size());
  }
  return absl::OkStatus();
}

absl::Status ReadSpanLink(MsgpackReader& reader, datadog::trace::SpanLink& link) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadMapHeader(count));
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(reader.ReadStringOrBinary(key));
    if (key == "trace_id") {
      uint64_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, v));
      link.set_traceid(v);
    } else if (key == "trace_id_high") {
      uint64_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, v));
      link.set_traceid_high(v);
    } else if (key == "span_id") {
      uint64_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, v));
      link.set_spanid(v);
    } else if (key == "attributes") {
      link.mutable_attributes()->clear();
      SIDECAR_RETURN_IF_ERROR(ReadStringMap(reader, *link.mutable_attributes()));
    } else if (key == "tracestate") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *link.mutable_tracestate()));
    } else if (key == "flags") {
      uint32_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadUint32(reader, v));
      link.set_flags(v);
    } else {
      SIDECAR_RETURN_IF_ERROR(reader.Skip());
    }
  }
  return absl::OkStatus();
}

// Fields shared by AttributeAnyValue and AttributeArrayValue (same names, same numbers).
template <typename Value>
absl::Status ReadScalarAttributeField(MsgpackReader& reader, std::string_view key, Value& value,
                                      bool& handled) {
  handled = true;
  if (key == "type") {
    int32_t v = 0;
    SIDECAR_RETURN_IF_ERROR(ReadInt32(reader, v));
    // Open proto3 enum: any int32 is representable, unknown values are kept like Go keeps them.
    value.set_type(static_cast<decltype(value.type())>(v));
  } else if (key == "string_value") {
    SIDECAR_RETURN_IF_ERROR(ReadString(reader, *value.mutable_string_value()));
  } else if (key == "bool_value") {
    bool v = false;
    SIDECAR_RETURN_IF_ERROR(ReadBool(reader, v));
    value.set_bool_value(v);
  } else if (key == "int_value") {
    int64_t v = 0;
    SIDECAR_RETURN_IF_ERROR(ReadInt64(reader, v));
    value.set_int_value(v);
  } else if (key == "double_value") {
    double v = 0;
    SIDECAR_RETURN_IF_ERROR(ReadFloat64(reader, v));
    value.set_double_value(v);
  } else {
    handled = false;
  }
  return absl::OkStatus();
}

absl::Status ReadArrayValue(MsgpackReader& reader, datadog::trace::AttributeArrayValue& value) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadMapHeader(count));
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(reader.ReadStringOrBinary(key));
    bool handled = false;
    SIDECAR_RETURN_IF_ERROR(ReadScalarAttributeField(reader, key, value, handled));
    if (!handled) {
      SIDECAR_RETURN_IF_ERROR(reader.Skip());
    }
  }
  return absl::OkStatus();
}

absl::Status ReadAnyValue(MsgpackReader& reader, datadog::trace::AttributeAnyValue& value) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(ReadMapHeaderOrNil(reader, count));
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(reader.ReadStringOrBinary(key));
    bool handled = false;
    SIDECAR_RETURN_IF_ERROR(ReadScalarAttributeField(reader, key, value, handled));
    if (handled) {
      continue;
    }
    if (key != "array_value") {
      SIDECAR_RETURN_IF_ERROR(reader.Skip());
      continue;
    }
    uint32_t fields = 0;
    SIDECAR_RETURN_IF_ERROR(ReadMapHeaderOrNil(reader, fields));
    auto& array = *value.mutable_array_value();
    for (uint32_t f = 0; f < fields; ++f) {
      std::string_view field;
      SIDECAR_RETURN_IF_ERROR(reader.ReadStringOrBinary(field));
      if (field != "values") {
        SIDECAR_RETURN_IF_ERROR(reader.Skip());
        continue;
      }
      uint32_t elements = 0;
      SIDECAR_RETURN_IF_ERROR(ReadArrayHeaderOrNil(reader, elements));
      array.mutable_values()->Reserve(static_cast<int>(elements));
      for (uint32_t e = 0; e < elements; ++e) {
        if (reader.TryReadNil()) {
          continue;
        }
        SIDECAR_RETURN_IF_ERROR(ReadArrayValue(reader, *array.add_values()));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ReadSpanEvent(MsgpackReader& reader, datadog::trace::SpanEvent& event) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadMapHeader(count));
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(reader.ReadStringOrBinary(key));
    if (key == "time_unix_nano") {
      uint64_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, v));
      event.set_time_unix_nano(v);
    } else if (key == "name") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *event.mutable_name()));
    } else if (key == "attributes") {
      uint32_t attributes = 0;
      SIDECAR_RETURN_IF_ERROR(ReadMapHeaderOrNil(reader, attributes));
      auto& map = *event.mutable_attributes();
      for (uint32_t a = 0; a < attributes; ++a) {
        std::string_view name;
        SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, name));
        datadog::trace::AttributeAnyValue* value;
        if (IsValidUtf8(name)) {
          value = &map[name];
        } else {
          std::string repaired;
          AssignRepairedUtf8(name, repaired);
          value = &map[repaired];
        }
        value->Clear();
        SIDECAR_RETURN_IF_ERROR(ReadAnyValue(reader, *value));
      }
    } else {
      SIDECAR_RETURN_IF_ERROR(reader.Skip());
    }
  }
  return absl::OkStatus();
}

// One v0.4 span map (apm.md §2.1).
absl::Status ReadSpan(MsgpackReader& reader, Span& span) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadMapHeader(count));
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(reader.ReadStringOrBinary(key));
    if (key == "service") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *span.mutable_service()));
    } else if (key == "name") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *span.mutable_name()));
    } else if (key == "resource") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *span.mutable_resource()));
    } else if (key == "trace_id") {
      uint64_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, v));
      span.set_traceid(v);
    } else if (key == "span_id") {
      uint64_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, v));
      span.set_spanid(v);
    } else if (key == "parent_id") {
      uint64_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, v));
      span.set_parentid(v);
    } else if (key == "start") {
      int64_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadInt64(reader, v));
      span.set_start(v);
    } else if (key == "duration") {
      int64_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadInt64(reader, v));
      span.set_duration(v);
    } else if (key == "error") {
      int32_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadInt32(reader, v));
      span.set_error(v);
    } else if (key == "meta") {
      span.mutable_meta()->clear();  // a repeated key replaces the map, as in Go
      SIDECAR_RETURN_IF_ERROR(ReadStringMap(reader, *span.mutable_meta()));
    } else if (key == "metrics") {
      span.mutable_metrics()->clear();
      SIDECAR_RETURN_IF_ERROR(ReadMetricsMap(reader, span));
    } else if (key == "type") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *span.mutable_type()));
    } else if (key == "meta_struct") {
      span.mutable_meta_struct()->clear();
      SIDECAR_RETURN_IF_ERROR(ReadMetaStruct(reader, span));
    } else if (key == "span_links") {
      uint32_t links = 0;
      SIDECAR_RETURN_IF_ERROR(ReadArrayHeaderOrNil(reader, links));
      span.mutable_spanlinks()->Clear();
      span.mutable_spanlinks()->Reserve(static_cast<int>(links));
      for (uint32_t l = 0; l < links; ++l) {
        if (!reader.TryReadNil()) {
          SIDECAR_RETURN_IF_ERROR(ReadSpanLink(reader, *span.add_spanlinks()));
        }
      }
    } else if (key == "span_events") {
      uint32_t events = 0;
      SIDECAR_RETURN_IF_ERROR(ReadArrayHeaderOrNil(reader, events));
      span.mutable_spanevents()->Clear();
      span.mutable_spanevents()->Reserve(static_cast<int>(events));
      for (uint32_t e = 0; e < events; ++e) {
        if (!reader.TryReadNil()) {
          SIDECAR_RETURN_IF_ERROR(ReadSpanEvent(reader, *span.add_spanevents()));
        }
      }
    } else {
      SIDECAR_RETURN_IF_ERROR(reader.Skip());
    }
  }
  return absl::OkStatus();
}

// Array of span maps into `chunk`; nil spans are dropped.
absl::Status ReadSpans(MsgpackReader& reader, TraceChunk& chunk) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(ReadArrayHeaderOrNil(reader, count));
  chunk.mutable_spans()->Reserve(static_cast<int>(count));
  for (uint32_t i = 0; i < count; ++i) {
    if (!reader.TryReadNil()) {
      SIDECAR_RETURN_IF_ERROR(reader.TakeSpan());
      SIDECAR_RETURN_IF_ERROR(ReadSpan(reader, *chunk.add_spans()));
    }
  }
  return absl::OkStatus();
}

// Reserves room for `count` elements from an outer header read with kLimitOnly, which was not
// checked against the body size.
int BoundedReserve(uint32_t count, const MsgpackReader& reader) {
  return static_cast<int>(std::min<uint64_t>(count, reader.remaining()));
}

absl::Status DecodeMsgpackV04(std::string_view body, TracerPayload& out,
                              const DecodeLimits& limits) {
  MsgpackReader reader(body, limits.max_container_elements);
  reader.set_span_budget(limits.max_spans);
  if (reader.TryReadNil()) {
    return absl::OkStatus();
  }
  uint32_t traces = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadArrayHeader(traces, MsgpackReader::HeaderCheck::kLimitOnly));
  out.mutable_chunks()->Reserve(out.chunks_size() + BoundedReserve(traces, reader));
  for (uint32_t t = 0; t < traces; ++t) {
    TraceChunk& chunk = *out.add_chunks();
    chunk.set_priority(kPriorityNone);
    SIDECAR_RETURN_IF_ERROR(ReadSpans(reader, chunk));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// v0.5 (apm.md §2.2).

class StringTable {
 public:
  absl::Status Read(MsgpackReader& reader) {
    uint32_t count = 0;
    SIDECAR_RETURN_IF_ERROR(reader.ReadArrayHeader(count));
    strings_.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      std::string_view view;
      SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, view));
      if (!IsValidUtf8(view)) {
        AssignRepairedUtf8(view, repaired_.emplace_back());
        view = repaired_.back();
      }
      strings_.push_back(view);
    }
    return absl::OkStatus();
  }

  // Reads an index of any integer width and resolves it.
  absl::Status Lookup(MsgpackReader& reader, std::string_view& value) const {
    MsgpackType type;
    SIDECAR_RETURN_IF_ERROR(reader.PeekType(type));
    if (type != MsgpackType::kInt) {
      return TypeMismatch(reader, "uint32");
    }
    uint32_t index = 0;
    SIDECAR_RETURN_IF_ERROR(ReadUint32(reader, index));
    if (index >= strings_.size()) {
      return absl::InvalidArgumentError(fmt::format("dictionary index {} out of range", index));
    }
    value = strings_[index];
    return absl::OkStatus();
  }

  absl::Status LookupInto(MsgpackReader& reader, std::string& out) const {
    std::string_view value;
    SIDECAR_RETURN_IF_ERROR(Lookup(reader, value));
    out.assign(value.data(), value.size());
    return absl::OkStatus();
  }

 private:
  std::vector<std::string_view> strings_;  // into the body or into repaired_
  std::deque<std::string> repaired_;       // deque: views into it stay valid as it grows
};

absl::Status ReadSpanV05(MsgpackReader& reader, const StringTable& dict, Span& span) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadArrayHeader(count));
  if (count != 12) {
    return absl::InvalidArgumentError("encoded span needs exactly 12 elements in array");
  }
  SIDECAR_RETURN_IF_ERROR(dict.LookupInto(reader, *span.mutable_service()));
  SIDECAR_RETURN_IF_ERROR(dict.LookupInto(reader, *span.mutable_name()));
  SIDECAR_RETURN_IF_ERROR(dict.LookupInto(reader, *span.mutable_resource()));
  uint64_t u = 0;
  SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, u));
  span.set_traceid(u);
  SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, u));
  span.set_spanid(u);
  SIDECAR_RETURN_IF_ERROR(ReadUint64(reader, u));
  span.set_parentid(u);
  int64_t i = 0;
  SIDECAR_RETURN_IF_ERROR(ReadInt64(reader, i));
  span.set_start(i);
  SIDECAR_RETURN_IF_ERROR(ReadInt64(reader, i));
  span.set_duration(i);
  int32_t error = 0;
  SIDECAR_RETURN_IF_ERROR(ReadInt32(reader, error));
  span.set_error(error);

  uint32_t entries = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadMapHeader(entries));
  auto& meta = *span.mutable_meta();
  for (uint32_t e = 0; e < entries; ++e) {
    std::string_view key;
    std::string_view value;
    SIDECAR_RETURN_IF_ERROR(dict.Lookup(reader, key));
    SIDECAR_RETURN_IF_ERROR(dict.Lookup(reader, value));
    meta[key].assign(value.data(), value.size());
  }
  SIDECAR_RETURN_IF_ERROR(reader.ReadMapHeader(entries));
  auto& metrics = *span.mutable_metrics();
  for (uint32_t e = 0; e < entries; ++e) {
    std::string_view key;
    double value = 0;
    SIDECAR_RETURN_IF_ERROR(dict.Lookup(reader, key));
    SIDECAR_RETURN_IF_ERROR(ReadFloat64(reader, value));
    metrics[key] = value;
  }
  return dict.LookupInto(reader, *span.mutable_type());
}

absl::Status DecodeMsgpackV05(std::string_view body, TracerPayload& out,
                              const DecodeLimits& limits) {
  MsgpackReader reader(body, limits.max_container_elements);
  reader.set_span_budget(limits.max_spans);
  // The Agent reads but does not check the outer count ([dict, traces]).
  uint32_t outer = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadArrayHeader(outer, MsgpackReader::HeaderCheck::kLimitOnly));
  StringTable dict;
  SIDECAR_RETURN_IF_ERROR(dict.Read(reader));
  uint32_t traces = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadArrayHeader(traces));
  out.mutable_chunks()->Reserve(out.chunks_size() + static_cast<int>(traces));
  for (uint32_t t = 0; t < traces; ++t) {
    TraceChunk& chunk = *out.add_chunks();
    chunk.set_priority(kPriorityNone);
    uint32_t spans = 0;
    SIDECAR_RETURN_IF_ERROR(reader.ReadArrayHeader(spans));
    chunk.mutable_spans()->Reserve(static_cast<int>(spans));
    for (uint32_t s = 0; s < spans; ++s) {
      SIDECAR_RETURN_IF_ERROR(reader.TakeSpan());
      SIDECAR_RETURN_IF_ERROR(ReadSpanV05(reader, dict, *chunk.add_spans()));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// v0.7 (apm.md §2.4).

absl::Status ReadChunkV07(MsgpackReader& reader, TraceChunk& chunk) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadMapHeader(count));
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(reader.ReadStringOrBinary(key));
    if (key == "priority") {
      int32_t v = 0;
      SIDECAR_RETURN_IF_ERROR(ReadInt32(reader, v));
      chunk.set_priority(v);
    } else if (key == "origin") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *chunk.mutable_origin()));
    } else if (key == "spans") {
      chunk.mutable_spans()->Clear();
      SIDECAR_RETURN_IF_ERROR(ReadSpans(reader, chunk));
    } else if (key == "tags") {
      chunk.mutable_tags()->clear();
      SIDECAR_RETURN_IF_ERROR(ReadStringMap(reader, *chunk.mutable_tags()));
    } else if (key == "dropped_trace") {
      bool v = false;
      SIDECAR_RETURN_IF_ERROR(ReadBool(reader, v));
      chunk.set_droppedtrace(v);
    } else {
      SIDECAR_RETURN_IF_ERROR(reader.Skip());
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeMsgpackV07(std::string_view body, TracerPayload& out,
                              const DecodeLimits& limits) {
  MsgpackReader reader(body, limits.max_container_elements);
  reader.set_span_budget(limits.max_spans);
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(reader.ReadMapHeader(count));
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(reader.ReadStringOrBinary(key));
    if (key == "container_id") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *out.mutable_containerid()));
    } else if (key == "language_name") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *out.mutable_languagename()));
    } else if (key == "language_version") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *out.mutable_languageversion()));
    } else if (key == "tracer_version") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *out.mutable_tracerversion()));
    } else if (key == "runtime_id") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *out.mutable_runtimeid()));
    } else if (key == "env") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *out.mutable_env()));
    } else if (key == "hostname") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *out.mutable_hostname()));
    } else if (key == "app_version") {
      SIDECAR_RETURN_IF_ERROR(ReadString(reader, *out.mutable_appversion()));
    } else if (key == "tags") {
      SIDECAR_RETURN_IF_ERROR(ReadStringMap(reader, *out.mutable_tags()));
    } else if (key == "chunks") {
      uint32_t chunks = 0;
      SIDECAR_RETURN_IF_ERROR(ReadArrayHeaderOrNil(reader, chunks));
      out.mutable_chunks()->Reserve(out.chunks_size() + static_cast<int>(chunks));
      for (uint32_t c = 0; c < chunks; ++c) {
        if (!reader.TryReadNil()) {
          SIDECAR_RETURN_IF_ERROR(ReadChunkV07(reader, *out.add_chunks()));
        }
      }
    } else {
      SIDECAR_RETURN_IF_ERROR(reader.Skip());
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// JSON (apm.md §2.3): what Go's encoding/json does with the same span structs.

using Json = nlohmann::json;

// Go matches struct field names case-insensitively.
bool KeyIs(const std::string& key, std::string_view name) {
  if (key.size() != name.size()) {
    return false;
  }
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != name[i]) {
      return false;
    }
  }
  return true;
}

absl::Status JsonTypeError(const Json& value, std::string_view field, std::string_view go_type) {
  return absl::InvalidArgumentError(
      fmt::format("json: cannot unmarshal {} into Go struct field {} of type {}", value.type_name(),
                  field, go_type));
}

absl::Status JsonUint64(const Json& value, std::string_view field, uint64_t& out) {
  if (value.is_null()) {
    return absl::OkStatus();  // Go leaves the field alone
  }
  if (!value.is_number_unsigned()) {
    return JsonTypeError(value, field, "uint64");
  }
  out = value.get<uint64_t>();
  return absl::OkStatus();
}

absl::Status JsonInt64(const Json& value, std::string_view field, int64_t& out) {
  if (value.is_null()) {
    return absl::OkStatus();
  }
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    out = value.get<int64_t>();
    return absl::OkStatus();
  }
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    out = static_cast<int64_t>(value.get<uint64_t>());
    return absl::OkStatus();
  }
  return JsonTypeError(value, field, "int64");
}

absl::Status JsonInt32(const Json& value, std::string_view field, int32_t& out) {
  int64_t wide = out;
  if (absl::Status status = JsonInt64(value, field, wide);
      !status.ok() || wide < std::numeric_limits<int32_t>::min() ||
      wide > std::numeric_limits<int32_t>::max()) {
    return JsonTypeError(value, field, "int32");
  }
  out = static_cast<int32_t>(wide);
  return absl::OkStatus();
}

absl::Status JsonUint32(const Json& value, std::string_view field, uint32_t& out) {
  uint64_t wide = out;
  if (absl::Status status = JsonUint64(value, field, wide);
      !status.ok() || wide > std::numeric_limits<uint32_t>::max()) {
    return JsonTypeError(value, field, "uint32");
  }
  out = static_cast<uint32_t>(wide);
  return absl::OkStatus();
}

absl::Status JsonDouble(const Json& value, std::string_view field, double& out) {
  if (value.is_null()) {
    return absl::OkStatus();
  }
  if (!value.is_number()) {
    return JsonTypeError(value, field, "float64");
  }
  out = value.get<double>();
  return absl::OkStatus();
}

absl::Status JsonBool(const Json& value, std::string_view field, bool& out) {
  if (value.is_null()) {
    return absl::OkStatus();
  }
  if (!value.is_boolean()) {
    return JsonTypeError(value, field, "bool");
  }
  out = value.get<bool>();
  return absl::OkStatus();
}

// The body was made valid UTF-8 before parsing, so strings are copied as they are.
absl::Status JsonString(const Json& value, std::string_view field, std::string& out) {
  if (value.is_null()) {
    return absl::OkStatus();
  }
  if (!value.is_string()) {
    return JsonTypeError(value, field, "string");
  }
  out = value.get_ref<const std::string&>();
  return absl::OkStatus();
}

template <typename Map>
absl::Status JsonStringMap(const Json& value, std::string_view field, Map& map) {
  if (value.is_null()) {
    map.clear();  // Go sets a nil map
    return absl::OkStatus();
  }
  if (!value.is_object()) {
    return JsonTypeError(value, field, "map[string]string");
  }
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string() && !item.is_null()) {
      return JsonTypeError(item, field, "string");
    }
    std::string& slot = map[key];
    slot.clear();
    if (item.is_string()) {
      slot = item.template get_ref<const std::string&>();
    }
  }
  return absl::OkStatus();
}

template <typename Value>
absl::Status JsonAttributeScalar(const std::string& key, const Json& item, Value& value,
                                 bool& handled) {
  handled = true;
  if (KeyIs(key, "type")) {
    int32_t v = value.type();
    SIDECAR_RETURN_IF_ERROR(JsonInt32(item, "AttributeAnyValue.type", v));
    value.set_type(static_cast<decltype(value.type())>(v));
  } else if (KeyIs(key, "string_value")) {
    SIDECAR_RETURN_IF_ERROR(JsonString(item, "string_value", *value.mutable_string_value()));
  } else if (KeyIs(key, "bool_value")) {
    bool v = value.bool_value();
    SIDECAR_RETURN_IF_ERROR(JsonBool(item, "bool_value", v));
    value.set_bool_value(v);
  } else if (KeyIs(key, "int_value")) {
    int64_t v = value.int_value();
    SIDECAR_RETURN_IF_ERROR(JsonInt64(item, "int_value", v));
    value.set_int_value(v);
  } else if (KeyIs(key, "double_value")) {
    double v = value.double_value();
    SIDECAR_RETURN_IF_ERROR(JsonDouble(item, "double_value", v));
    value.set_double_value(v);
  } else {
    handled = false;
  }
  return absl::OkStatus();
}

absl::Status JsonAnyValue(const Json& json, datadog::trace::AttributeAnyValue& value) {
  if (json.is_null()) {
    return absl::OkStatus();
  }
  if (!json.is_object()) {
    return JsonTypeError(json, "SpanEvent.attributes", "AttributeAnyValue");
  }
  for (const auto& [key, item] : json.items()) {
    bool handled = false;
    SIDECAR_RETURN_IF_ERROR(JsonAttributeScalar(key, item, value, handled));
    if (handled || !KeyIs(key, "array_value") || item.is_null()) {
      continue;
    }
    if (!item.is_object()) {
      return JsonTypeError(item, "array_value", "AttributeArray");
    }
    for (const auto& [field, values] : item.items()) {
      if (!KeyIs(field, "values") || values.is_null()) {
        continue;
      }
      if (!values.is_array()) {
        return JsonTypeError(values, "values", "[]AttributeArrayValue");
      }
      auto& out = *value.mutable_array_value()->mutable_values();
      out.Clear();
      for (const Json& element : values) {
        if (element.is_null()) {
          continue;
        }
        if (!element.is_object()) {
          return JsonTypeError(element, "values", "AttributeArrayValue");
        }
        auto& array_value = *out.Add();
        for (const auto& [element_key, element_item] : element.items()) {
          bool ignored = false;
          SIDECAR_RETURN_IF_ERROR(
              JsonAttributeScalar(element_key, element_item, array_value, ignored));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status JsonSpanLink(const Json& json, datadog::trace::SpanLink& link) {
  if (!json.is_object()) {
    return JsonTypeError(json, "Span.span_links", "SpanLink");
  }
  for (const auto& [key, item] : json.items()) {
    if (KeyIs(key, "trace_id")) {
      uint64_t v = link.traceid();
      SIDECAR_RETURN_IF_ERROR(JsonUint64(item, "SpanLink.trace_id", v));
      link.set_traceid(v);
    } else if (KeyIs(key, "trace_id_high")) {
      uint64_t v = link.traceid_high();
      SIDECAR_RETURN_IF_ERROR(JsonUint64(item, "SpanLink.trace_id_high", v));
      link.set_traceid_high(v);
    } else if (KeyIs(key, "span_id")) {
      uint64_t v = link.spanid();
      SIDECAR_RETURN_IF_ERROR(JsonUint64(item, "SpanLink.span_id", v));
      link.set_spanid(v);
    } else if (KeyIs(key, "attributes")) {
      SIDECAR_RETURN_IF_ERROR(
          JsonStringMap(item, "SpanLink.attributes", *link.mutable_attributes()));
    } else if (KeyIs(key, "tracestate")) {
      SIDECAR_RETURN_IF_ERROR(JsonString(item, "SpanLink.tracestate", *link.mutable_tracestate()));
    } else if (KeyIs(key, "flags")) {
      uint32_t v = link.flags();
      SIDECAR_RETURN_IF_ERROR(JsonUint32(item, "SpanLink.flags", v));
      link.set_flags(v);
    }
  }
  return absl::OkStatus();
}

absl::Status JsonSpanEvent(const Json& json, datadog::trace::SpanEvent& event) {
  if (!json.is_object()) {
    return JsonTypeError(json, "Span.span_events", "SpanEvent");
  }
  for (const auto& [key, item] : json.items()) {
    if (KeyIs(key, "time_unix_nano")) {
      uint64_t v = event.time_unix_nano();
      SIDECAR_RETURN_IF_ERROR(JsonUint64(item, "SpanEvent.time_unix_nano", v));
      event.set_time_unix_nano(v);
    } else if (KeyIs(key, "name")) {
      SIDECAR_RETURN_IF_ERROR(JsonString(item, "SpanEvent.name", *event.mutable_name()));
    } else if (KeyIs(key, "attributes") && !item.is_null()) {
      if (!item.is_object()) {
        return JsonTypeError(item, "SpanEvent.attributes", "map[string]AttributeAnyValue");
      }
      for (const auto& [name, value] : item.items()) {
        SIDECAR_RETURN_IF_ERROR(JsonAnyValue(value, (*event.mutable_attributes())[name]));
      }
    }
  }
  return absl::OkStatus();
}

template <typename Message, typename ReadOne>
absl::Status JsonArrayOf(const Json& item, std::string_view field,
                         google::protobuf::RepeatedPtrField<Message>& out, ReadOne read_one) {
  out.Clear();
  if (item.is_null()) {
    return absl::OkStatus();
  }
  if (!item.is_array()) {
    return JsonTypeError(item, field, "array");
  }
  out.Reserve(static_cast<int>(item.size()));
  for (const Json& element : item) {
    if (!element.is_null()) {
      SIDECAR_RETURN_IF_ERROR(read_one(element, *out.Add()));
    }
  }
  return absl::OkStatus();
}

absl::Status JsonSpan(const Json& json, Span& span) {
  if (!json.is_object()) {
    return JsonTypeError(json, "Trace", "Span");
  }
  for (const auto& [key, item] : json.items()) {
    if (KeyIs(key, "service")) {
      SIDECAR_RETURN_IF_ERROR(JsonString(item, "Span.service", *span.mutable_service()));
    } else if (KeyIs(key, "name")) {
      SIDECAR_RETURN_IF_ERROR(JsonString(item, "Span.name", *span.mutable_name()));
    } else if (KeyIs(key, "resource")) {
      SIDECAR_RETURN_IF_ERROR(JsonString(item, "Span.resource", *span.mutable_resource()));
    } else if (KeyIs(key, "trace_id")) {
      uint64_t v = span.traceid();
      SIDECAR_RETURN_IF_ERROR(JsonUint64(item, "Span.trace_id", v));
      span.set_traceid(v);
    } else if (KeyIs(key, "span_id")) {
      uint64_t v = span.spanid();
      SIDECAR_RETURN_IF_ERROR(JsonUint64(item, "Span.span_id", v));
      span.set_spanid(v);
    } else if (KeyIs(key, "parent_id")) {
      uint64_t v = span.parentid();
      SIDECAR_RETURN_IF_ERROR(JsonUint64(item, "Span.parent_id", v));
      span.set_parentid(v);
    } else if (KeyIs(key, "start")) {
      int64_t v = span.start();
      SIDECAR_RETURN_IF_ERROR(JsonInt64(item, "Span.start", v));
      span.set_start(v);
    } else if (KeyIs(key, "duration")) {
      int64_t v = span.duration();
      SIDECAR_RETURN_IF_ERROR(JsonInt64(item, "Span.duration", v));
      span.set_duration(v);
    } else if (KeyIs(key, "error")) {
      int32_t v = span.error();
      SIDECAR_RETURN_IF_ERROR(JsonInt32(item, "Span.error", v));
      span.set_error(v);
    } else if (KeyIs(key, "meta")) {
      SIDECAR_RETURN_IF_ERROR(JsonStringMap(item, "Span.meta", *span.mutable_meta()));
    } else if (KeyIs(key, "metrics")) {
      if (item.is_null()) {
        span.mutable_metrics()->clear();
        continue;
      }
      if (!item.is_object()) {
        return JsonTypeError(item, "Span.metrics", "map[string]float64");
      }
      for (const auto& [name, value] : item.items()) {
        double v = 0;
        SIDECAR_RETURN_IF_ERROR(JsonDouble(value, "Span.metrics", v));
        (*span.mutable_metrics())[name] = v;
      }
    } else if (KeyIs(key, "type")) {
      SIDECAR_RETURN_IF_ERROR(JsonString(item, "Span.type", *span.mutable_type()));
    } else if (KeyIs(key, "meta_struct")) {
      if (item.is_null()) {
        span.mutable_meta_struct()->clear();
        continue;
      }
      if (!item.is_object()) {
        return JsonTypeError(item, "Span.meta_struct", "map[string][]uint8");
      }
      for (const auto& [name, value] : item.items()) {
        std::string& slot = (*span.mutable_meta_struct())[name];
        slot.clear();
        if (value.is_null()) {
          continue;
        }
        // Go encodes []byte as standard base64.
        const std::string* encoded = value.get_ptr<const std::string*>();
        if (encoded == nullptr ||
            !absl::Base64Unescape(absl::string_view(encoded->data(), encoded->size()), &slot)) {
          return JsonTypeError(value, "Span.meta_struct", "[]uint8");
        }
      }
    } else if (KeyIs(key, "span_links")) {
      SIDECAR_RETURN_IF_ERROR(
          JsonArrayOf(item, "Span.span_links", *span.mutable_spanlinks(), JsonSpanLink));
    } else if (KeyIs(key, "span_events")) {
      SIDECAR_RETURN_IF_ERROR(
          JsonArrayOf(item, "Span.span_events", *span.mutable_spanevents(), JsonSpanEvent));
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeJson(std::string_view body, TracerPayload& out) {
  // Answer the common non-JSON body (msgpack sent with a vague content type) without the cost of
  // a parser exception.
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return UnexpectedEof();  // Go: io.EOF
  }
  if (std::string_view("[{\"-0123456789tfn").find(body[first]) == std::string_view::npos) {
    const auto c = static_cast<unsigned char>(body[first]);
    return absl::InvalidArgumentError(
        c >= 0x20 && c < 0x7f
            ? fmt::format("invalid character '{}' looking for beginning of value", body[first])
            : fmt::format("invalid character '\\x{:02x}' looking for beginning of value", c));
  }
  // Go's decoder replaces invalid UTF-8 inside strings by U+FFFD, nlohmann rejects it; invalid
  // bytes can only be legal inside strings, so repairing the whole body first is equivalent.
  std::string repaired;
  if (!IsValidUtf8(body)) {
    AssignRepairedUtf8(body, repaired);
    body = repaired;
  }
  Json root;
  try {
    root = Json::parse(body.begin(), body.end());
  } catch (const Json::parse_error& e) {
    const std::string_view what = e.what();
    if (what.find("unexpected end of input") != std::string_view::npos) {
      return UnexpectedEof();
    }
    return absl::InvalidArgumentError(fmt::format("invalid JSON: {}", what));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(fmt::format("invalid JSON: {}", e.what()));
  }
  if (root.is_null()) {
    return absl::OkStatus();
  }
  if (!root.is_array()) {
    return absl::InvalidArgumentError(
        fmt::format("json: cannot unmarshal {} into Go value of type pb.Traces", root.type_name()));
  }
  out.mutable_chunks()->Reserve(out.chunks_size() + static_cast<int>(root.size()));
  for (const Json& trace : root) {
    TraceChunk& chunk = *out.add_chunks();
    chunk.set_priority(kPriorityNone);
    if (trace.is_null()) {
      continue;
    }
    if (!trace.is_array()) {
      return absl::InvalidArgumentError(fmt::format(
          "json: cannot unmarshal {} into Go value of type pb.Trace", trace.type_name()));
    }
    chunk.mutable_spans()->Reserve(static_cast<int>(trace.size()));
    for (const Json& span : trace) {
      if (!span.is_null()) {
        SIDECAR_RETURN_IF_ERROR(JsonSpan(span, *chunk.add_spans()));
      }
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Content-Type (Go's mime.ParseMediaType, as the Agent's getMediaType uses it).

bool IsTokenChar(char c) {
  if (c <= ' ' || c >= 0x7f) {
    return false;
  }
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view ConsumeToken(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && IsTokenChar(s[n])) {
    ++n;
  }
  const std::string_view token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

// Returns the lower-cased media type, or nullopt when Go's parser would fail.
std::optional<std::string> ParseMediaType(std::string_view header) {
  const size_t semicolon = header.find(';');
  std::string media(TrimSpace(header.substr(0, semicolon)));
  for (char& c : media) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  std::string_view rest = media;
  if (ConsumeToken(rest).empty()) {
    return std::nullopt;  // "mime: no media type"
  }
  if (!rest.empty()) {
    if (rest.front() != '/') {
      return std::nullopt;
    }
    rest.remove_prefix(1);
    if (ConsumeToken(rest).empty() || !rest.empty()) {
      return std::nullopt;
    }
  }
  // Parameters: `; key=value` with a token key and a token or quoted-string value.
  std::string_view params =
      semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon);
  std::vector<std::string> seen;
  while (true) {
    params = TrimSpace(params);
    if (params.empty()) {
      break;
    }
    if (TrimSpace(params) == ";") {
      break;  // a trailing semicolon is tolerated
    }
    if (params.front() != ';') {
      return std::nullopt;
    }
    params.remove_prefix(1);
    params = TrimSpace(params);
    std::string key(ConsumeToken(params));
    if (key.empty()) {
      return std::nullopt;
    }
    params = TrimSpace(params);
    if (params.empty() || params.front() != '=') {
      return std::nullopt;
    }
    params.remove_prefix(1);
    params = TrimSpace(params);
    if (!params.empty() && params.front() == '"') {
      size_t i = 1;
      bool closed = false;
      while (i < params.size()) {
        if (params[i] == '\\' && i + 1 < params.size()) {
          i += 2;
          continue;
        }
        if (params[i] == '"') {
          closed = true;
          break;
        }
        ++i;
      }
      if (!closed) {
        return std::nullopt;
      }
      params.remove_prefix(i + 1);
    } else if (ConsumeToken(params).empty()) {
      return std::nullopt;
    }
    for (char& c : key) {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
    }
    for (const std::string& previous : seen) {
      if (previous == key) {
        return std::nullopt;  // "mime: duplicate parameter name"
      }
    }
    seen.push_back(std::move(key));
  }
  return media;
}

absl::Status DecodeV04Style(BodyEncoding encoding, std::string_view body, TracerPayload& out,
                            const DecodeLimits& limits) {
  switch (encoding) {
    case BodyEncoding::kMsgpack:
      return DecodeMsgpackV04(body, out, limits);
    case BodyEncoding::kJson:
      return DecodeJson(body, out);
    case BodyEncoding::kJsonOrMsgpack: {
      const int chunks_before = out.chunks_size();
      if (DecodeJson(body, out).ok()) {
        return absl::OkStatus();
      }
      out.mutable_chunks()->DeleteSubrange(chunks_before, out.chunks_size() - chunks_before);
      return DecodeMsgpackV04(body, out, limits);
    }
  }
  return absl::InternalError("unknown body encoding");
}

}  // namespace

BodyEncoding EncodingForContentType(std::string_view content_type) {
  const std::optional<std::string> media = ParseMediaType(content_type);
  if (!media) {
    return BodyEncoding::kJson;
  }
  if (*media == "application/msgpack") {
    return BodyEncoding::kMsgpack;
  }
  if (*media == "application/json" || *media == "text/json") {
    return BodyEncoding::kJson;
  }
  return BodyEncoding::kJsonOrMsgpack;
}

absl::Status DecodeTraces(TraceApiVersion version, BodyEncoding encoding, std::string_view body,
                          TracerPayload& out, const DecodeLimits& limits) {
  switch (version) {
    case TraceApiVersion::kV02:
      if (encoding == BodyEncoding::kMsgpack) {
        return absl::UnimplementedError("unsupported media type: \"application/msgpack\"");
      }
      return DecodeV04Style(encoding, body, out, limits);
    case TraceApiVersion::kV03:
    case TraceApiVersion::kV04:
      return DecodeV04Style(encoding, body, out, limits);
    case TraceApiVersion::kV05:
      return DecodeMsgpackV05(body, out, limits);
    case TraceApiVersion::kV07:
      return DecodeMsgpackV07(body, out, limits);
  }
  return absl::InvalidArgumentError("unknown trace API version");
}

}  // namespace sidecar::apm
