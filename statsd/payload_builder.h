// File: statsd/payload_builder.h
//
// What every DogStatsD upstream encoder shares (spec ../shared/spec/dogstatsd.md §9.8): the options
// and result types, the intake size caps, and PayloadBuilder, which streams already-serialized
// items into a compressor and closes a payload before it would break a cap.
//
//   internal::PayloadBuilder builder(options, kSketchPayloadLimits, shape, framing);
//   for (...) { if (builder.Add(item_bytes, 1) == AddResult::kTooBig) ++dropped; }
//   EncodeResult result = builder.Finish();
//
// Design notes:
// - Like the Agent's stream compressor, decisions use the codec's worst-case bound, so an item is
//   "too big" when header + item + footer could exceed a cap even in an empty payload; it is then
//   dropped and counted, never an error. The bound is made exact (by a Flush) only near a cap.
// - A payload is a header, items joined by a separator, and a footer (JSON "[", ",", "]";
//   protobuf: nothing, nothing, and for sketches the CommonMetadata field).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/forwarder/compression.h"
#include "agent/forwarder/payload.h"

namespace sidecar::statsd {

struct EncoderOptions {
  // Content-Encoding of every payload. Agent `serializer_compressor_kind`, default zstd (7.63+).
  forwarder::CompressionKind compression = forwarder::CompressionKind::kZstd;
  // Agent `serializer_zstd_compressor_level`, default 1.
  int zstd_level = 1;
};

// Size caps of one payload (spec §9.8; Agent `serializer_max_*` keys).
struct PayloadLimits {
  size_t max_compressed_bytes = 0;
  size_t max_uncompressed_bytes = 0;
  // Cap on the sum of item counts (points, for series); unlimited for the other payloads.
  uint64_t max_item_count = std::numeric_limits<uint64_t>::max();
};

// /api/v2/series: 512,000 B compressed, 5,242,880 B uncompressed, 10,000 points.
inline constexpr PayloadLimits kSeriesPayloadLimits{512'000, 5'242'880, 10'000};
// /api/beta/sketches, /api/v1/check_run, /intake/: 2.5 MiB compressed, 4 MiB uncompressed.
inline constexpr PayloadLimits kDefaultPayloadLimits{2'621'440, 4'194'304};

// DD-Agent-Payload header of protobuf payloads (series, sketches; spec §9.3, H12). The Agent sends
// the version of DataDog/agent-payload it was built with (ldflags from its go.mod, "x.y.z" without
// the "v"). The exact pin of Agent 7.60 could not be confirmed; datadog-agent v0.59 modules require
// v5.0.137 and dependency graphs with v0.60.1 modules resolve to v5.0.140. Vector's Datadog
// metrics sink has long sent a hard-coded "4.87.0", so the intake evidently does not require an
// exact match; our schema (proto/metrics.proto) is a subset of v5.
inline constexpr std::string_view kAgentPayloadVersion = "5.0.140";

struct EncodeResult {
  std::vector<forwarder::Payload> payloads;
  // Items (series, sketches, checks, events) that could not fit even an empty payload (Agent
  // `ItemTooBig`), including series with more points than a payload may carry.
  uint64_t items_dropped_too_big = 0;
  // Items the format cannot represent (a NaN/Inf point in v1 JSON series); dropped.
  uint64_t items_dropped_invalid = 0;
  // Compressor failures (allocation failure; never expected). The items of the payload being
  // built when one happens are lost.
  uint64_t compression_errors = 0;
};

// Moves `more`'s payloads, in order, and its counts onto the end of `into`.
inline void AppendEncodeResult(EncodeResult&& more, EncodeResult& into) {
  for (forwarder::Payload& payload : more.payloads) {
    into.payloads.push_back(std::move(payload));
  }
  into.items_dropped_too_big += more.items_dropped_too_big;
  into.items_dropped_invalid += more.items_dropped_invalid;
  into.compression_errors += more.compression_errors;
}

namespace internal {

// The fixed parts of every payload a builder produces.
struct PayloadShape {
  std::string route;
  std::string kind;
  std::string content_type;
  forwarder::Headers extra_headers;  // Content-Encoding is added from the options.
};

struct PayloadFraming {
  std::string header;
  std::string separator;
  std::string footer;
};

class PayloadBuilder {
 public:
  enum class AddResult { kAdded, kTooBig, kCompressionError };

  PayloadBuilder(const EncoderOptions& options, const PayloadLimits& limits, PayloadShape shape,
                 PayloadFraming framing);
  PayloadBuilder(const PayloadBuilder&) = delete;
  PayloadBuilder& operator=(const PayloadBuilder&) = delete;
  ~PayloadBuilder();

  // True when `item` with `count` could go into an empty payload.
  bool FitsEmptyPayload(std::string_view item, uint64_t count) const;

  // Appends one serialized item that contributes `count` to Payload::item_count, closing the
  // current payload first when the item would not fit it. kTooBig: nothing was added.
  AddResult Add(std::string_view item, uint64_t count);

  // Hands over the payloads closed so far (and the counts so far) while the current one stays
  // open, so a long stream of items need not hold every finished payload.
  EncodeResult TakeClosed();

  // Closes the last payload and hands over everything built. The builder is spent afterwards.
  EncodeResult Finish();

 private:
  bool Open();
  void Close();
  bool FitsCurrent(std::string_view item, uint64_t count);
  // Counts a compressor failure and abandons the current payload.
  void Fail();

  EncoderOptions options_;
  PayloadLimits limits_;
  PayloadShape shape_;
  PayloadFraming framing_;
  // An untouched compressor of the configured kind: its bound is that of an empty payload.
  std::unique_ptr<forwarder::StreamCompressor> probe_;
  std::unique_ptr<forwarder::StreamCompressor> current_;
  uint64_t current_items_ = 0;  // Items appended to current_.
  uint64_t current_count_ = 0;  // Sum of their counts.
  size_t unflushed_bytes_ = 0;  // Appended to current_ since its last Flush().
  EncodeResult result_;
};

}  // namespace internal
}  // namespace sidecar::statsd
