#include "apm/stats_codec.h"

#include <cstdint>
#include <msgpack.hpp>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "agent/common/status_macros.h"
#include "apm/msgpack_reader.h"

namespace sidecar::apm {
namespace {

// ---- Encoding ----------------------------------------------------------------------------------

using Packer = msgpack::packer<msgpack::sbuffer>;

void PackStr(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

void PackBin(Packer& pk, std::string_view s) {
  pk.pack_bin(static_cast<uint32_t>(s.size()));
  pk.pack_bin_body(s.data(), static_cast<uint32_t>(s.size()));
}

void PackStrings(Packer& pk, const std::vector<std::string>& strings) {
  pk.pack_array(static_cast<uint32_t>(strings.size()));
  for (const std::string& s : strings) {
    PackStr(pk, s);
  }
}

void PackGroup(Packer& pk, const ClientGroupedStats& g) {
  pk.pack_map(22);
  PackStr(pk, "Service");
  PackStr(pk, g.service);
  PackStr(pk, "Name");
  PackStr(pk, g.name);
  PackStr(pk, "Resource");
  PackStr(pk, g.resource);
  PackStr(pk, "HTTPStatusCode");
  pk.pack_uint32(g.http_status_code);
  PackStr(pk, "Type");
  PackStr(pk, g.type);
  PackStr(pk, "DBType");
  PackStr(pk, g.db_type);
  PackStr(pk, "Hits");
  pk.pack_uint64(g.hits);
  PackStr(pk, "Errors");
  pk.pack_uint64(g.errors);
  PackStr(pk, "Duration");
  pk.pack_uint64(g.duration);
  PackStr(pk, "OkSummary");
  PackBin(pk, g.ok_summary);
  PackStr(pk, "ErrorSummary");
  PackBin(pk, g.error_summary);
  PackStr(pk, "Synthetics");
  pk.pack(g.synthetics);
  PackStr(pk, "TopLevelHits");
  pk.pack_uint64(g.top_level_hits);
  PackStr(pk, "SpanKind");
  PackStr(pk, g.span_kind);
  PackStr(pk, "PeerTags");
  PackStrings(pk, g.peer_tags);
  PackStr(pk, "IsTraceRoot");
  pk.pack_int32(static_cast<int32_t>(g.is_trace_root));
  PackStr(pk, "GRPCStatusCode");
  PackStr(pk, g.grpc_status_code);
  PackStr(pk, "HTTPMethod");
  PackStr(pk, g.http_method);
  PackStr(pk, "HTTPEndpoint");
  PackStr(pk, g.http_endpoint);
  PackStr(pk, "srv_src");
  PackStr(pk, g.service_source);
  PackStr(pk, "SpanDerivedPrimaryTags");
  PackStrings(pk, g.span_derived_primary_tags);
  PackStr(pk, "AdditionalMetricTags");
  PackStrings(pk, g.additional_metric_tags);
}

void PackBucket(Packer& pk, const ClientStatsBucket& b) {
  pk.pack_map(4);
  PackStr(pk, "Start");
  pk.pack_uint64(b.start);
  PackStr(pk, "Duration");
  pk.pack_uint64(b.duration);
  PackStr(pk, "Stats");
  pk.pack_array(static_cast<uint32_t>(b.stats.size()));
  for (const ClientGroupedStats& g : b.stats) {
    PackGroup(pk, g);
  }
  PackStr(pk, "AgentTimeShift");
  pk.pack_int64(b.agent_time_shift);
}

void PackClientPayload(Packer& pk, const ClientStatsPayload& p) {
  pk.pack_map(16);
  PackStr(pk, "Hostname");
  PackStr(pk, p.hostname);
  PackStr(pk, "Env");
  PackStr(pk, p.env);
  PackStr(pk, "Version");
  PackStr(pk, p.version);
  PackStr(pk, "Stats");
  pk.pack_array(static_cast<uint32_t>(p.stats.size()));
  for (const ClientStatsBucket& b : p.stats) {
    PackBucket(pk, b);
  }
  PackStr(pk, "Lang");
  PackStr(pk, p.lang);
  PackStr(pk, "TracerVersion");
  PackStr(pk, p.tracer_version);
  PackStr(pk, "RuntimeID");
  PackStr(pk, p.runtime_id);
  PackStr(pk, "Sequence");
  pk.pack_uint64(p.sequence);
  PackStr(pk, "AgentAggregation");
  PackStr(pk, p.agent_aggregation);
  PackStr(pk, "Service");
  PackStr(pk, p.service);
  PackStr(pk, "ContainerID");
  PackStr(pk, p.container_id);
  PackStr(pk, "Tags");
  PackStrings(pk, p.tags);
  PackStr(pk, "GitCommitSha");
  PackStr(pk, p.git_commit_sha);
  PackStr(pk, "ImageTag");
  PackStr(pk, p.image_tag);
  PackStr(pk, "ProcessTagsHash");
  pk.pack_uint64(p.process_tags_hash);
  PackStr(pk, "ProcessTags");
  PackStr(pk, p.process_tags);
}

// ---- Decoding ----------------------------------------------------------------------------------
//
// MsgpackReader (apm/msgpack_reader.h) does the bounds checks: every container header against the
// bytes left, every string length, Skip() depth. What it does not do is the stats payload's
// leniency, added here: nil reads as the zero value of any scalar and as an empty container
// (tracers leave unset fields nil), and integers of any width narrow with range checks.

// Errors of our own; DecodeClientStatsPayload prefixes every error with "stats payload: ".
absl::Status Malformed(const char* what) { return absl::InvalidArgumentError(what); }

absl::Status ReadStringView(MsgpackReader& r, std::string_view& out) {
  if (r.TryReadNil()) {
    out = {};
    return absl::OkStatus();
  }
  return r.ReadStringOrBinary(out);
}

// str or bin (tracers differ, and sketches travel as either).
absl::Status ReadString(MsgpackReader& r, std::string& out) {
  std::string_view view;
  SIDECAR_RETURN_IF_ERROR(ReadStringView(r, view));
  out.assign(view.data(), view.size());
  return absl::OkStatus();
}

absl::Status ReadInteger(MsgpackReader& r, MsgpackInt& out) {
  if (r.TryReadNil()) {
    out = {};
    return absl::OkStatus();
  }
  return r.ReadInt(out);
}

absl::Status ReadUint64(MsgpackReader& r, uint64_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadInteger(r, value));
  if (value.negative) {
    return Malformed("negative value for an unsigned field");
  }
  out = value.bits;
  return absl::OkStatus();
}

absl::Status ReadUint32(MsgpackReader& r, uint32_t& out) {
  uint64_t value = 0;
  SIDECAR_RETURN_IF_ERROR(ReadUint64(r, value));
  if (value > UINT32_MAX) {
    return Malformed("value out of uint32 range");
  }
  out = static_cast<uint32_t>(value);
  return absl::OkStatus();
}

absl::Status ReadInt64(MsgpackReader& r, int64_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadInteger(r, value));
  if (!value.negative && value.bits > static_cast<uint64_t>(INT64_MAX)) {
    return Malformed("value out of int64 range");
  }
  out = value.AsInt64();
  return absl::OkStatus();
}

absl::Status ReadInt32(MsgpackReader& r, int32_t& out) {
  int64_t value = 0;
  SIDECAR_RETURN_IF_ERROR(ReadInt64(r, value));
  if (value < INT32_MIN || value > INT32_MAX) {
    return Malformed("value out of int32 range");
  }
  out = static_cast<int32_t>(value);
  return absl::OkStatus();
}

absl::Status ReadBool(MsgpackReader& r, bool& out) {
  if (r.TryReadNil()) {
    out = false;
    return absl::OkStatus();
  }
  return r.ReadBool(out);
}

absl::Status ReadMapHeader(MsgpackReader& r, uint32_t& size) {
  if (r.TryReadNil()) {
    size = 0;
    return absl::OkStatus();
  }
  return r.ReadMapHeader(size);
}

absl::Status ReadArrayHeader(MsgpackReader& r, uint32_t& size) {
  if (r.TryReadNil()) {
    size = 0;
    return absl::OkStatus();
  }
  return r.ReadArrayHeader(size);
}

// Running totals against the per-payload limits.
struct Budget {
  size_t buckets = 0;
  size_t groups = 0;
  size_t tag_strings = 0;
};

absl::Status ReadStrings(MsgpackReader& r, Budget& budget, std::vector<std::string>& out) {
  uint32_t size = 0;
  SIDECAR_RETURN_IF_ERROR(ReadArrayHeader(r, size));
  budget.tag_strings += size;
  if (budget.tag_strings > kMaxClientStatsTagStrings) {
    return Malformed("too many tag strings");
  }
  out.clear();
  out.resize(size);
  for (std::string& s : out) {
    SIDECAR_RETURN_IF_ERROR(ReadString(r, s));
  }
  return absl::OkStatus();
}

absl::Status ReadGroup(MsgpackReader& r, Budget& budget, ClientGroupedStats& g) {
  uint32_t size = 0;
  SIDECAR_RETURN_IF_ERROR(ReadMapHeader(r, size));
  for (uint32_t i = 0; i < size; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(ReadStringView(r, key));
    if (key == "Service") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.service));
    } else if (key == "Name") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.name));
    } else if (key == "Resource") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.resource));
    } else if (key == "HTTPStatusCode") {
      SIDECAR_RETURN_IF_ERROR(ReadUint32(r, g.http_status_code));
    } else if (key == "Type") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.type));
    } else if (key == "DBType") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.db_type));
    } else if (key == "Hits") {
      SIDECAR_RETURN_IF_ERROR(ReadUint64(r, g.hits));
    } else if (key == "Errors") {
      SIDECAR_RETURN_IF_ERROR(ReadUint64(r, g.errors));
    } else if (key == "Duration") {
      SIDECAR_RETURN_IF_ERROR(ReadUint64(r, g.duration));
    } else if (key == "OkSummary") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.ok_summary));
    } else if (key == "ErrorSummary") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.error_summary));
    } else if (key == "Synthetics") {
      SIDECAR_RETURN_IF_ERROR(ReadBool(r, g.synthetics));
    } else if (key == "TopLevelHits") {
      SIDECAR_RETURN_IF_ERROR(ReadUint64(r, g.top_level_hits));
    } else if (key == "SpanKind") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.span_kind));
    } else if (key == "PeerTags") {
      SIDECAR_RETURN_IF_ERROR(ReadStrings(r, budget, g.peer_tags));
    } else if (key == "IsTraceRoot") {
      int32_t flag = 0;
      SIDECAR_RETURN_IF_ERROR(ReadInt32(r, flag));
      // Unknown values are kept as "not set" rather than failing the payload.
      g.is_trace_root = flag == 1   ? TraceRootFlag::kTrue
                        : flag == 2 ? TraceRootFlag::kFalse
                                    : TraceRootFlag::kNotSet;
    } else if (key == "GRPCStatusCode") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.grpc_status_code));
    } else if (key == "HTTPMethod") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.http_method));
    } else if (key == "HTTPEndpoint") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.http_endpoint));
    } else if (key == "srv_src") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, g.service_source));
    } else if (key == "SpanDerivedPrimaryTags") {
      SIDECAR_RETURN_IF_ERROR(ReadStrings(r, budget, g.span_derived_primary_tags));
    } else if (key == "AdditionalMetricTags") {
      SIDECAR_RETURN_IF_ERROR(ReadStrings(r, budget, g.additional_metric_tags));
    } else {
      SIDECAR_RETURN_IF_ERROR(r.Skip());
    }
  }
  return absl::OkStatus();
}

