#include "apm/msgpack_span_reader.h"

#include <string>
#include <string_view>

#include "agent/common/status_macros.h"
#include "apm/msgpack_field_readers.h"
#include "apm/utf8_repair.h"

namespace sidecar::apm::internal {
namespace {

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
      MsgpackType type = MsgpackType::kNil;
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

}  // namespace

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

}  // namespace sidecar::apm::internal
