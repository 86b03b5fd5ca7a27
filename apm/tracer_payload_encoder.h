// TracerPayloadEncoder: writes a TracerPayload in protobuf wire format, byte for byte what the
// generated SerializeToString writes (tests compare the two), for the trace writer's hot path.
// The generated serializer sizes every map entry twice (once for the message size, once more
// while writing it) and map fields dominate spans (~10 meta entries each); here each size is
// computed once, in a measuring pass whose results the writing pass reads back in the same
// order. Spans with meta_struct, span links or span events, which are rare, go through the
// generated code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "apm/trace_types.h"

namespace sidecar::apm {

class TracerPayloadEncoder {
 public:
  // Returns the payload's serialized size and remembers the nested sizes for Write.
  size_t Measure(const TracerPayload& payload);
  // Writes exactly the size Measure returned for the same, unchanged payload; returns the end.
  uint8_t* Write(const TracerPayload& payload, uint8_t* out) const;

 private:
  // Sizes of chunks and spans in the order both passes visit them.
  std::vector<size_t> sizes_;
};

}  // namespace sidecar::apm
