// File: statsd/sketch_encoder.h
//
// Distribution sketches -> `/api/beta/sketches` payloads (spec ../shared/spec/dogstatsd.md §8.2,
// §9.3, §9.8): a protobuf SketchPayload written by hand, one Sketch (field 1) at a time into a
// stream compressor, and the empty CommonMetadata (field 2) always written last as a footer, as
// the Agent does. Pure: no I/O, clock or logging.
//
//   const SketchEncoder encoder(EncoderOptions{});
//   EncodeResult result = encoder.Encode(flush.sketches);
//
// Each Sketch: metric, host, tags, one Dogsketch (field 7) per closed bucket {ts, cnt, min, max,
// avg, sum, k packed sint32, n packed uint32}, metadata origin {product 10, category 10,
// service 0}. Caps: 2,621,440 B compressed, 4,194,304 B uncompressed; a sketch that alone
// exceeds them is dropped and counted. Payload::item_count is the number of sketches.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "statsd/metric_types.h"
#include "statsd/payload_builder.h"

namespace sidecar::statsd {

inline constexpr std::string_view kSketchesRoute = "/api/beta/sketches";

class SketchEncoder {
 public:
  explicit SketchEncoder(const EncoderOptions& options,
                         const PayloadLimits& limits = kDefaultPayloadLimits);

  EncodeResult Encode(std::span<const SketchSerie> sketches) const;

 private:
  EncoderOptions options_;
  PayloadLimits limits_;
};

namespace internal {
// Reusable buffers for AppendSketchRecord.
struct SketchScratch {
  std::string sketch;
  std::string dogsketch;
};
// One SketchPayload.sketches record (key, length, Sketch) appended to `out`.
void AppendSketchRecord(const SketchSerie& sketch, std::string& out, SketchScratch& scratch);
}  // namespace internal

}  // namespace sidecar::statsd
