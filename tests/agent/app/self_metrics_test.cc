#include "agent/app/self_metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sidecar::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(AgentHeartbeatTest, RunningGaugeAndUpCheckAsTheAgentAppendsThem) {
  const AgentHeartbeat heartbeat = BuildAgentHeartbeat(1700000000, "7.60.1", 3);
  ASSERT_EQ(heartbeat.series.size(), 2u);
  const statsd::Serie& running = heartbeat.series[0];
  EXPECT_EQ(running.name, "datadog.agent.running");
  EXPECT_EQ(running.type, statsd::SeriesType::kGauge);
  EXPECT_EQ(running.host, "");
  EXPECT_THAT(running.tags, ElementsAre("version:7.60.1"));
  ASSERT_EQ(running.points.size(), 1u);
  EXPECT_EQ(running.points[0].timestamp, 1700000000);
  EXPECT_EQ(running.points[0].value, 1.0);

  const statsd::Serie& dropped = heartbeat.series[1];
  EXPECT_EQ(dropped.name, "n_o_i_n_d_e_x.datadog.agent.payload.dropped");
  EXPECT_EQ(dropped.points[0].value, 3.0);
  EXPECT_TRUE(dropped.tags.empty());

  ASSERT_EQ(heartbeat.service_checks.size(), 1u);
  EXPECT_EQ(heartbeat.service_checks[0].name, "datadog.agent.up");
  EXPECT_EQ(heartbeat.service_checks[0].status, 0);
  EXPECT_EQ(heartbeat.service_checks[0].timestamp, 1700000000);
  EXPECT_EQ(heartbeat.service_checks[0].host, "");
}

telemetry::MetricValue CounterValue(std::string name, telemetry::Tags tags, int64_t value) {
  return {std::move(name), std::move(tags), telemetry::MetricKind::kCounter, value};
}

TEST(TraceAgentStatsdReporterTest, SendsIncreasesOfTraceAgentCountersOnly) {
  TraceAgentStatsdReporter reporter;
  std::vector<telemetry::MetricValue> snapshot = {
      CounterValue("datadog.trace_agent.receiver.traces_received", {}, 5),
      CounterValue("datadog.trace_agent.receiver.payload_refused", {{"reason", "busy"}}, 2),
      CounterValue("dogstatsd.lines_received", {}, 100),
      {"datadog.trace_agent.some_gauge", {}, telemetry::MetricKind::kGauge, 7},
  };
  const std::string first = reporter.Report(snapshot);
  EXPECT_THAT(first, HasSubstr("datadog.trace_agent.receiver.traces_received:5|c\n"));
  EXPECT_THAT(first, HasSubstr("datadog.trace_agent.receiver.payload_refused:2|c|#reason:busy\n"));
  EXPECT_THAT(first, Not(HasSubstr("dogstatsd.lines_received")));
  EXPECT_THAT(first, Not(HasSubstr("some_gauge")));
  EXPECT_THAT(first, HasSubstr("datadog.trace_agent.heartbeat:1|g\n"));

  snapshot[0].value = 12;  // +7; payload_refused unchanged.
  const std::string second = reporter.Report(snapshot);
  EXPECT_THAT(second, HasSubstr("datadog.trace_agent.receiver.traces_received:7|c\n"));
  EXPECT_THAT(second, Not(HasSubstr("payload_refused")));
  EXPECT_THAT(second, HasSubstr("datadog.trace_agent.heartbeat:1|g\n"));
}

TEST(TraceAgentStatsdReporterTest, TagSeparatorsCannotBreakTheLine) {
  TraceAgentStatsdReporter reporter;
  const std::string lines = reporter.Report(
      {CounterValue("datadog.trace_agent.receiver.error", {{"reason", "a|b,c#d\ne"}}, 1)});
  EXPECT_THAT(lines, HasSubstr("datadog.trace_agent.receiver.error:1|c|#reason:a_b_c_d_e\n"));
}

}  // namespace
}  // namespace sidecar::app
