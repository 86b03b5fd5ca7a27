// File: statsd/series_v1_encoder.h
//
// Series -> legacy `/api/v1/series` JSON payloads (spec ../shared/spec/dogstatsd.md §9.5, §9.8
// row 2, cases H03/H04), used instead of the v2 protobuf when DD_USE_V2_API_SERIES=false
// (Agent `use_v2_api.series`). Fields in the Agent's order (encodeSerie in
// pkg/serializer/internal/metrics/iterable_series.go):
//
//   {"series":[{"metric":"m","points":[[1700000000,0.5]],"tags":["a:b"],"host":"",
//               "device":"sda","type":"rate","interval":10}]}
//
// `device` (from a `device:x` tag, which is removed; the last one wins) and `source_type_name`
// (never set for DogStatsD) appear only when non-empty; `dd.internal.resource:` tags are removed
// as in v2. Points are `[int timestamp, value]` with the value written as Go's jsoniter does
// (shortest round-trip, fixed notation except below 1e-6 or from 1e21). JSON has no NaN/Inf: a
// serie holding one is dropped and counted (items_dropped_invalid). Caps 2,621,440 B compressed /
// 4,194,304 B uncompressed; a serie that alone exceeds them is dropped and counted, otherwise the
// array is split. Payload::item_count is the number of points. Pure.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "statsd/metric_types.h"
#include "statsd/payload_builder.h"

namespace sidecar::statsd {

inline constexpr std::string_view kSeriesV1Route = "/api/v1/series";

class SeriesV1Encoder {
 public:
  // As SeriesEncoder::Stream: pieces of one flush into one run of payloads.
  class Stream {
   public:
    explicit Stream(const EncoderOptions& options,
                    const PayloadLimits& limits = kDefaultPayloadLimits);
    EncodeResult Add(std::span<const Serie> series);
    EncodeResult Finish();

   private:
    internal::PayloadBuilder builder_;
    std::string item_;
  };

  explicit SeriesV1Encoder(const EncoderOptions& options,
                           const PayloadLimits& limits = kDefaultPayloadLimits);

  EncodeResult Encode(std::span<const Serie> series) const;

 private:
  EncoderOptions options_;
  PayloadLimits limits_;
};

namespace internal {
// One serie as a JSON object appended to `out`; false (nothing appended) when a point value is
// not finite.
bool AppendSeriesV1Json(const Serie& serie, std::string& out);
// A double as jsoniter's WriteFloat64 writes it ('f' or 'e' format, shortest round-trip).
void AppendJsonFloat(std::string& out, double value);
}  // namespace internal

}  // namespace sidecar::statsd
