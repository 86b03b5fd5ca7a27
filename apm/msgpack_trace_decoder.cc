#include "apm/msgpack_trace_decoder.h"

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "agent/common/status_macros.h"
#include "apm/msgpack_field_readers.h"
#include "apm/msgpack_reader.h"
#include "apm/msgpack_span_reader.h"
#include "apm/utf8_repair.h"
#include "fmt/format.h"

namespace sidecar::apm::internal {
namespace {

// Reserves room for `count` elements from an outer header read with kLimitOnly, which was not
// checked against the body size.
int BoundedReserve(uint32_t count, const MsgpackReader& reader) {
  return static_cast<int>(std::min<uint64_t>(count, reader.remaining()));
}

}  // namespace

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

namespace {

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
    MsgpackType type = MsgpackType::kNil;
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

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace sidecar::apm::internal
