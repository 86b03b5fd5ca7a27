#include "agent/app/settings.h"

#include "agent/common/status_macros.h"
#include "agent/config/value_parsing.h"
#include "statsd/statsd_config.h"

namespace sidecar::app {

absl::StatusOr<Settings> LoadSettings(const config::Environment& environment) {
  SIDECAR_ASSIGN_OR_RETURN(config::FinalizedConfig agent,
                           config::Finalize(config::ReadRawConfig(environment)));
  SIDECAR_ASSIGN_OR_RETURN(statsd::StatsdPipelineOptions statsd,
                           statsd::FinalizeStatsdOptions(environment, agent));
  SIDECAR_ASSIGN_OR_RETURN(apm::ApmConfig apm, apm::FinalizeApmConfig(environment, agent));
  SIDECAR_ASSIGN_OR_RETURN(logs::LogsConfig logs, logs::LoadLogsConfig(environment));
  SIDECAR_ASSIGN_OR_RETURN(std::optional<container::MetadataEndpoint> ecs_endpoint,
                           container::DiscoverEndpoint(environment));
  container::Cardinality cardinality = container::kDefaultDogstatsdCardinality;
  if (auto text = environment.Get("DD_DOGSTATSD_TAG_CARDINALITY"); text && !text->empty()) {
    auto parsed = container::ParseCardinality(*text);
    if (!parsed.ok()) {
      return config::InvalidValue("DD_DOGSTATSD_TAG_CARDINALITY", *text,
                                  "low, orchestrator or high");
    }
    cardinality = *parsed;
  }
  SIDECAR_ASSIGN_OR_RETURN(bool self_metrics,
                           config::ParseBool(environment.Get("DD_SIDECAR_SELF_METRICS_ENABLED"),
                                             "DD_SIDECAR_SELF_METRICS_ENABLED", /*fallback=*/true));
  SIDECAR_ASSIGN_OR_RETURN(
      runtime::MemoryBudget memory,
      runtime::ResolveMemoryBudget(environment.Get("DD_SIDECAR_MEMORY_LIMIT")));
  return Settings{std::move(agent),        std::move(statsd), std::move(apm), std::move(logs),
                  std::move(ecs_endpoint), cardinality,       self_metrics,   std::move(memory)};
}

}  // namespace sidecar::app
