// Settings: everything the process reads from its environment, validated in one place before
// anything starts, so any bad value fails start-up with exit code 2 and one clear message.
#pragma once

#include "absl/status/statusor.h"
#include "agent/config/agent_config.h"
#include "agent/config/environment.h"
#include "agent/runtime/memory_budget.h"
#include "apm/apm_config.h"
#include "container/metadata_client.h"
#include "container/tagger.h"
#include "logs/logs_config.h"
#include "statsd/statsd_pipeline.h"

namespace sidecar::app {

struct Settings {
  config::FinalizedConfig agent;
  statsd::StatsdPipelineOptions statsd;
  apm::ApmConfig apm;
  logs::LogsConfig logs;
  // The task metadata endpoint, or nullopt off ECS (no task tags, said once at start).
  std::optional<container::MetadataEndpoint> ecs_endpoint;
  // DD_DOGSTATSD_TAG_CARDINALITY; orchestrator by default so task_arn is on every custom metric.
  container::Cardinality dogstatsd_cardinality = container::kDefaultDogstatsdCardinality;
  // DD_SIDECAR_SELF_METRICS_ENABLED: the Agent's own series upstream (self_metrics.h). Default on,
  // as the Agent always sends them.
  bool self_metrics = true;
  // DD_SIDECAR_MEMORY_LIMIT, else the cgroup limit: buffer caps and the backpressure mark.
  runtime::MemoryBudget memory;
};

absl::StatusOr<Settings> LoadSettings(const config::Environment& environment);

}  // namespace sidecar::app
