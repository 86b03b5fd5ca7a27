# Trace decoders (apm/trace_decoder.h): v0.2-v0.4 (msgpack and JSON) and v0.5/v0.7.
sidecar_fuzzer(apm_trace_v04
  SRCS apm_trace_v04_fuzzer.cc
  DEPS sidecar_apm_decoder
  CORPUS corpus/apm_trace_v04)

sidecar_fuzzer(apm_trace_v05
  SRCS apm_trace_v05_fuzzer.cc
  DEPS sidecar_apm_decoder
  CORPUS corpus/apm_trace_v05)
