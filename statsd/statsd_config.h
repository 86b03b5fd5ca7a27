// DogStatsD settings: the Agent's DD_DOGSTATSD_* / DD_STATSD_* / DD_HISTOGRAM_* variables,
// validated into StatsdPipelineOptions. Agent-wide values (tags, unified service tags, compression,
// host) come from the finalized agent config.
#pragma once

#include "absl/status/statusor.h"
#include "agent/config/agent_config.h"
#include "agent/config/environment.h"
#include "statsd/statsd_pipeline.h"

namespace sidecar::statsd {

// The Agent's Linux default for DD_DOGSTATSD_SOCKET. Used only when its directory exists (a volume
// shared with the app containers), since a sidecar without that volume has no one to listen to.
inline constexpr char kDefaultDogstatsdSocket[] = "/var/run/datadog/dsd.socket";

absl::StatusOr<StatsdPipelineOptions> FinalizeStatsdOptions(const config::Environment& environment,
                                                            const config::FinalizedConfig& agent);

}  // namespace sidecar::statsd