absl::Status ReadBucket(MsgpackReader& r, Budget& budget, ClientStatsBucket& b) {
  uint32_t size = 0;
  SIDECAR_RETURN_IF_ERROR(ReadMapHeader(r, size));
  for (uint32_t i = 0; i < size; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(ReadStringView(r, key));
    if (key == "Start") {
      SIDECAR_RETURN_IF_ERROR(ReadUint64(r, b.start));
    } else if (key == "Duration") {
      SIDECAR_RETURN_IF_ERROR(ReadUint64(r, b.duration));
    } else if (key == "AgentTimeShift") {
      SIDECAR_RETURN_IF_ERROR(ReadInt64(r, b.agent_time_shift));
    } else if (key == "Stats") {
      uint32_t groups = 0;
      SIDECAR_RETURN_IF_ERROR(ReadArrayHeader(r, groups));
      budget.groups += groups;
      if (budget.groups > kMaxClientStatsGroups) {
        return Malformed("too many groups");
      }
      b.stats.clear();
      b.stats.resize(groups);
      for (ClientGroupedStats& g : b.stats) {
        SIDECAR_RETURN_IF_ERROR(ReadGroup(r, budget, g));
      }
    } else {
      SIDECAR_RETURN_IF_ERROR(r.Skip());
    }
  }
  return absl::OkStatus();
}

