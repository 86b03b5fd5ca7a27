// Knobs of the trace samplers (apm.md §4). Values arrive already parsed and defaulted by the
// config layer; the samplers never read the environment.
#pragma once

#include <cstdint>
#include <string>

namespace sidecar::apm {

struct SamplerConfig {
  // Traces per second the priority and no-priority samplers aim for. Env DD_APM_TARGET_TPS.
  double target_tps = 10;
  // Traces per second kept by the errors sampler; 0 disables it. Env DD_APM_ERROR_TPS.
  double error_tps = 10;
  // Analytics events per second (legacy App Analytics); reported upstream, not enforced here.
  double max_eps = 200;
  // Rare sampler (apm_config.enable_rare_sampler). Default off.
  bool rare_sampler_enabled = false;
  // Probabilistic sampler: overrides the other samplers when enabled; percentage in [0, 100].
  bool probabilistic_enabled = false;
  double probabilistic_percentage = 0;
  uint32_t probabilistic_seed = 0;
  // Error Tracking Standalone: only chunks with errors (or exception span events) are kept.
  bool error_tracking_standalone = false;
  // The agent env (DD_ENV), already normalized; tracers without env share its rates.
  std::string default_env = "none";
};

}  // namespace sidecar::apm
