// /intake/ events encoding: spec §9.7, §9.8 and case H15 of §14.H (C13 gives the all-fields
// event); the JSON text is compared byte for byte.
#include "statsd/event_encoder.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/statsd/encoder_test_util.h"

namespace sidecar::statsd {
namespace {

using encoder_testing::Body;
using encoder_testing::RandomString;
using forwarder::CompressionKind;

EventRecord Event(std::string title, std::string source_type = "") {
  return EventRecord{.title = std::move(title),
                     .text = "text",
                     .timestamp = 1700000000,
                     .host = "",
                     .aggregation_key = "",
                     .source_type_name = std::move(source_type),
                     .priority = RecordPriority::kUnset,
                     .alert_type = RecordAlertType::kUnset,
                     .tags = {}};
}

// H15: an event without `s:` is grouped under "api"; unset and empty fields are omitted; the
// envelope carries an empty apiKey and the internal hostname. Payload headers.
TEST(EventEncoderTest, H15GroupsEventWithoutSourceTypeUnderApi) {
  const EventRecord event = Event("test title");
  const EncodeResult result = EventEncoder(EncoderOptions{}, "").Encode({&event, 1});
  ASSERT_EQ(result.payloads.size(), 1u);
  const forwarder::Payload& payload = result.payloads[0];
  EXPECT_EQ(payload.intake, forwarder::Intake::kMetrics);
  EXPECT_EQ(payload.route, "/intake/");
  EXPECT_EQ(payload.kind, "events");
  EXPECT_EQ(payload.content_type, "application/json");
  EXPECT_EQ(payload.content_encoding, "zstd");
  EXPECT_TRUE(payload.extra_headers.empty());
  EXPECT_EQ(payload.item_count, 1u);
  EXPECT_EQ(payload.priority, forwarder::Priority::kNormal);
  EXPECT_EQ(Body(payload),
            R"({"apiKey":"","events":{"api":[{"msg_title":"test title","msg_text":"text",)"
            R"("timestamp":1700000000,"host":""}]},"internalHostname":""})");
}

// C13: every field set, in the Agent's order.
TEST(EventEncoderTest, C13EncodesAllFieldsInAgentOrder) {
  EventRecord event = Event("test title", "source test");
  event.text = "test\nline2 \"q\"";
  event.timestamp = 12345;
  event.priority = RecordPriority::kLow;
  event.host = "some.host";
  event.aggregation_key = "aggKey";
  event.alert_type = RecordAlertType::kWarning;
  event.tags = {"tag1", "tag2:test"};
  const EncodeResult result = EventEncoder(EncoderOptions{}, "agent-host").Encode({&event, 1});
  ASSERT_EQ(result.payloads.size(), 1u);
  EXPECT_EQ(Body(result.payloads[0]),
            R"({"apiKey":"","events":{"source test":[{"msg_title":"test title",)"
            R"("msg_text":"test\nline2 \"q\"","timestamp":12345,"priority":"low",)"
            R"("host":"some.host","tags":["tag1","tag2:test"],"alert_type":"warning",)"
            R"("aggregation_key":"aggKey","source_type_name":"source test"}]},)"
            R"("internalHostname":"agent-host"})");
}

TEST(EventEncoderTest, NamesEveryPriorityAndAlertType) {
  std::vector<EventRecord> events(5, Event("t"));
  events[0].priority = RecordPriority::kNormal;
  events[0].alert_type = RecordAlertType::kError;
  events[1].alert_type = RecordAlertType::kInfo;
  events[2].alert_type = RecordAlertType::kSuccess;
  const EncodeResult result = EventEncoder(EncoderOptions{}, "").Encode(events);
  ASSERT_EQ(result.payloads.size(), 1u);
  const nlohmann::json parsed = nlohmann::json::parse(Body(result.payloads[0]));
  const nlohmann::json& api = parsed["events"]["api"];
  ASSERT_EQ(api.size(), 5u);
  EXPECT_EQ(api[0]["priority"], "normal");
  EXPECT_EQ(api[0]["alert_type"], "error");
  EXPECT_EQ(api[1]["alert_type"], "info");
  EXPECT_EQ(api[2]["alert_type"], "success");
  EXPECT_FALSE(api[3].contains("priority"));
  EXPECT_FALSE(api[3].contains("alert_type"));
  EXPECT_FALSE(api[3].contains("tags"));
  EXPECT_FALSE(api[3].contains("event_type"));
}

// H15: one group per source type, in order of first appearance, events in input order.
TEST(EventEncoderTest, H15GroupsBySourceType) {
  const std::vector<EventRecord> events = {Event("a", "nginx"), Event("b"), Event("c", "nginx"),
                                           Event("d", "my apps")};
  const EncodeResult result = EventEncoder(EncoderOptions{}, "").Encode(events);
  ASSERT_EQ(result.payloads.size(), 1u);
  EXPECT_EQ(result.payloads[0].item_count, 4u);
  const std::string body = Body(result.payloads[0]);
  const nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(body);
  std::vector<std::string> keys;
  for (const auto& [key, group] : parsed["events"].items()) {
    keys.push_back(key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"nginx", "api", "my apps"}));
  ASSERT_EQ(parsed["events"]["nginx"].size(), 2u);
  EXPECT_EQ(parsed["events"]["nginx"][0]["msg_title"], "a");
  EXPECT_EQ(parsed["events"]["nginx"][1]["msg_title"], "c");
  EXPECT_EQ(parsed["events"]["api"][0]["msg_title"], "b");
  EXPECT_FALSE(parsed["events"]["api"][0].contains("source_type_name"));
  EXPECT_EQ(parsed["events"]["my apps"][0]["source_type_name"], "my apps");
}

