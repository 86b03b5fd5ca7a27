#include "apm/tracer_payload_encoder.h"

#include <cstring>
#include <string>

namespace sidecar::apm {
namespace {

constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) { return (field << 3) | wire_type; }

size_t VarintSize(uint64_t value) {
  // 1 + floor(bits / 7): the branch-free form of counting 7-bit groups.
  const int bits = 64 - __builtin_clzll(value | 1);
  return static_cast<size_t>((bits * 9 + 64) / 64);
}

// protobuf writes a negative int32 or int64 as the ten-byte varint of its 64-bit two's complement.
uint64_t SignExtended(int64_t value) { return static_cast<uint64_t>(value); }

uint8_t* WriteVarint(uint64_t value, uint8_t* out) {
  while (value >= 0x80) {
    *out++ = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<uint8_t>(value);
  return out;
}

uint8_t* WriteBytes(std::string_view bytes, uint8_t* out) {
  out = WriteVarint(bytes.size(), out);
  std::memcpy(out, bytes.data(), bytes.size());
  return out + bytes.size();
}

// Every tag below is under 128: one byte.
size_t StringFieldSize(const std::string& value) {
  return value.empty() ? 0 : 1 + VarintSize(value.size()) + value.size();
}
uint8_t* WriteStringField(uint32_t field, const std::string& value, uint8_t* out) {
  if (value.empty()) {
    return out;
  }
  *out++ = static_cast<uint8_t>(Tag(field, kLengthDelimited));
  return WriteBytes(value, out);
}
size_t VarintFieldSize(uint64_t value) { return value == 0 ? 0 : 1 + VarintSize(value); }
uint8_t* WriteVarintField(uint32_t field, uint64_t value, uint8_t* out) {
  if (value == 0) {
    return out;
  }
  *out++ = static_cast<uint8_t>(Tag(field, kVarint));
  return WriteVarint(value, out);
}

// A map entry message always carries both its key (1) and value (2), defaults included, as the
// generated code writes them.
size_t StringEntrySize(const std::string& key, const std::string& value) {
  return 2 + VarintSize(key.size()) + key.size() + VarintSize(value.size()) + value.size();
}
size_t DoubleEntrySize(const std::string& key) {
  return 1 + VarintSize(key.size()) + key.size() + 1 + sizeof(double);
}

size_t StringMapSize(const google::protobuf::Map<std::string, std::string>& map) {
  size_t size = 0;
  for (const auto& [key, value] : map) {
    const size_t entry = StringEntrySize(key, value);
    size += 1 + VarintSize(entry) + entry;
  }
  return size;
}
uint8_t* WriteStringMap(uint32_t field, const google::protobuf::Map<std::string, std::string>& map,
                        uint8_t* out) {
  for (const auto& [key, value] : map) {
    *out++ = static_cast<uint8_t>(Tag(field, kLengthDelimited));
    out = WriteVarint(StringEntrySize(key, value), out);
    *out++ = static_cast<uint8_t>(Tag(1, kLengthDelimited));
    out = WriteBytes(key, out);
    *out++ = static_cast<uint8_t>(Tag(2, kLengthDelimited));
    out = WriteBytes(value, out);
  }
  return out;
}

// A span's map entries as the measuring pass found them, so that the writing pass copies them in
// order from a flat array instead of walking the protobuf maps (bucket by bucket) and sizing each
// entry again. Map iteration order is stable while the map is unchanged.
size_t MeasureSpanMeta(const google::protobuf::Map<std::string, std::string>& map,
                       std::vector<TracerPayloadEncoder::StringEntry>& entries) {
  size_t size = 0;
  for (const auto& [key, value] : map) {
    const size_t entry = StringEntrySize(key, value);
    entries.push_back({key, value, entry});
    size += 1 + VarintSize(entry) + entry;
  }
  return size;
}
uint8_t* WriteStringEntries(uint32_t field, const TracerPayloadEncoder::StringEntry* entry,
                            const TracerPayloadEncoder::StringEntry* end, uint8_t* out) {
  for (; entry != end; ++entry) {
    *out++ = static_cast<uint8_t>(Tag(field, kLengthDelimited));
    out = WriteVarint(entry->size, out);
    *out++ = static_cast<uint8_t>(Tag(1, kLengthDelimited));
    out = WriteBytes(entry->key, out);
    *out++ = static_cast<uint8_t>(Tag(2, kLengthDelimited));
    out = WriteBytes(entry->value, out);
  }
  return out;
}

size_t MeasureSpanMetrics(const google::protobuf::Map<std::string, double>& map,
                          std::vector<TracerPayloadEncoder::DoubleEntry>& entries) {
  size_t size = 0;
  for (const auto& [key, value] : map) {
    const size_t entry = DoubleEntrySize(key);
    entries.push_back({key, value, entry});
    size += 1 + VarintSize(entry) + entry;
  }
  return size;
}
uint8_t* WriteDoubleEntries(uint32_t field, const TracerPayloadEncoder::DoubleEntry* entry,
                            const TracerPayloadEncoder::DoubleEntry* end, uint8_t* out) {
  for (; entry != end; ++entry) {
    *out++ = static_cast<uint8_t>(Tag(field, kLengthDelimited));
    out = WriteVarint(entry->size, out);
    *out++ = static_cast<uint8_t>(Tag(1, kLengthDelimited));
    out = WriteBytes(entry->key, out);
    *out++ = static_cast<uint8_t>(Tag(2, kFixed64));
    std::memcpy(out, &entry->value, sizeof(entry->value));  // Little-endian, as the wire format.
    out += sizeof(entry->value);
  }
  return out;
}

bool NeedsGeneratedCode(const Span& span) {
  return span.meta_struct_size() > 0 || span.spanlinks_size() > 0 || span.spanevents_size() > 0;
}

size_t NestedFieldSize(size_t size) { return 1 + VarintSize(size) + size; }
uint8_t* WriteNestedHeader(uint32_t field, size_t size, uint8_t* out) {
  *out++ = static_cast<uint8_t>(Tag(field, kLengthDelimited));
  return WriteVarint(size, out);
}

}  // namespace

size_t TracerPayloadEncoder::SpanSize(const Span& span) {
  if (NeedsGeneratedCode(span)) {
    return span.ByteSizeLong();  // Caches the nested sizes SerializeWithCachedSizes reads.
  }
  static_assert(sizeof(double) == 8);
  return StringFieldSize(span.service()) + StringFieldSize(span.name()) +
         StringFieldSize(span.resource()) + VarintFieldSize(span.traceid()) +
         VarintFieldSize(span.spanid()) + VarintFieldSize(span.parentid()) +
         VarintFieldSize(SignExtended(span.start())) +
         VarintFieldSize(SignExtended(span.duration())) +
         VarintFieldSize(SignExtended(span.error())) +
         MeasureSpanMeta(span.meta(), string_entries_) +
         MeasureSpanMetrics(span.metrics(), double_entries_) + StringFieldSize(span.type());
}

uint8_t* TracerPayloadEncoder::WriteSpan(const Span& span, WriteCursor& cursor,
                                         uint8_t* out) const {
  if (NeedsGeneratedCode(span)) {
    return span.SerializeWithCachedSizesToArray(out);
  }
  out = WriteStringField(1, span.service(), out);
  out = WriteStringField(2, span.name(), out);
  out = WriteStringField(3, span.resource(), out);
  out = WriteVarintField(4, span.traceid(), out);
  out = WriteVarintField(5, span.spanid(), out);
  out = WriteVarintField(6, span.parentid(), out);
  out = WriteVarintField(7, SignExtended(span.start()), out);
  out = WriteVarintField(8, SignExtended(span.duration()), out);
  out = WriteVarintField(9, SignExtended(span.error()), out);
  const StringEntry* meta = string_entries_.data() + cursor.string_entry;
  cursor.string_entry += static_cast<size_t>(span.meta_size());
  out = WriteStringEntries(10, meta, string_entries_.data() + cursor.string_entry, out);
  const DoubleEntry* metrics = double_entries_.data() + cursor.double_entry;
  cursor.double_entry += static_cast<size_t>(span.metrics_size());
  out = WriteDoubleEntries(11, metrics, double_entries_.data() + cursor.double_entry, out);
  return WriteStringField(12, span.type(), out);
}

size_t TracerPayloadEncoder::Measure(const TracerPayload& payload) {
  sizes_.clear();
  string_entries_.clear();
  double_entries_.clear();
  size_t size = StringFieldSize(payload.containerid()) + StringFieldSize(payload.languagename()) +
                StringFieldSize(payload.languageversion()) +
                StringFieldSize(payload.tracerversion()) + StringFieldSize(payload.runtimeid());
  for (const TraceChunk& chunk : payload.chunks()) {
    const size_t chunk_index = sizes_.size();
    sizes_.push_back(0);
    size_t chunk_size = VarintFieldSize(SignExtended(chunk.priority())) +
                        StringFieldSize(chunk.origin()) + StringMapSize(chunk.tags()) +
                        (chunk.droppedtrace() ? 2 : 0);
    for (const Span& span : chunk.spans()) {
      const size_t span_size = SpanSize(span);
      sizes_.push_back(span_size);
      chunk_size += NestedFieldSize(span_size);
    }
    sizes_[chunk_index] = chunk_size;
    size += NestedFieldSize(chunk_size);
  }
  size += StringMapSize(payload.tags()) + StringFieldSize(payload.env()) +
          StringFieldSize(payload.hostname()) + StringFieldSize(payload.appversion());
  return size;
}

uint8_t* TracerPayloadEncoder::Write(const TracerPayload& payload, uint8_t* out) const {
  size_t next = 0;
  WriteCursor cursor;
  out = WriteStringField(1, payload.containerid(), out);
  out = WriteStringField(2, payload.languagename(), out);
  out = WriteStringField(3, payload.languageversion(), out);
  out = WriteStringField(4, payload.tracerversion(), out);
  out = WriteStringField(5, payload.runtimeid(), out);
  for (const TraceChunk& chunk : payload.chunks()) {
    out = WriteNestedHeader(6, sizes_[next++], out);
    out = WriteVarintField(1, SignExtended(chunk.priority()), out);
    out = WriteStringField(2, chunk.origin(), out);
    for (const Span& span : chunk.spans()) {
      out = WriteNestedHeader(3, sizes_[next++], out);
      out = WriteSpan(span, cursor, out);
    }
    out = WriteStringMap(4, chunk.tags(), out);
    if (chunk.droppedtrace()) {
      *out++ = static_cast<uint8_t>(Tag(5, kVarint));
      *out++ = 1;
    }
  }
  out = WriteStringMap(7, payload.tags(), out);
  out = WriteStringField(8, payload.env(), out);
  out = WriteStringField(9, payload.hostname(), out);
  return WriteStringField(10, payload.appversion(), out);
}

}  // namespace sidecar::apm
