// File: statsd/event_encoder.h
//
// Events -> `/intake/` payloads (spec ../shared/spec/dogstatsd.md §9.7, §9.8): the v1 intake JSON
// envelope, events grouped by source type ("api" when the event has none, H15):
//
//   {"apiKey":"","events":{"api":[{"msg_title":"t","msg_text":"x","timestamp":1,"host":""}],
//    "nginx":[...]},"internalHostname":""}
//
// Event fields in the Agent's order: msg_title, msg_text, timestamp, priority (omitted when
// unset), host, tags (omitted when empty), alert_type (omitted when unset), aggregation_key,
// source_type_name (each omitted when empty); event_type is never set by DogStatsD.
//
// Splitting (Agent serializer): source-type groups are the items of the envelope, so payloads
// split between groups; a group too big for one payload is retried per event in envelopes of
// its own, and an event that cannot fit even alone is dropped and counted. Caps 2,621,440 B
// compressed / 4,194,304 B uncompressed. Payload::item_count is the number of events. Pure.
//
//   EncodeResult result = EventEncoder(EncoderOptions{}, /*internal_hostname=*/"").Encode(events);
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "statsd/metric_types.h"
#include "statsd/payload_builder.h"

namespace sidecar::statsd {

inline constexpr std::string_view kEventsRoute = "/intake/";

class EventEncoder {
 public:
  // `internal_hostname`: the envelope's internalHostname, the Agent's own hostname ("" for the
  // sidecar, which reports no host).
  EventEncoder(const EncoderOptions& options, std::string internal_hostname,
               const PayloadLimits& limits = kDefaultPayloadLimits);

  EncodeResult Encode(std::span<const EventRecord> events) const;

 private:
  EncoderOptions options_;
  std::string internal_hostname_;
  PayloadLimits limits_;
};

namespace internal {
// One event as a JSON object, appended to `out`.
void AppendEventJson(const EventRecord& event, std::string& out);
}  // namespace internal

}  // namespace sidecar::statsd