TEST(EventEncoderTest, EncodesNothingForNoEvents) {
  EXPECT_TRUE(EventEncoder(EncoderOptions{}, "").Encode({}).payloads.empty());
}

// Checks that every event arrived exactly once, each body is a full envelope, and item_count
// counts events.
void ExpectEachEventOnce(const EncodeResult& result, const std::vector<EventRecord>& events) {
  std::map<std::string, int> seen;
  for (const forwarder::Payload& payload : result.payloads) {
    const nlohmann::json parsed = nlohmann::json::parse(Body(payload), nullptr, false);
    ASSERT_TRUE(parsed.is_object());
    EXPECT_EQ(parsed["apiKey"], "");
    EXPECT_EQ(parsed["internalHostname"], "h");
    uint64_t count = 0;
    for (const auto& [source_type, group] : parsed["events"].items()) {
      for (const nlohmann::json& event : group) {
        ++seen[event["msg_title"].get<std::string>()];
        const std::string expected_type = event.contains("source_type_name")
                                              ? event["source_type_name"].get<std::string>()
                                              : "api";
        EXPECT_EQ(source_type, expected_type);
        ++count;
      }
    }
    EXPECT_EQ(payload.item_count, count);
  }
  ASSERT_EQ(seen.size(), events.size());
  for (const EventRecord& event : events) {
    EXPECT_EQ(seen[event.title], 1) << event.title;
  }
}

// §9.7/§9.8: groups that fit are packed into shared envelopes (split between groups); a group
// too big for one payload is retried per event; an event too big alone is dropped and counted.
TEST(EventEncoderTest, SplitsBetweenGroupsRetriesBigGroupPerEventAndDropsTooBigEvent) {
  const PayloadLimits limits{.max_compressed_bytes = 10'000, .max_uncompressed_bytes = 20'000};
  std::mt19937_64 rng(12);
  std::vector<EventRecord> events;
  // Ten small groups of two events (~1.6 KB each group).
  for (int i = 0; i < 20; ++i) {
    EventRecord event = Event("small." + std::to_string(i), "type" + std::to_string(i / 2));
    event.text = RandomString(rng, 800);
    events.push_back(std::move(event));
  }
  // One group of 40 events (~40 KB): too big for a payload as a whole.
  for (int i = 0; i < 40; ++i) {
    EventRecord event = Event("big." + std::to_string(i), "big");
    event.text = RandomString(rng, 1000);
    events.push_back(std::move(event));
  }
  EventRecord huge = Event("too.big", "big");
  huge.text = RandomString(rng, 15'000);
  events.push_back(std::move(huge));

  const EncodeResult result = EventEncoder(EncoderOptions{}, "h", limits).Encode(events);
  events.pop_back();

  EXPECT_EQ(result.items_dropped_too_big, 1u);
  encoder_testing::ExpectWithinLimits(result, limits);
  ExpectEachEventOnce(result, events);
  // Small groups share payloads (several groups per envelope), the big group has its own.
  size_t shared = 0;
  for (const forwarder::Payload& payload : result.payloads) {
    const nlohmann::json parsed = nlohmann::json::parse(Body(payload));
    if (parsed["events"].size() > 1) {
      ++shared;
    }
    if (parsed["events"].contains("big")) {
      EXPECT_EQ(parsed["events"].size(), 1u);
    }
  }
  EXPECT_GE(shared, 1u);
}

class EventEncoderKindTest : public ::testing::TestWithParam<CompressionKind> {};

TEST_P(EventEncoderKindTest, RoundTripsWithEveryCompressionKind) {
  const EncoderOptions options{.compression = GetParam(), .zstd_level = 1};
  const PayloadLimits limits{.max_compressed_bytes = 20'000, .max_uncompressed_bytes = 40'000};
  std::mt19937_64 rng(13);
  std::vector<EventRecord> events;
  for (int i = 0; i < 100; ++i) {
    EventRecord event = Event("event." + std::to_string(i), i % 2 == 0 ? "" : "odd");
    event.text = RandomString(rng, 500);
    events.push_back(std::move(event));
  }
  const EncodeResult result = EventEncoder(options, "h", limits).Encode(events);
  EXPECT_EQ(result.items_dropped_too_big, 0u);
  // Each ~29 KB group is too big as a whole for the compressed cap (by the bound), so it is
  // retried per event: at least one payload per group.
  EXPECT_GE(result.payloads.size(), 2u);
  for (const forwarder::Payload& payload : result.payloads) {
    EXPECT_EQ(payload.content_encoding, forwarder::ContentEncoding(GetParam()));
  }
  encoder_testing::ExpectWithinLimits(result, limits);
  ExpectEachEventOnce(result, events);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, EventEncoderKindTest,
                         ::testing::ValuesIn(encoder_testing::AllCompressionKinds()),
                         encoder_testing::KindParamName);

}  // namespace
}  // namespace sidecar::statsd
