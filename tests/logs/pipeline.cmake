sidecar_test(logs_pipeline_test
  SRCS
    logs_config_test.cc
    processing_rules_test.cc
    record_mapper_test.cc
    log_encoder_test.cc
    log_batcher_test.cc
  DEPS sidecar_logs PkgConfig::RE2 nlohmann_json::nlohmann_json)
