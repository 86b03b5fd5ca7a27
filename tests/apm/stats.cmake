sidecar_test(apm_stats_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/stats_sketch_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/concentrator_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/stats_codec_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/client_stats_test.cc
  DEPS sidecar_apm_stats msgpackc-cxx)
# The recorded dd-trace-js /v0.6/stats body lives in the shared folder beside the repository.
target_compile_definitions(apm_stats_test PRIVATE
  SIDECAR_SHARED_TESTDATA="${CMAKE_SOURCE_DIR}/../shared/testdata")
