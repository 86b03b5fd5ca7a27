#include "statsd/event_encoder.h"

#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/common/json_writer.h"

namespace sidecar::statsd {
namespace {

constexpr std::string_view kDefaultSourceType = "api";

std::string_view PriorityName(RecordPriority priority) {
  switch (priority) {
    case RecordPriority::kNormal:
      return "normal";
    case RecordPriority::kLow:
      return "low";
    case RecordPriority::kUnset:
      break;
  }
  return "";
}

std::string_view AlertTypeName(RecordAlertType alert_type) {
  switch (alert_type) {
    case RecordAlertType::kError:
      return "error";
    case RecordAlertType::kWarning:
      return "warning";
    case RecordAlertType::kInfo:
      return "info";
    case RecordAlertType::kSuccess:
      return "success";
    case RecordAlertType::kUnset:
      break;
  }
  return "";
}

void AppendOptionalField(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) {
    return;
  }
  out.append(",\"");
  out.append(name);
  out.append("\":");
  common::AppendJsonString(out, value);
}

struct SourceTypeGroup {
  std::string_view source_type;
  std::vector<const EventRecord*> events;
};

// `{"apiKey":"","events":{` ... `},"internalHostname":"<host>"}`; groups go in between.
std::string EnvelopeHeader() { return R"({"apiKey":"","events":{)"; }

std::string EnvelopeFooter(std::string_view internal_hostname) {
  std::string footer = R"(},"internalHostname":)";
  common::AppendJsonString(footer, internal_hostname);
  footer.push_back('}');
  return footer;
}

// `"<source type>":[`, the opening of one group.
std::string GroupOpening(std::string_view source_type) {
  std::string opening;
  common::AppendJsonString(opening, source_type);
  opening.append(":[");
  return opening;
}

internal::PayloadShape EventsShape() {
  return internal::PayloadShape{
      .route = std::string(kEventsRoute),
      .kind = "events",
      .content_type = "application/json",
      .extra_headers = {},
  };
}

void Merge(EncodeResult& into, EncodeResult from) {
  for (forwarder::Payload& payload : from.payloads) {
    into.payloads.push_back(std::move(payload));
  }
  into.items_dropped_too_big += from.items_dropped_too_big;
  into.compression_errors += from.compression_errors;
}

}  // namespace

namespace internal {

using common::AppendJsonInt;
using common::AppendJsonString;

void AppendEventJson(const EventRecord& event, std::string& out) {
  out.append("{\"msg_title\":");
  AppendJsonString(out, event.title);
  out.append(",\"msg_text\":");
  AppendJsonString(out, event.text);
  out.append(",\"timestamp\":");
  AppendJsonInt(out, event.timestamp);
  AppendOptionalField(out, "priority", PriorityName(event.priority));
  out.append(",\"host\":");
  AppendJsonString(out, event.host);
  if (!event.tags.empty()) {
    out.append(",\"tags\":[");
    for (size_t i = 0; i < event.tags.size(); ++i) {
      if (i > 0) {
        out.push_back(',');
      }
      AppendJsonString(out, event.tags[i]);
    }
    out.push_back(']');
  }
  AppendOptionalField(out, "alert_type", AlertTypeName(event.alert_type));
  AppendOptionalField(out, "aggregation_key", event.aggregation_key);
  AppendOptionalField(out, "source_type_name", event.source_type_name);
  out.push_back('}');
}

}  // namespace internal

EventEncoder::EventEncoder(const EncoderOptions& options, std::string internal_hostname,
                           const PayloadLimits& limits)
    : options_(options), internal_hostname_(std::move(internal_hostname)), limits_(limits) {}

EncodeResult EventEncoder::Encode(std::span<const EventRecord> events) const {
  // Group by source type, in order of first appearance (H15).
  std::vector<SourceTypeGroup> groups;
  std::unordered_map<std::string_view, size_t> group_index;
  for (const EventRecord& event : events) {
    const std::string_view source_type =
        event.source_type_name.empty() ? kDefaultSourceType : event.source_type_name;
    auto [it, inserted] = group_index.try_emplace(source_type, groups.size());
    if (inserted) {
      groups.push_back(SourceTypeGroup{.source_type = source_type, .events = {}});
    }
    groups[it->second].events.push_back(&event);
  }

  const std::string footer = EnvelopeFooter(internal_hostname_);
  internal::PayloadBuilder builder(
      options_, limits_, EventsShape(),
      internal::PayloadFraming{.header = EnvelopeHeader(), .separator = ",", .footer = footer});
  std::vector<const SourceTypeGroup*> oversized;
  std::string item;
  std::string event_json;
  for (const SourceTypeGroup& group : groups) {
    item = GroupOpening(group.source_type);
    for (size_t i = 0; i < group.events.size(); ++i) {
      if (i > 0) {
        item.push_back(',');
      }
      internal::AppendEventJson(*group.events[i], item);
    }
    item.push_back(']');
    if (builder.Add(item, group.events.size()) == internal::PayloadBuilder::AddResult::kTooBig) {
      oversized.push_back(&group);
    }
  }
  EncodeResult result = builder.Finish();

  // A group too big for one payload: one envelope per payload, events as the items.
  for (const SourceTypeGroup* group : oversized) {
    internal::PayloadBuilder group_builder(
        options_, limits_, EventsShape(),
        internal::PayloadFraming{
            .header = EnvelopeHeader() + GroupOpening(group->source_type),
            .separator = ",",
            .footer = "]" + footer,
        });
    uint64_t too_big = 0;
    for (const EventRecord* event : group->events) {
      event_json.clear();
      internal::AppendEventJson(*event, event_json);
      if (group_builder.Add(event_json, 1) == internal::PayloadBuilder::AddResult::kTooBig) {
        ++too_big;
      }
    }
    EncodeResult group_result = group_builder.Finish();
    group_result.items_dropped_too_big += too_big;
    Merge(result, std::move(group_result));
  }
  return result;
}

}  // namespace sidecar::statsd
