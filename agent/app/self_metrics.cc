#include "agent/app/self_metrics.h"

#include "fmt/format.h"

namespace sidecar::app {
namespace {

constexpr std::string_view kTraceAgentPrefix = "datadog.trace_agent.";

// Tag values come from a closed set chosen by the sidecar, but a DogStatsD line must not carry
// the separators it is split on.
std::string SanitizedTag(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '|' || c == ',' || c == '\n' || c == '#') {
      c = '_';
    }
  }
  return out;
}

std::string TagsText(const telemetry::Tags& tags) {
  std::string text;
  for (const auto& [key, value] : tags) {
    text += fmt::format("{}{}:{}", text.empty() ? "" : ",", SanitizedTag(key), SanitizedTag(value));
  }
  return text;
}

}  // namespace

AgentHeartbeat BuildAgentHeartbeat(int64_t now_seconds, std::string_view agent_version,
                                   uint64_t payloads_dropped) {
  AgentHeartbeat heartbeat;
  statsd::Serie running;
  running.name = "datadog.agent.running";
  running.tags = {fmt::format("version:{}", agent_version)};
  running.type = statsd::SeriesType::kGauge;
  running.points = {{now_seconds, 1.0}};
  running.interval = 0;  // The Agent's appended default series carry no interval.
  heartbeat.series.push_back(std::move(running));

  statsd::Serie dropped;
  dropped.name = "n_o_i_n_d_e_x.datadog.agent.payload.dropped";
  dropped.type = statsd::SeriesType::kGauge;
  dropped.points = {{now_seconds, static_cast<double>(payloads_dropped)}};
  dropped.interval = 0;
  heartbeat.series.push_back(std::move(dropped));

  statsd::ServiceCheckRecord up;
  up.name = "datadog.agent.up";
  up.timestamp = now_seconds;
  up.status = 0;
  heartbeat.service_checks.push_back(std::move(up));
  return heartbeat;
}

std::string TraceAgentStatsdReporter::Report(const std::vector<telemetry::MetricValue>& snapshot) {
  std::string lines;
  for (const telemetry::MetricValue& metric : snapshot) {
    if (metric.kind != telemetry::MetricKind::kCounter ||
        !std::string_view(metric.name).starts_with(kTraceAgentPrefix)) {
      continue;
    }
    const std::string tags = TagsText(metric.tags);
    int64_t& last = last_values_[fmt::format("{}|{}", metric.name, tags)];
    const int64_t increase = metric.value - last;
    last = metric.value;
    if (increase <= 0) {
      continue;
    }
    lines += tags.empty() ? fmt::format("{}:{}|c\n", metric.name, increase)
                          : fmt::format("{}:{}|c|#{}\n", metric.name, increase, tags);
  }
  lines += "datadog.trace_agent.heartbeat:1|g\n";
  return lines;
}

}  // namespace sidecar::app
