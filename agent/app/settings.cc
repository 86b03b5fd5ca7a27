#include "agent/app/settings.h"

#include "agent/common/status_macros.h"
#include "statsd/statsd_config.h"

namespace sidecar::app {

absl::StatusOr<Settings> LoadSettings(const config::Environment& environment) {
  SIDECAR_ASSIGN_OR_RETURN(config::FinalizedConfig agent,
                           config::Finalize(config::ReadRawConfig(environment)));
  SIDECAR_ASSIGN_OR_RETURN(statsd::StatsdPipelineOptions statsd,
                           statsd::FinalizeStatsdOptions(environment, agent));
  return Settings{std::move(agent), std::move(statsd)};
}

}  // namespace sidecar::app
