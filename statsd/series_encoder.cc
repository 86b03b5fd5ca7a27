#include "statsd/series_encoder.h"

#include <optional>
#include <string>
#include <utility>

#include "agent/common/strings.h"
#include "statsd/proto_writer.h"

namespace sidecar::statsd {
namespace {

using internal::AppendBytesField;
using internal::AppendDoubleField;
using internal::AppendLengthPrefix;
using internal::AppendStringField;
using internal::AppendVarintField;

// Field numbers of agent-payload's MetricPayload (proto/metrics.proto).
constexpr uint32_t kPayloadSeries = 1;
constexpr uint32_t kSeriesResources = 1;
constexpr uint32_t kSeriesMetric = 2;
constexpr uint32_t kSeriesTags = 3;
constexpr uint32_t kSeriesPoints = 4;
constexpr uint32_t kSeriesType = 5;
constexpr uint32_t kSeriesInterval = 8;
constexpr uint32_t kResourceType = 1;
constexpr uint32_t kResourceName = 2;
constexpr uint32_t kPointValue = 1;
constexpr uint32_t kPointTimestamp = 2;

// MetricSeries.metadata (field 9) = Metadata{origin (1) = Origin{origin_product (4) = 10,
// origin_category (5) = 10}}; origin_service 0 is the default and so not written.
constexpr std::string_view kDogStatsdMetadata("\x4a\x06\x0a\x04\x20\x0a\x28\x0a", 8);

constexpr std::string_view kDeviceTagPrefix = "device:";
constexpr std::string_view kResourceTagPrefix = "dd.internal.resource:";

void AppendResource(std::string& out, std::string_view type, std::string_view name) {
  const size_t size = internal::StringFieldSize(kResourceType, type) +
                      internal::StringFieldSize(kResourceName, name);
  AppendLengthPrefix(out, kSeriesResources, size);
  AppendStringField(out, kResourceType, type);
  AppendStringField(out, kResourceName, name);
}

void AppendPoint(std::string& out, const Point& point) {
  const uint64_t timestamp = internal::Int64Bits(point.timestamp);
  const size_t size = internal::DoubleFieldSize(kPointValue, point.value) +
                      internal::VarintFieldSize(kPointTimestamp, timestamp);
  AppendLengthPrefix(out, kSeriesPoints, size);
  AppendDoubleField(out, kPointValue, point.value);
  AppendVarintField(out, kPointTimestamp, timestamp);
}

// Splits `dd.internal.resource:<type>:<name>` (prefix already removed) into type and name.
std::optional<std::pair<std::string_view, std::string_view>> ParseResourceTag(
    std::string_view rest) {
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return std::nullopt;
  }
  return std::pair(rest.substr(0, colon), rest.substr(colon + 1));
}

}  // namespace

namespace internal {

void AppendSeriesRecord(const Serie& serie, std::string& out, std::string& scratch) {
  std::string& body = scratch;
  body.clear();

  // Resources: host, device, then dd.internal.resource tags (spec §9.4).
  AppendResource(body, "host", serie.host);
  std::optional<std::string_view> device;
  for (const std::string& tag : serie.tags) {
    if (tag.starts_with(kDeviceTagPrefix)) {
      device = std::string_view(tag).substr(kDeviceTagPrefix.size());  // The last one wins.
    }
  }
  if (device.has_value() && !device->empty()) {
    AppendResource(body, "device", *device);
  }
  for (const std::string& tag : serie.tags) {
    std::string_view rest = tag;
    if (common::ConsumePrefix(rest, kResourceTagPrefix)) {
      if (auto resource = ParseResourceTag(rest)) {
        AppendResource(body, resource->first, resource->second);
      }
    }
  }

  AppendStringField(body, kSeriesMetric, serie.name);
  for (const std::string& tag : serie.tags) {
    if (!tag.starts_with(kDeviceTagPrefix) && !tag.starts_with(kResourceTagPrefix)) {
      AppendBytesField(body, kSeriesTags, tag);
    }
  }
  for (const Point& point : serie.points) {
    AppendPoint(body, point);
  }
  AppendVarintField(body, kSeriesType, static_cast<uint64_t>(static_cast<int>(serie.type)));
  AppendVarintField(body, kSeriesInterval, Int64Bits(serie.interval));
  body.append(kDogStatsdMetadata);

  AppendLengthPrefix(out, kPayloadSeries, body.size());
  out.append(body);
}

}  // namespace internal

namespace {

internal::PayloadShape SeriesShape() {
  return internal::PayloadShape{
      .route = std::string(kSeriesRoute),
      .kind = "series",
      .content_type = "application/x-protobuf",
      .extra_headers = {{"DD-Agent-Payload", std::string(kAgentPayloadVersion)}},
  };
}

}  // namespace

SeriesEncoder::Stream::Stream(const EncoderOptions& options, const PayloadLimits& limits)
    : builder_(options, limits, SeriesShape(), internal::PayloadFraming{}) {}

EncodeResult SeriesEncoder::Stream::Add(std::span<const Serie> series) {
  uint64_t too_big = 0;
  for (const Serie& serie : series) {
    record_.clear();
    internal::AppendSeriesRecord(serie, record_, scratch_);
    if (builder_.Add(record_, serie.points.size()) ==
        internal::PayloadBuilder::AddResult::kTooBig) {
      ++too_big;
    }
  }
  EncodeResult result = builder_.TakeClosed();
  result.items_dropped_too_big += too_big;
  return result;
}

EncodeResult SeriesEncoder::Stream::Finish() { return builder_.Finish(); }

SeriesEncoder::SeriesEncoder(const EncoderOptions& options, const PayloadLimits& limits)
    : options_(options), limits_(limits) {}

EncodeResult SeriesEncoder::Encode(std::span<const Serie> series) const {
  Stream stream(options_, limits_);
  EncodeResult result = stream.Add(series);
  AppendEncodeResult(stream.Finish(), result);
  return result;
}

}  // namespace sidecar::statsd
