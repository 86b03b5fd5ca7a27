// Settings: everything the process reads from its environment, validated in one place before
// anything starts, so any bad value fails start-up with exit code 2 and one clear message.
#pragma once

#include "absl/status/statusor.h"
#include "agent/config/agent_config.h"
#include "agent/config/environment.h"
#include "statsd/statsd_pipeline.h"

namespace sidecar::app {

struct Settings {
  config::FinalizedConfig agent;
  statsd::StatsdPipelineOptions statsd;
};

absl::StatusOr<Settings> LoadSettings(const config::Environment& environment);

}  // namespace sidecar::app
