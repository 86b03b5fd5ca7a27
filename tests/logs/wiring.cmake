sidecar_test(logs_wiring_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/logs_pipeline_test.cc
  DEPS sidecar_logs_pipeline nlohmann_json::nlohmann_json)
