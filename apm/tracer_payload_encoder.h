// TracerPayloadEncoder: writes a TracerPayload in protobuf wire format, byte for byte what the
// generated SerializeToString writes (tests compare the two), for the trace writer's hot path.
// The generated serializer sizes every map entry twice (once for the message size, once more
// while writing it) and map fields dominate spans (~10 meta entries each); here each size is
// computed once, in a measuring pass whose results the writing pass reads back in the same
// order. The measuring pass also records each span's meta and metrics entries (views and sizes),
// so the writing pass copies them from a flat array instead of walking the protobuf maps again.
// Spans with meta_struct, span links or span events, which are rare, go through the generated
// code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "apm/trace_types.h"

namespace sidecar::apm {

class TracerPayloadEncoder {
 public:
  // Returns the payload's serialized size and remembers the nested sizes for Write.
  size_t Measure(const TracerPayload& payload);
  // Writes exactly the size Measure returned for the same, unchanged payload; returns the end.
  uint8_t* Write(const TracerPayload& payload, uint8_t* out) const;

  // One entry of a span's meta or metrics, as Measure found it (views into the payload).
  struct StringEntry {
    std::string_view key, value;
    size_t size;  // of the map entry message
  };
  struct DoubleEntry {
    std::string_view key;
    double value;
    size_t size;
  };

 private:
  // Where Write is in the entry arrays.
  struct WriteCursor {
    size_t string_entry = 0;
    size_t double_entry = 0;
  };

  size_t SpanSize(const Span& span);
  uint8_t* WriteSpan(const Span& span, WriteCursor& cursor, uint8_t* out) const;

  // Sizes of chunks and spans in the order both passes visit them.
  std::vector<size_t> sizes_;
  // Span meta and metrics entries in the order both passes visit them (spans that go through the
  // generated code have none here).
  std::vector<StringEntry> string_entries_;
  std::vector<DoubleEntry> double_entries_;
};

}  // namespace sidecar::apm
