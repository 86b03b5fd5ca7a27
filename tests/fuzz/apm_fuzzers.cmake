# Trace decoders (apm/trace_decoder.h): v0.2-v0.4 (msgpack and JSON) and v0.5/v0.7.
sidecar_fuzzer(apm_trace_v04
  SRCS apm_trace_v04_fuzzer.cc
  DEPS sidecar_apm_decoder sidecar_proto_reflect
  CORPUS corpus/apm_trace_v04)

sidecar_fuzzer(apm_trace_v05
  SRCS apm_trace_v05_fuzzer.cc
  DEPS sidecar_apm_decoder sidecar_proto_reflect
  CORPUS corpus/apm_trace_v05)

# /v0.6/stats ClientStatsPayload decoder (apm/stats_codec.h).
sidecar_fuzzer(apm_client_stats
  SRCS apm_client_stats_fuzzer.cc
  DEPS sidecar_apm_stats
  CORPUS corpus/apm_client_stats)
