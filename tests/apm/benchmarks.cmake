# APM pipeline throughput (issue #6): decode, process, write and end to end in spans/s, with
# in-binary baselines (memcpy, msgpack-cxx unpack) so runs are compared as ratios.
if(SIDECAR_BUILD_BENCHMARKS)
  add_executable(apm_trace_pipeline_benchmark ${CMAKE_CURRENT_LIST_DIR}/trace_pipeline_benchmark.cc)
  target_link_libraries(apm_trace_pipeline_benchmark PRIVATE
    sidecar_build_options sidecar_apm msgpackc-cxx benchmark::benchmark)
  # The recorded dd-trace-js body lives in the shared folder beside the repository.
  target_compile_definitions(apm_trace_pipeline_benchmark PRIVATE
    SIDECAR_SHARED_TESTDATA="${CMAKE_SOURCE_DIR}/../shared/testdata")
endif()
