#include "statsd/check_run_encoder.h"

#include "agent/common/json_writer.h"

namespace sidecar::statsd {

namespace internal {

using common::AppendJsonInt;
using common::AppendJsonString;

void AppendCheckRunJson(const ServiceCheckRecord& check, std::string& out) {
  out.append("{\"check\":");
  AppendJsonString(out, check.name);
  out.append(",\"host_name\":");
  AppendJsonString(out, check.host);
  out.append(",\"timestamp\":");
  AppendJsonInt(out, check.timestamp);
  out.append(",\"status\":");
  AppendJsonInt(out, check.status);
  out.append(",\"message\":");
  AppendJsonString(out, check.message);
  out.append(",\"tags\":");
  if (check.tags.empty()) {
    out.append("null");
  } else {
    out.push_back('[');
    for (size_t i = 0; i < check.tags.size(); ++i) {
      if (i > 0) {
        out.push_back(',');
      }
      AppendJsonString(out, check.tags[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

}  // namespace internal

CheckRunEncoder::CheckRunEncoder(const EncoderOptions& options, const PayloadLimits& limits)
    : options_(options), limits_(limits) {}

EncodeResult CheckRunEncoder::Encode(std::span<const ServiceCheckRecord> checks) const {
  internal::PayloadBuilder builder(options_, limits_,
                                   internal::PayloadShape{
                                       .route = std::string(kCheckRunRoute),
                                       .kind = "check_run",
                                       .content_type = "application/json",
                                       .extra_headers = {},
                                   },
                                   internal::PayloadFraming{
                                       .header = "[",
                                       .separator = ",",
                                       .footer = "]",
                                   });
  uint64_t too_big = 0;
  std::string item;
  for (const ServiceCheckRecord& check : checks) {
    item.clear();
    internal::AppendCheckRunJson(check, item);
    if (builder.Add(item, 1) == internal::PayloadBuilder::AddResult::kTooBig) {
      ++too_big;
    }
  }
  EncodeResult result = builder.Finish();
  result.items_dropped_too_big += too_big;
  return result;
}

}  // namespace sidecar::statsd
