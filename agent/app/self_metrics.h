// The sidecar's own metrics upstream, under the names the Datadog Agent sends (issue #9 item 6):
//  - every aggregator flush (15 s), the core Agent's `datadog.agent.running` gauge (1, tagged with
//    the Agent version) and `n_o_i_n_d_e_x.datadog.agent.payload.dropped` gauge, plus the
//    `datadog.agent.up` service check (OK), host "" as every sidecar-mode payload;
//  - every 10 s, what the trace-agent reports to the core Agent over DogStatsD: its
//    `datadog.trace_agent.*` counters as count deltas and the `datadog.trace_agent.heartbeat`
//    gauge. Those go through our own DogStatsD pipeline (StatsdPipeline::SubmitInternalLines), so
//    they are enriched and aggregated exactly as the Agent treats the trace-agent's packets.
// Only names the Agent uses are sent: the sidecar's other counters stay in `status`, since new
// `datadog.*` names would mean nothing to users' dashboards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "agent/telemetry/registry.h"
#include "statsd/metric_types.h"

namespace sidecar::app {

struct AgentHeartbeat {
  std::vector<statsd::Serie> series;
  std::vector<statsd::ServiceCheckRecord> service_checks;
};

// `payloads_dropped`: items the encoders dropped because no payload could hold them, since start
// (the Agent's split.GetPayloadDrops()).
AgentHeartbeat BuildAgentHeartbeat(int64_t now_seconds, std::string_view agent_version,
                                   uint64_t payloads_dropped);

// Turns the registry's `datadog.trace_agent.*` counters into DogStatsD count lines carrying the
// increase since the previous call (nothing for a counter that did not move), plus the heartbeat.
class TraceAgentStatsdReporter {
 public:
  // Lines separated by '\n'.
  std::string Report(const std::vector<telemetry::MetricValue>& snapshot);

 private:
  absl::flat_hash_map<std::string, int64_t> last_values_;  // Keyed by name and tags.
};

}  // namespace sidecar::app
