# Logs processing and batching (ecs-logs.md B4.3, B4.4, B5): DD_LOGS_* config, processing rules and
# multi-line aggregation (RE2), FireLens record mapping, the intake JSON encoder and the batcher.
sidecar_library(sidecar_logs
  SRCS
    logs_config.cc
    processing_rules.cc
    record_mapper.cc
    log_encoder.cc
    log_batcher.cc
  DEPS sidecar_common sidecar_json sidecar_config sidecar_forwarder nlohmann_json::nlohmann_json fmt::fmt)
# RE2 stays private: the headers only forward-declare re2::RE2.
target_link_libraries(sidecar_logs PRIVATE PkgConfig::RE2)
