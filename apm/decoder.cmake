# Trace request decoders (apm/trace_decoder.h): a bounds-checked msgpack cursor plus the v0.2-v0.7
# body formats, decoding straight into the protobuf model of apm/trace_types.h.
sidecar_library(sidecar_apm_decoder
  SRCS msgpack_reader.cc
       trace_decoder.cc
  DEPS sidecar_common sidecar_proto absl::strings nlohmann_json::nlohmann_json fmt::fmt)
# Parsers read untrusted bytes: keep implicit narrowing visible (style.md §2.10).
target_compile_options(sidecar_apm_decoder PRIVATE -Wconversion -Wsign-conversion -Wold-style-cast)
