# The APM pipeline (apm.md §1, §3, §7): settings, /info, the per-payload processor and the trace
# writer (pure), then the HTTP receiver and the strand that drives them (I/O).
sidecar_library(sidecar_apm
  SRCS
    apm_config.cc
    info.cc
    processor.cc
    request_headers.cc
    sha256.cc
    trace_writer.cc
    tracer_payload_encoder.cc
  DEPS sidecar_apm_decoder sidecar_apm_normalizer sidecar_apm_obfuscator sidecar_apm_sampler
       sidecar_apm_stats sidecar_config sidecar_forwarder sidecar_telemetry
       nlohmann_json::nlohmann_json spdlog::spdlog fmt::fmt)
target_link_libraries(sidecar_apm PRIVATE PkgConfig::RE2)

sidecar_library(sidecar_apm_io
  SRCS
    receiver.cc
    apm_pipeline.cc
  DEPS sidecar_apm sidecar_container sidecar_asio spdlog::spdlog)
