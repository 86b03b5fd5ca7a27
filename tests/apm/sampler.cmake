# Trace samplers (apm.md §4, conformance S1–S7, R17).
sidecar_test(apm_sampler_test
  SRCS
    ${CMAKE_CURRENT_LIST_DIR}/score_sampler_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/priority_sampler_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/trace_sampler_test.cc
  DEPS sidecar_apm_sampler nlohmann_json::nlohmann_json
)
