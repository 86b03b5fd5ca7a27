# APM normalization (apm.md §3, conformance N1–N18).
sidecar_test(apm_normalizer_test
  SRCS
    ${CMAKE_CURRENT_LIST_DIR}/normalize_tag_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/normalizer_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/top_level_test.cc
  DEPS sidecar_apm_normalizer)
