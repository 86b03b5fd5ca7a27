# Trace request decoders (apm/trace_decoder.h): a bounds-checked msgpack cursor plus the v0.2-v0.7
# body formats, decoding straight into the protobuf model of apm/trace_types.h (ArenaPayload).
# Internal pieces: UTF-8 repair, the lenient msgpack field readers, the v0.4 span map reader, the
# per-version msgpack body layouts and the JSON body; trace_decoder.cc holds the entry points and
# Content-Type.
sidecar_library(sidecar_apm_decoder
  SRCS json_trace_decoder.cc
       msgpack_field_readers.cc
       msgpack_reader.cc
       msgpack_span_reader.cc
       msgpack_trace_decoder.cc
       trace_decoder.cc
       trace_types.cc
       utf8_repair.cc
  DEPS sidecar_common sidecar_proto absl::strings nlohmann_json::nlohmann_json fmt::fmt)
# Parsers read untrusted bytes: keep implicit narrowing visible (style.md §2.10).
target_compile_options(sidecar_apm_decoder PRIVATE -Wconversion -Wsign-conversion -Wold-style-cast)
