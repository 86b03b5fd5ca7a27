// File: statsd/series_encoder.h
//
// Series -> `/api/v2/series` payloads (spec ../shared/spec/dogstatsd.md §9.3, §9.4, §9.8): a
// protobuf MetricPayload written by hand, one MetricSeries (field 1) at a time into a stream
// compressor, so splitting at the caps costs nothing. Pure: no I/O, clock or logging.
//
//   const SeriesEncoder encoder(EncoderOptions{.compression = forwarder::CompressionKind::kZstd});
//   EncodeResult result = encoder.Encode(flush.series);
//   for (forwarder::Payload& payload : result.payloads) forwarder.Submit(std::move(payload));
//   stats.series_dropped_too_big += result.items_dropped_too_big;
//
// Each MetricSeries, as the Agent writes it for DogStatsD:
// - resources: {type "host", name host} first (name may be ""), then {type "device", name x}
//   when the serie has a `device:x` tag (the tag is removed; the last one wins, H04), then one
//   resource per `dd.internal.resource:<type>:<name>` tag (removed; a malformed one is dropped);
// - metric, the remaining tags, points {value, timestamp}, type (GAUGE 3 / RATE 2, H01/H02),
//   interval, metadata origin {product 10, category 10, service 0}; unit and source_type_name
//   are left out.
// A serie that alone exceeds a cap, or has more points than a payload may carry (10,000), is
// dropped and counted (H05); otherwise payloads are split (H06). Payload::item_count is the
// number of points.
#pragma once

#include <span>
#include <string_view>

#include "statsd/metric_types.h"
#include "statsd/payload_builder.h"

namespace sidecar::statsd {

inline constexpr std::string_view kSeriesRoute = "/api/v2/series";

class SeriesEncoder {
 public:
  // Series handed over in pieces (TimeSampler::Flush with a piece size) go into one run of
  // payloads, split only at the caps, as if encoded at once; the pieces need not all be held.
  class Stream {
   public:
    explicit Stream(const EncoderOptions& options,
                    const PayloadLimits& limits = kSeriesPayloadLimits);
    // The payloads closed while adding these series, and the series dropped.
    EncodeResult Add(std::span<const Serie> series);
    // The rest.
    EncodeResult Finish();

   private:
    internal::PayloadBuilder builder_;
    std::string record_;
    std::string scratch_;
  };

  explicit SeriesEncoder(const EncoderOptions& options,
                         const PayloadLimits& limits = kSeriesPayloadLimits);

  EncodeResult Encode(std::span<const Serie> series) const;

 private:
  EncoderOptions options_;
  PayloadLimits limits_;
};

namespace internal {
// One MetricPayload.series record (key, length, MetricSeries) appended to `out`; `scratch` is
// reused between calls to avoid allocations.
void AppendSeriesRecord(const Serie& serie, std::string& out, std::string& scratch);
}  // namespace internal

}  // namespace sidecar::statsd
