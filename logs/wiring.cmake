# The logs stages wired on the runtime's threads (receivers → strand → batcher → forwarder).
sidecar_library(sidecar_logs_pipeline
  SRCS ${CMAKE_CURRENT_LIST_DIR}/logs_pipeline.cc
  DEPS sidecar_logs sidecar_logs_io sidecar_asio sidecar_telemetry spdlog::spdlog)
