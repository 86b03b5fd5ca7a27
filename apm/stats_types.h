// APM stats as plain structs, mirroring the trace-agent's StatsPayload / ClientStatsPayload /
// ClientStatsBucket / ClientGroupedStats (apm.md §6). The concentrator fills them, /v0.6/stats
// decodes into them, and stats_codec.h writes them as msgpack with the Go field names as keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sidecar::apm {

// ClientGroupedStats.IsTraceRoot: a three-valued flag so "tracer did not say" stays distinct from
// "not a root" (old tracers send 0).
enum class TraceRootFlag : int32_t {
  kNotSet = 0,
  kTrue = 1,
  kFalse = 2,
};

// One aggregation group within a time bucket.
struct ClientGroupedStats {
  std::string service;
  std::string name;
  std::string resource;
  uint32_t http_status_code = 0;
  std::string type;
  std::string db_type;
  uint64_t hits = 0;
  uint64_t errors = 0;
  uint64_t duration = 0;      // Sum of span durations in ns (weighted).
  std::string ok_summary;     // DDSketch protobuf bytes (durations of spans without error).
  std::string error_summary;  // DDSketch protobuf bytes (durations of error spans).
  bool synthetics = false;
  uint64_t top_level_hits = 0;
  std::string span_kind;
  std::vector<std::string> peer_tags;  // "key:value", sorted.
  TraceRootFlag is_trace_root = TraceRootFlag::kNotSet;
  std::string grpc_status_code;  // Numeric code as a decimal string, "" when absent.
  std::string http_method;
  std::string http_endpoint;
  std::string service_source;  // msgpack key "srv_src".
  std::vector<std::string> span_derived_primary_tags;
  std::vector<std::string> additional_metric_tags;
};

// One time bucket of groups.
struct ClientStatsBucket {
  uint64_t start = 0;     // Unix ns, aligned to the bucket size.
  uint64_t duration = 0;  // ns.
  std::vector<ClientGroupedStats> stats;
  int64_t agent_time_shift = 0;
};

// The stats of one (env, hostname, version, container, ...) source.
struct ClientStatsPayload {
  std::string hostname;
  std::string env;
  std::string version;
  std::vector<ClientStatsBucket> stats;
  std::string lang;
  std::string tracer_version;
  std::string runtime_id;
  uint64_t sequence = 0;
  std::string agent_aggregation;
  std::string service;
  std::string container_id;
  std::vector<std::string> tags;
  std::string git_commit_sha;
  std::string image_tag;
  uint64_t process_tags_hash = 0;
  std::string process_tags;
};

// What goes to https://trace.agent.<site>/api/v0.2/stats.
struct StatsPayload {
  std::string agent_hostname;  // "" on Fargate (apm.md §8 "Hostname").
  std::string agent_env;
  std::vector<ClientStatsPayload> stats;
  std::string agent_version;
  bool client_computed = false;
  bool split_payload = false;
};

}  // namespace sidecar::apm
