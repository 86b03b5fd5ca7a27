// The soak's bookkeeping must be right for its verdict to mean anything: these feed SoakLedger
// hand-made decoded requests and check what it counts as delivered, 413-dropped and duplicated.
#include "tests/soak/soak_ledger.h"

#include <gtest/gtest.h>

namespace sidecar::soak {
namespace {

testing::RecordedRequest Request(std::string path, int status, nlohmann::json decoded) {
  testing::RecordedRequest request;
  request.path = std::move(path);
  request.status = status;
  request.decoded = std::move(decoded);
  return request;
}

nlohmann::json TracePayload(std::vector<uint64_t> indexes) {
  nlohmann::json spans = nlohmann::json::array();
  for (const uint64_t index : indexes) {
    // Two spans per trace: a trace counts once per request however many spans it has.
    spans.push_back({{"traceID", std::to_string(kTraceIdBase + index)}});
    spans.push_back({{"traceID", std::to_string(kTraceIdBase + index)}});
  }
  return {{"tracerPayloads", {{{"chunks", {{{"spans", spans}}}}}}}};
}

TEST(SoakLedgerTest, CountsTracesByAnswerAndSpotsDuplicates) {
  SoakLedger ledger(10, 10);
  ledger.OnRequest(Request("/api/v0.2/traces", 202, TracePayload({1, 2})));
  ledger.OnRequest(Request("/api/v0.2/traces", 202, TracePayload({2})));
  ledger.OnRequest(Request("/api/v0.2/traces", 413, TracePayload({3})));
  ledger.OnRequest(Request("/api/v0.2/traces", 0, TracePayload({4})));     // Reset: no answer.
  ledger.OnRequest(Request("/api/v0.2/traces", 202, TracePayload({42})));  // Not ours.

  const IdTally traces = ledger.Traces();
  EXPECT_EQ(traces.delivered[1], 1);
  EXPECT_EQ(traces.delivered[2], 2);
  EXPECT_EQ(traces.delivered[3], 0);
  EXPECT_EQ(traces.rejected_413[3], 1);
  EXPECT_EQ(traces.delivered[4], 0);
  EXPECT_EQ(ledger.foreign_items(), 2u);  // Both spans of the out-of-range trace.
  const RouteTally route = ledger.Routes().at("/api/v0.2/traces");
  EXPECT_EQ(route.requests_2xx, 3u);
  EXPECT_EQ(route.requests_413, 1u);
  EXPECT_EQ(route.requests_reset_or_stall, 1u);
  EXPECT_EQ(route.items_2xx, 3u);
  EXPECT_EQ(route.items_reset_or_stall, 1u);
}

TEST(SoakLedgerTest, ReadsLogIdsFromTheMessage) {
  SoakLedger ledger(10, 10);
  ledger.OnRequest(Request("/api/v2/logs", 200,
                           {{{"message", "soak-log 7 xxxx"}}, {{"message", "someone else"}}}));
  ledger.OnRequest(Request("/api/v2/logs", 413, {{{"message", "soak-log 8 xxxx"}}}));
  const IdTally logs = ledger.Logs();
  EXPECT_EQ(logs.delivered[7], 1);
  EXPECT_EQ(logs.rejected_413[8], 1);
  EXPECT_EQ(logs.delivered[8], 0);
  EXPECT_EQ(ledger.foreign_items(), 1u);
}

TEST(SoakLedgerTest, SumsCountersAsValueTimesIntervalOncePerPoint) {
  SoakLedger ledger(1, 1);
  const nlohmann::json series = {
      {"series",
       {{{"metric", kUdsMetric},
         {"type", "RATE"},
         {"interval", "10"},
         {"tags", {"ctx:1", "env:soak"}},
         {"points",
          {{{"timestamp", "100"}, {"value", 0.3}}, {{"timestamp", "110"}, {"value", 1.2}}}}},
        {{"metric", "other.metric"},
         {"interval", "10"},
         {"points", {{{"timestamp", "100"}, {"value", 9}}}}}}}};
  ledger.OnRequest(Request("/api/v2/series", 202, series));
  ledger.OnRequest(Request("/api/v2/series", 202, series));  // Delivered twice: duplicates.
  ledger.OnRequest(Request("/api/v2/series", 413, series));
  const CounterTally tally = ledger.Counter(kUdsMetric);
  EXPECT_DOUBLE_EQ(tally.value_2xx, 15);
  EXPECT_EQ(tally.points_2xx, 2u);
  EXPECT_EQ(tally.duplicate_points, 2u);
  EXPECT_DOUBLE_EQ(tally.duplicate_value, 15);
  EXPECT_DOUBLE_EQ(tally.value_413, 15);
  EXPECT_DOUBLE_EQ(ledger.Counter(kUdpMetric).value_2xx, 0);
}

TEST(SoakLedgerTest, IgnoresRequestsThatFailedToDecode) {
  SoakLedger ledger(10, 10);
  testing::RecordedRequest request = Request("/api/v0.2/traces", 202, TracePayload({1}));
  request.decode_error = "bad zstd";
  ledger.OnRequest(request);
  EXPECT_EQ(ledger.Traces().delivered[1], 0);
  EXPECT_EQ(ledger.Routes().at("/api/v0.2/traces").decode_errors, 1u);
}

}  // namespace
}  // namespace sidecar::soak
