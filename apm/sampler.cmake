# Trace samplers and the rate_by_service feedback loop (apm.md §1.5, §4).
sidecar_library(sidecar_apm_sampler
  SRCS
    ${CMAKE_CURRENT_LIST_DIR}/score_sampler.cc
    ${CMAKE_CURRENT_LIST_DIR}/priority_sampler.cc
    ${CMAKE_CURRENT_LIST_DIR}/trace_sampler.cc
  DEPS sidecar_proto sidecar_common sidecar_json absl::flat_hash_map absl::core_headers fmt::fmt
)
