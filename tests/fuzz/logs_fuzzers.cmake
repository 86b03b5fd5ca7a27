# Fuzz targets of the log receivers' parsers of untrusted bytes (included by CMakeLists.txt here).
sidecar_fuzzer(logs_forward
  SRCS logs_forward_fuzzer.cc
  DEPS sidecar_logs_codec
  CORPUS corpus/logs_forward)

sidecar_fuzzer(logs_line_framer
  SRCS logs_line_framer_fuzzer.cc
  DEPS sidecar_logs_codec
  CORPUS corpus/logs_line_framer)
