#include "statsd/sketch_encoder.h"

#include "statsd/proto_writer.h"

namespace sidecar::statsd {
namespace {

using internal::AppendBytesField;
using internal::AppendDoubleField;
using internal::AppendLengthPrefix;
using internal::AppendStringField;
using internal::AppendVarint;
using internal::AppendVarintField;
using internal::Int64Bits;

// Field numbers of agent-payload's SketchPayload (proto/metrics.proto, spec §8.2).
constexpr uint32_t kPayloadSketches = 1;
constexpr uint32_t kSketchMetric = 1;
constexpr uint32_t kSketchHost = 2;
constexpr uint32_t kSketchTags = 4;
constexpr uint32_t kSketchDogsketches = 7;
constexpr uint32_t kDogsketchTs = 1;
constexpr uint32_t kDogsketchCnt = 2;
constexpr uint32_t kDogsketchMin = 3;
constexpr uint32_t kDogsketchMax = 4;
constexpr uint32_t kDogsketchAvg = 5;
constexpr uint32_t kDogsketchSum = 6;
constexpr uint32_t kDogsketchK = 7;
constexpr uint32_t kDogsketchN = 8;

// Sketch.metadata (field 8) = Metadata{origin (1) = Origin{origin_product (4) = 10,
// origin_category (5) = 10}}; origin_service 0 is the default and so not written.
constexpr std::string_view kDogStatsdMetadata("\x42\x06\x0a\x04\x20\x0a\x28\x0a", 8);

// SketchPayload.metadata (field 2): an empty CommonMetadata, always the last bytes.
constexpr std::string_view kFooter("\x12\x00", 2);

void AppendDogsketch(std::string& out, const SketchPoint& point) {
  out.clear();
  AppendVarintField(out, kDogsketchTs, Int64Bits(point.timestamp));
  AppendVarintField(out, kDogsketchCnt, Int64Bits(point.count));
  AppendDoubleField(out, kDogsketchMin, point.min);
  AppendDoubleField(out, kDogsketchMax, point.max);
  AppendDoubleField(out, kDogsketchAvg, point.avg);
  AppendDoubleField(out, kDogsketchSum, point.sum);
  if (!point.keys.empty()) {
    size_t size = 0;
    for (const int32_t key : point.keys) {
      size += internal::VarintSize(internal::ZigZag32(key));
    }
    AppendLengthPrefix(out, kDogsketchK, size);
    for (const int32_t key : point.keys) {
      AppendVarint(out, internal::ZigZag32(key));
    }
  }
  if (!point.counts.empty()) {
    size_t size = 0;
    for (const uint32_t count : point.counts) {
      size += internal::VarintSize(count);
    }
    AppendLengthPrefix(out, kDogsketchN, size);
    for (const uint32_t count : point.counts) {
      AppendVarint(out, count);
    }
  }
}

}  // namespace

namespace internal {

void AppendSketchRecord(const SketchSerie& sketch, std::string& out, SketchScratch& scratch) {
  std::string& body = scratch.sketch;
  body.clear();
  AppendStringField(body, kSketchMetric, sketch.name);
  AppendStringField(body, kSketchHost, sketch.host);
  for (const std::string& tag : sketch.tags) {
    AppendBytesField(body, kSketchTags, tag);
  }
  for (const SketchPoint& point : sketch.points) {
    AppendDogsketch(scratch.dogsketch, point);
    AppendBytesField(body, kSketchDogsketches, scratch.dogsketch);
  }
  body.append(kDogStatsdMetadata);

  AppendLengthPrefix(out, kPayloadSketches, body.size());
  out.append(body);
}

}  // namespace internal

SketchEncoder::SketchEncoder(const EncoderOptions& options, const PayloadLimits& limits)
    : options_(options), limits_(limits) {}

EncodeResult SketchEncoder::Encode(std::span<const SketchSerie> sketches) const {
  internal::PayloadBuilder builder(
      options_, limits_,
      internal::PayloadShape{
          .route = std::string(kSketchesRoute),
          .kind = "sketches",
          .content_type = "application/x-protobuf",
          .extra_headers = {{"DD-Agent-Payload", std::string(kAgentPayloadVersion)}},
      },
      internal::PayloadFraming{.header = "", .separator = "", .footer = std::string(kFooter)});
  uint64_t too_big = 0;
  std::string record;
  internal::SketchScratch scratch;
  for (const SketchSerie& sketch : sketches) {
    record.clear();
    internal::AppendSketchRecord(sketch, record, scratch);
    if (builder.Add(record, 1) == internal::PayloadBuilder::AddResult::kTooBig) {
      ++too_big;
    }
  }
  EncodeResult result = builder.Finish();
  result.items_dropped_too_big += too_big;
  return result;
}

}  // namespace sidecar::statsd