absl::Status ReadClientPayload(MsgpackReader& r, ClientStatsPayload& p) {
  Budget budget;
  uint32_t size = 0;
  SIDECAR_RETURN_IF_ERROR(ReadMapHeader(r, size));
  for (uint32_t i = 0; i < size; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(ReadStringView(r, key));
    if (key == "Hostname") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.hostname));
    } else if (key == "Env") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.env));
    } else if (key == "Version") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.version));
    } else if (key == "Stats") {
      uint32_t buckets = 0;
      SIDECAR_RETURN_IF_ERROR(ReadArrayHeader(r, buckets));
      budget.buckets += buckets;
      if (budget.buckets > kMaxClientStatsBuckets) {
        return Malformed("too many buckets");
      }
      p.stats.clear();
      p.stats.resize(buckets);
      for (ClientStatsBucket& b : p.stats) {
        SIDECAR_RETURN_IF_ERROR(ReadBucket(r, budget, b));
      }
    } else if (key == "Lang") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.lang));
    } else if (key == "TracerVersion") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.tracer_version));
    } else if (key == "RuntimeID") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.runtime_id));
    } else if (key == "Sequence") {
      SIDECAR_RETURN_IF_ERROR(ReadUint64(r, p.sequence));
    } else if (key == "AgentAggregation") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.agent_aggregation));
    } else if (key == "Service") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.service));
    } else if (key == "ContainerID") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.container_id));
    } else if (key == "Tags") {
      SIDECAR_RETURN_IF_ERROR(ReadStrings(r, budget, p.tags));
    } else if (key == "GitCommitSha") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.git_commit_sha));
    } else if (key == "ImageTag") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.image_tag));
    } else if (key == "ProcessTagsHash") {
      SIDECAR_RETURN_IF_ERROR(ReadUint64(r, p.process_tags_hash));
    } else if (key == "ProcessTags") {
      SIDECAR_RETURN_IF_ERROR(ReadString(r, p.process_tags));
    } else {
      SIDECAR_RETURN_IF_ERROR(r.Skip());
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeStatsPayload(const StatsPayload& payload) {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  pk.pack_map(6);
  PackStr(pk, "AgentHostname");
  PackStr(pk, payload.agent_hostname);
  PackStr(pk, "AgentEnv");
  PackStr(pk, payload.agent_env);
  PackStr(pk, "Stats");
  pk.pack_array(static_cast<uint32_t>(payload.stats.size()));
  for (const ClientStatsPayload& p : payload.stats) {
    PackClientPayload(pk, p);
  }
  PackStr(pk, "AgentVersion");
  PackStr(pk, payload.agent_version);
  PackStr(pk, "ClientComputed");
  pk.pack(payload.client_computed);
  PackStr(pk, "SplitPayload");
  pk.pack(payload.split_payload);
  return {buffer.data(), buffer.size()};
}

absl::StatusOr<ClientStatsPayload> DecodeClientStatsPayload(std::string_view body) {
  absl::Status status;
  ClientStatsPayload payload;
  if (body.size() > kMaxClientStatsBodyBytes) {
    status = Malformed("body larger than 25 MiB");
  } else {
    MsgpackReader reader(body);
    status = ReadClientPayload(reader, payload);
    if (status.ok() && !reader.AtEnd()) {
      status = Malformed("trailing bytes after the payload");
    }
  }
  if (!status.ok()) {
    // One code for every undecodable body, truncation (the reader's OutOfRange) included: the
    // /v0.6/stats handler answers 400 to all of them.
    return absl::InvalidArgumentError("stats payload: " + std::string(status.message()));
  }
  return payload;
}

}  // namespace sidecar::apm
