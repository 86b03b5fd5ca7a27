// File: statsd/check_run_encoder.h
//
// Service checks -> `/api/v1/check_run` payloads (spec ../shared/spec/dogstatsd.md §9.6, §9.8):
// a JSON array of objects whose fields come in the Agent's order, e.g. (D15)
//
//   [{"check":"agent.up","host_name":"","timestamp":1700000000,"status":0,"message":"","tags":null}]
//
// `tags` is JSON null when there are none. Caps 2,621,440 B compressed / 4,194,304 B
// uncompressed; a check that alone exceeds them is dropped and counted, otherwise the array is
// split over several payloads. Payload::item_count is the number of checks. Pure.
//
//   EncodeResult result = CheckRunEncoder(EncoderOptions{}).Encode(flush.service_checks);
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "statsd/metric_types.h"
#include "statsd/payload_builder.h"

namespace sidecar::statsd {

inline constexpr std::string_view kCheckRunRoute = "/api/v1/check_run";

class CheckRunEncoder {
 public:
  explicit CheckRunEncoder(const EncoderOptions& options,
                           const PayloadLimits& limits = kDefaultPayloadLimits);

  EncodeResult Encode(std::span<const ServiceCheckRecord> checks) const;

 private:
  EncoderOptions options_;
  PayloadLimits limits_;
};

namespace internal {
// One check as a JSON object, appended to `out`.
void AppendCheckRunJson(const ServiceCheckRecord& check, std::string& out);
}  // namespace internal

}  // namespace sidecar::statsd
