#include "statsd/series_v1_encoder.h"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>

#include "agent/common/json_writer.h"

namespace sidecar::statsd {
namespace {

constexpr std::string_view kDeviceTagPrefix = "device:";
constexpr std::string_view kResourceTagPrefix = "dd.internal.resource:";

std::string_view TypeName(SeriesType type) {
  switch (type) {
    case SeriesType::kCount:
      return "count";
    case SeriesType::kRate:
      return "rate";
    case SeriesType::kGauge:
    case SeriesType::kUnspecified:
      break;
  }
  return "gauge";  // The Agent's APIMetricType string for gauge (and the zero value).
}

}  // namespace

namespace internal {

using common::AppendJsonInt;
using common::AppendJsonString;

void AppendJsonFloat(std::string& out, double value) {
  const double magnitude = std::fabs(value);
  const std::chars_format format = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21)
                                       ? std::chars_format::scientific
                                       : std::chars_format::fixed;
  std::array<char, 400> digits{};  // Fixed notation of 1e21 - eps needs ~22; scientific ~24.
  const std::to_chars_result result =
      std::to_chars(digits.data(), digits.data() + digits.size(), value, format);
  out.append(digits.data(), result.ptr);
}

bool AppendSeriesV1Json(const Serie& serie, std::string& out) {
  for (const Point& point : serie.points) {
    if (!std::isfinite(point.value)) {
      return false;
    }
  }
  std::optional<std::string_view> device;
  for (const std::string& tag : serie.tags) {
    if (tag.starts_with(kDeviceTagPrefix)) {
      device = std::string_view(tag).substr(kDeviceTagPrefix.size());  // The last one wins.
    }
  }
  out.append("{\"metric\":");
  AppendJsonString(out, serie.name);
  out.append(",\"points\":[");
  for (size_t i = 0; i < serie.points.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    out.push_back('[');
    AppendJsonInt(out, serie.points[i].timestamp);
    out.push_back(',');
    AppendJsonFloat(out, serie.points[i].value);
    out.push_back(']');
  }
  out.append("],\"tags\":[");
  bool first = true;
  for (const std::string& tag : serie.tags) {
    if (tag.starts_with(kDeviceTagPrefix) || tag.starts_with(kResourceTagPrefix)) {
      continue;
    }
    if (!first) {
      out.push_back(',');
    }
    first = false;
    AppendJsonString(out, tag);
  }
  out.append("],\"host\":");
  AppendJsonString(out, serie.host);
  if (device.has_value() && !device->empty()) {
    out.append(",\"device\":");
    AppendJsonString(out, *device);
  }
  out.append(",\"type\":\"");
  out.append(TypeName(serie.type));
  out.append("\",\"interval\":");
  AppendJsonInt(out, serie.interval);
  out.push_back('}');
  return true;
}

}  // namespace internal

SeriesV1Encoder::SeriesV1Encoder(const EncoderOptions& options, const PayloadLimits& limits)
    : options_(options), limits_(limits) {}

SeriesV1Encoder::Stream::Stream(const EncoderOptions& options, const PayloadLimits& limits)
    : builder_(options, limits,
               internal::PayloadShape{
                   .route = std::string(kSeriesV1Route),
                   .kind = "series",
                   .content_type = "application/json",
                   .extra_headers = {},
               },
               internal::PayloadFraming{
                   .header = "{\"series\":[",
                   .separator = ",",
                   .footer = "]}",
               }) {}

EncodeResult SeriesV1Encoder::Stream::Add(std::span<const Serie> series) {
  uint64_t too_big = 0;
  uint64_t invalid = 0;
  for (const Serie& serie : series) {
    item_.clear();
    if (!internal::AppendSeriesV1Json(serie, item_)) {
      ++invalid;
      continue;
    }
    if (builder_.Add(item_, serie.points.size()) == internal::PayloadBuilder::AddResult::kTooBig) {
      ++too_big;
    }
  }
  EncodeResult result = builder_.TakeClosed();
  result.items_dropped_too_big += too_big;
  result.items_dropped_invalid += invalid;
  return result;
}

EncodeResult SeriesV1Encoder::Stream::Finish() { return builder_.Finish(); }

EncodeResult SeriesV1Encoder::Encode(std::span<const Serie> series) const {
  Stream stream(options_, limits_);
  EncodeResult result = stream.Add(series);
  AppendEncodeResult(stream.Finish(), result);
  return result;
}

}  // namespace sidecar::statsd
