#include "apm/json_trace_decoder.h"

#include <cstdint>
#include <exception>
#include <limits>
#include <string>

#include "absl/strings/escaping.h"
#include "agent/common/status_macros.h"
#include "apm/msgpack_reader.h"  // UnexpectedEof: one status for truncation, whatever the encoding
#include "apm/utf8_repair.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::apm::internal {
namespace {

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

}  // namespace

absl::Status DecodeJsonTraces(std::string_view body, TracerPayload& out) {
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

}  // namespace sidecar::apm::internal
