# Log receivers (ecs-logs.md B4): the pure codec (Fluent Forward decoder, partial-line reassembly,
# newline framing) and the socket servers on top of it (sharing the StreamListener accept side).
sidecar_library(sidecar_logs_codec
  SRCS ${CMAKE_CURRENT_LIST_DIR}/forward_decoder.cc
       ${CMAKE_CURRENT_LIST_DIR}/partial_reassembler.cc
       ${CMAKE_CURRENT_LIST_DIR}/line_framer.cc
  DEPS sidecar_common nlohmann_json::nlohmann_json fmt::fmt ZLIB::ZLIB PkgConfig::ZSTD)

sidecar_library(sidecar_logs_io
  SRCS ${CMAKE_CURRENT_LIST_DIR}/stream_listener.cc
       ${CMAKE_CURRENT_LIST_DIR}/forward_server.cc
       ${CMAKE_CURRENT_LIST_DIR}/line_server.cc
  DEPS sidecar_logs_codec sidecar_asio sidecar_telemetry spdlog::spdlog)
