# Settings, request headers, /info, the processor, the writer, the receiver and the wired pipeline.
sidecar_test(apm_pipeline_test
  SRCS
    ${CMAKE_CURRENT_LIST_DIR}/apm_config_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/info_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/request_headers_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/processor_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/receiver_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/trace_writer_test.cc
  DEPS sidecar_apm_io)
