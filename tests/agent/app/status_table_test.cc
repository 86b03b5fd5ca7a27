#include "agent/app/status_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace sidecar::app {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// A /status document as agent/status/status_handler.cc and Agent::StatusDetails() write it.
constexpr const char* kStatus = R"({
  "version": "0.9.0", "agent_version": "7.60.0", "healthy": true, "stopping": false,
  "components": [
    {"component": "dsd_udp_in", "state": "ready", "detail": ""},
    {"component": "dd_out", "state": "failed", "detail": "cannot start curl"}
  ],
  "metrics": [
    {"name": "dogstatsd.lines_received", "tags": {}, "kind": "counter", "value": 1000},
    {"name": "dogstatsd.parse_errors", "tags": {"reason": "invalid_value"}, "kind": "counter",
     "value": 0},
    {"name": "dogstatsd.parse_errors", "tags": {"reason": "missing_type"}, "kind": "counter",
     "value": 7},
    {"name": "datadog.trace_agent.receiver.spans_received", "tags": {}, "kind": "counter",
     "value": 50},
    {"name": "logs.records_received", "tags": {}, "kind": "counter", "value": 300},
    {"name": "logs.records_dropped", "tags": {"reason": "too_large"}, "kind": "counter",
     "value": 2},
    {"name": "forwarder.transactions_success",
     "tags": {"endpoint": "127.0.0.1", "intake": "metrics", "kind": "series"},
     "kind": "counter", "value": 12},
    {"name": "forwarder.bytes_sent",
     "tags": {"endpoint": "127.0.0.1", "intake": "metrics", "kind": "series"},
     "kind": "counter", "value": 4096},
    {"name": "forwarder.http_errors", "tags": {"endpoint": "127.0.0.1", "intake": "metrics",
     "status": "503"}, "kind": "counter", "value": 3},
    {"name": "forwarder.http_errors", "tags": {"endpoint": "127.0.0.1", "intake": "metrics",
     "error_type": "timeout"}, "kind": "counter", "value": 1},
    {"name": "forwarder.transactions_dropped", "tags": {"endpoint": "127.0.0.1",
     "intake": "metrics", "kind": "series", "reason": "retries_exhausted"},
     "kind": "counter", "value": 1},
    {"name": "forwarder.retry_queue_bytes", "tags": {}, "kind": "gauge", "value": 2048},
    {"name": "forwarder.in_flight", "tags": {}, "kind": "gauge", "value": 2},
    {"name": "memory.limit_bytes", "tags": {}, "kind": "gauge", "value": 67108864},
    {"name": "memory.rss_bytes", "tags": {}, "kind": "gauge", "value": 31457280},
    {"name": "memory.peak_rss_bytes", "tags": {}, "kind": "gauge", "value": 41943040},
    {"name": "memory.pool.capacity_bytes", "tags": {}, "kind": "gauge", "value": 32505856},
    {"name": "memory.pool.used_bytes", "tags": {}, "kind": "gauge", "value": 1048576},
    {"name": "memory.pool.peak_bytes", "tags": {}, "kind": "gauge", "value": 3145728},
    {"name": "memory.pool.share_bytes", "tags": {"share": "apm.inflight"}, "kind": "gauge",
     "value": 1048576},
    {"name": "memory.pool.share_cap_bytes", "tags": {"share": "apm.inflight"}, "kind": "gauge",
     "value": 8388608},
    {"name": "memory.pool.refusals", "tags": {"share": "apm.inflight"}, "kind": "counter",
     "value": 4},
    {"name": "memory.pool.share_bytes", "tags": {"share": "logs.pending"}, "kind": "gauge",
     "value": 0},
    {"name": "memory.pool.share_cap_bytes", "tags": {"share": "logs.pending"}, "kind": "gauge",
     "value": 0}
  ],
  "details": {
    "task": {
      "task_arn": "arn:aws:ecs:eu-west-1:123456789012:task/demo/abc",
      "family_revision": "web:7", "cluster": "demo", "availability_zone": "eu-west-1a",
      "launch_type": "fargate", "task_tags": ["task_family:web", "ecs_cluster_name:demo"]
    },
    "ecs_metadata": {"endpoint": "configured", "state": "ok", "last_error": ""},
    "endpoints": {"metrics": ["127.0.0.1"], "traces": ["trace.agent.datadoghq.com"], "logs": []},
    "site": "datadoghq.com", "env": "prod", "service": "web", "version": "1.2",
    "uptime_seconds": 100, "dogstatsd_tag_cardinality": "low"
  }
})";

std::string Render() { return RenderStatusTable(nlohmann::json::parse(kStatus)); }

