# Settings, request headers, /info, the processor, the writer, the receiver and the wired pipeline.
sidecar_test(apm_pipeline_test
  SRCS
    ${CMAKE_CURRENT_LIST_DIR}/apm_config_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/info_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/request_headers_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/processor_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/receiver_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/trace_writer_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/tracer_payload_encoder_test.cc
  DEPS sidecar_apm_io)
# The encoder test replays a recorded tracer payload from the shared folder.
target_compile_definitions(apm_pipeline_test PRIVATE
  SIDECAR_SHARED_TESTDATA="${CMAKE_SOURCE_DIR}/../shared/testdata")
