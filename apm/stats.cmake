# APM stats (apm.md §6, §1.6): latency sketch, concentrator, StatsPayload / ClientStatsPayload
# msgpack codec (decoding on the MsgpackReader of sidecar_apm_decoder), /v0.6/stats client payload
# normalization.
sidecar_library(sidecar_apm_stats
  SRCS ${CMAKE_CURRENT_LIST_DIR}/stats_sketch.cc
       ${CMAKE_CURRENT_LIST_DIR}/concentrator.cc
       ${CMAKE_CURRENT_LIST_DIR}/stats_codec.cc
       ${CMAKE_CURRENT_LIST_DIR}/client_stats.cc
  DEPS sidecar_apm_decoder sidecar_proto sidecar_common msgpackc-cxx absl::flat_hash_map
       absl::flat_hash_set absl::hash absl::inlined_vector
       absl::status absl::statusor)