// The text from `title` to the next blank line.
std::string Section(const std::string& text, const std::string& title) {
  const size_t start = text.find(title + "\n");
  if (start == std::string::npos) {
    return "";
  }
  const size_t end = text.find("\n\n", start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(StatusTableTest, HeaderShowsVersionHealthAndUptime) {
  const std::string text = Render();
  EXPECT_THAT(text, HasSubstr("sidecar-agent 0.9.0 (Datadog Agent 7.60.0 compatible)"));
  EXPECT_THAT(text, HasSubstr("Health: healthy   Uptime: 1m 40s"));
}

TEST(StatusTableTest, TaskSectionShowsIdentityAndTags) {
  const std::string task = Section(Render(), "Task");
  EXPECT_THAT(task, ContainsRegex("Task ARN +arn:aws:ecs:eu-west-1:123456789012:task/demo/abc"));
  EXPECT_THAT(task, ContainsRegex("Family:revision +web:7"));
  EXPECT_THAT(task, ContainsRegex("Availability zone +eu-west-1a"));
  EXPECT_THAT(task, ContainsRegex("Launch type +fargate"));
  EXPECT_THAT(task, ContainsRegex("Task tags +task_family:web ecs_cluster_name:demo"));
  EXPECT_THAT(task, ContainsRegex("env/service/version +prod / web / 1.2"));
}

TEST(StatusTableTest, MemoryShowsTheLimitResidentSizeAndEachShareOfThePool) {
  const std::string memory = Section(Render(), "Memory");
  EXPECT_THAT(memory, ContainsRegex("Limit +64.0 MiB\n"));
  EXPECT_THAT(memory, ContainsRegex("Resident +30.0 MiB \\(peak 40.0 MiB\\)"));
  EXPECT_THAT(memory, ContainsRegex("Buffer pool +1.0 MiB of 31.0 MiB \\(peak 3.0 MiB\\)"));
  EXPECT_THAT(memory, ContainsRegex("apm.inflight +1.0 MiB of 8.0 MiB, 4 refused"));
  EXPECT_THAT(memory, ContainsRegex("logs.pending +0 B of no cap, 0 refused"));
}

TEST(StatusTableTest, ThroughputShowsTotalsAndAverageRatePerSignal) {
  const std::string throughput = Section(Render(), "Throughput per signal");
  // 1000 lines over 100 s of uptime.
  EXPECT_THAT(throughput, ContainsRegex("DogStatsD lines +1000 +10.0\n"));
  EXPECT_THAT(throughput, ContainsRegex("Trace spans +50 +0.5\n"));
  EXPECT_THAT(throughput, ContainsRegex("Log records +300 +3.0\n"));
  EXPECT_THAT(throughput, ContainsRegex("Upstream bytes +4.0 KiB +41 B"));
}

TEST(StatusTableTest, WithoutUptimeTheRateIsADash) {
  auto status = nlohmann::json::parse(kStatus);
  status["details"].erase("uptime_seconds");
  const std::string throughput = Section(RenderStatusTable(status), "Throughput per signal");
  EXPECT_THAT(throughput, ContainsRegex("DogStatsD lines +1000 +-\n"));
}

TEST(StatusTableTest, DropsAreGroupedBySignalWithNonzeroFirst) {
  const std::string text = Render();
  const std::string drops = Section(text, "Drops and errors by reason (nonzero first)");
  ASSERT_FALSE(drops.empty()) << text;
  const size_t nonzero = drops.find("dogstatsd.parse_errors{reason:missing_type}");
  const size_t zero = drops.find("dogstatsd.parse_errors{reason:invalid_value}");
  ASSERT_NE(nonzero, std::string::npos);
  ASSERT_NE(zero, std::string::npos);
  EXPECT_LT(nonzero, zero);
  EXPECT_THAT(drops, ContainsRegex("missing_type\\} +7\n"));
  EXPECT_THAT(drops, ContainsRegex("  Logs\n +logs.records_dropped\\{reason:too_large\\} +2"));
  EXPECT_THAT(drops, HasSubstr("  Forwarder\n"));
  EXPECT_THAT(drops,
              HasSubstr("forwarder.http_errors{endpoint:127.0.0.1,intake:metrics,status:503}"));
  // Counters that do not count a loss stay out of this section.
  EXPECT_THAT(drops, Not(HasSubstr("lines_received")));
}

TEST(StatusTableTest, UpstreamHasOneRowPerEndpointIncludingConfiguredIdleOnes) {
  const std::string upstream = Section(Render(), "Upstream per endpoint");
  EXPECT_THAT(upstream, ContainsRegex("127.0.0.1 +12 +1 +4.0 KiB  503: 3, timeout: 1\n"));
  EXPECT_THAT(upstream, ContainsRegex("trace.agent.datadoghq.com +0 +0 +0 B  0"));
}

TEST(StatusTableTest, RetryQueueAndComponentsAreShown) {
  const std::string text = Render();
  EXPECT_THAT(Section(text, "Retry queue"), ContainsRegex("Retry queue bytes +2.0 KiB"));
  EXPECT_THAT(Section(text, "Retry queue"), ContainsRegex("In flight +2"));
  EXPECT_THAT(Section(text, "Components"), ContainsRegex("dd_out +failed +cannot start curl"));
}

TEST(StatusTableTest, DocumentWithWrongTypesRendersWithoutThrowing) {
  const auto status = nlohmann::json::parse(R"({"version": 3, "healthy": "yes",
      "metrics": [{"name": 1}, {"name": "x.dropped", "value": "7", "tags": []}, 5],
      "components": {"a": 1}, "details": {"task": "none", "uptime_seconds": 1e300}})");
  std::string text;
  EXPECT_NO_THROW(text = RenderStatusTable(status));
  EXPECT_THAT(text, HasSubstr("sidecar-agent ? "));
  EXPECT_THAT(text, HasSubstr("Health: NOT HEALTHY"));
  EXPECT_THAT(text, ContainsRegex("x.dropped +0\n"));
  EXPECT_NO_THROW(RenderStatusTable(nlohmann::json::array()));
}

}  // namespace
}  // namespace sidecar::app
