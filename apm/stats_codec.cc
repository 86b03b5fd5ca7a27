#include "apm/stats_codec.h"

#include <cstdint>
#include <cstring>
#include <msgpack.hpp>
#include <utility>

#include "absl/status/status.h"
#include "agent/common/status_macros.h"

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

constexpr int kMaxSkipDepth = 32;

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError("stats payload: " + std::string(what));
}

// A bounds-checked msgpack reader over the request body.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool AtEnd() const { return pos_ == data_.size(); }

  // Map header; nil reads as an empty map. Each entry needs at least 2 bytes.
  absl::Status ReadMapHeader(uint32_t& size) {
    uint8_t tag = 0;
    SIDECAR_RETURN_IF_ERROR(Byte(tag));
    if (tag == 0xc0) {
      size = 0;
      return absl::OkStatus();
    }
    if ((tag & 0xf0) == 0x80) {
      size = tag & 0x0f;
    } else if (tag == 0xde) {
      SIDECAR_RETURN_IF_ERROR(BigEndian(2, size));
    } else if (tag == 0xdf) {
      SIDECAR_RETURN_IF_ERROR(BigEndian(4, size));
    } else {
      return Malformed("expected a map");
    }
    if (size > Remaining() / 2) {
      return Malformed("map longer than the body");
    }
    return absl::OkStatus();
  }

  // Array header; nil reads as an empty array. Each element needs at least 1 byte.
  absl::Status ReadArrayHeader(uint32_t& size) {
    uint8_t tag = 0;
    SIDECAR_RETURN_IF_ERROR(Byte(tag));
    if (tag == 0xc0) {
      size = 0;
      return absl::OkStatus();
    }
    if ((tag & 0xf0) == 0x90) {
      size = tag & 0x0f;
    } else if (tag == 0xdc) {
      SIDECAR_RETURN_IF_ERROR(BigEndian(2, size));
    } else if (tag == 0xdd) {
      SIDECAR_RETURN_IF_ERROR(BigEndian(4, size));
    } else {
      return Malformed("expected an array");
    }
    if (size > Remaining()) {
      return Malformed("array longer than the body");
    }
    return absl::OkStatus();
  }

  // str or bin (tracers differ); nil reads as "".
  absl::Status ReadString(std::string& out) {
    std::string_view view;
    SIDECAR_RETURN_IF_ERROR(ReadStringView(view));
    out.assign(view.data(), view.size());
    return absl::OkStatus();
  }

  absl::Status ReadStringView(std::string_view& out) {
    uint8_t tag = 0;
    SIDECAR_RETURN_IF_ERROR(Byte(tag));
    uint32_t size = 0;
    if (tag == 0xc0) {
      out = {};
      return absl::OkStatus();
    }
    if ((tag & 0xe0) == 0xa0) {
      size = tag & 0x1f;
    } else if (tag == 0xd9 || tag == 0xc4) {
      SIDECAR_RETURN_IF_ERROR(BigEndian(1, size));
    } else if (tag == 0xda || tag == 0xc5) {
      SIDECAR_RETURN_IF_ERROR(BigEndian(2, size));
    } else if (tag == 0xdb || tag == 0xc6) {
      SIDECAR_RETURN_IF_ERROR(BigEndian(4, size));
    } else {
      return Malformed("expected a string");
    }
    if (size > Remaining()) {
      return Malformed("string longer than the body");
    }
    out = data_.substr(pos_, size);
    pos_ += size;
    return absl::OkStatus();
  }

  // Any integer encoding; nil reads as 0. `negative` tells whether the value was below zero.
  absl::Status ReadInteger(int64_t& signed_value, uint64_t& unsigned_value, bool& negative) {
    uint8_t tag = 0;
    SIDECAR_RETURN_IF_ERROR(Byte(tag));
    negative = false;
    uint64_t raw = 0;
    if (tag <= 0x7f) {
      raw = tag;
    } else if (tag >= 0xe0) {
      negative = true;
      signed_value = static_cast<int64_t>(tag) - 256;  // negative fixint
      return absl::OkStatus();
    } else if (tag == 0xc0) {
      raw = 0;
    } else if (tag >= 0xcc && tag <= 0xcf) {
      SIDECAR_RETURN_IF_ERROR(BigEndian64(size_t{1} << (tag - 0xcc), raw));
    } else if (tag >= 0xd0 && tag <= 0xd3) {
      const size_t width = size_t{1} << (tag - 0xd0);
      SIDECAR_RETURN_IF_ERROR(BigEndian64(width, raw));
      // Sign-extend from `width` bytes.
      if (width == 1) {
        raw = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(raw)));
      } else if (width == 2) {
        raw = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(raw)));
      } else if (width == 4) {
        raw = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(raw)));
      }
      signed_value = static_cast<int64_t>(raw);
      negative = signed_value < 0;
      unsigned_value = static_cast<uint64_t>(signed_value);
      return absl::OkStatus();
    } else {
      return Malformed("expected an integer");
    }
    unsigned_value = raw;
    signed_value = static_cast<int64_t>(raw);
    return absl::OkStatus();
  }

  absl::Status ReadUint64(uint64_t& out) {
    int64_t s = 0;
    bool negative = false;
    SIDECAR_RETURN_IF_ERROR(ReadInteger(s, out, negative));
    if (negative) {
      return Malformed("negative value for an unsigned field");
    }
    return absl::OkStatus();
  }

  absl::Status ReadUint32(uint32_t& out) {
    uint64_t value = 0;
    SIDECAR_RETURN_IF_ERROR(ReadUint64(value));
    if (value > UINT32_MAX) {
      return Malformed("value out of uint32 range");
    }
    out = static_cast<uint32_t>(value);
    return absl::OkStatus();
  }

  absl::Status ReadInt64(int64_t& out) {
    uint64_t u = 0;
    bool negative = false;
    SIDECAR_RETURN_IF_ERROR(ReadInteger(out, u, negative));
    if (!negative && u > static_cast<uint64_t>(INT64_MAX)) {
      return Malformed("value out of int64 range");
    }
    return absl::OkStatus();
  }

  absl::Status ReadInt32(int32_t& out) {
    int64_t value = 0;
    SIDECAR_RETURN_IF_ERROR(ReadInt64(value));
    if (value < INT32_MIN || value > INT32_MAX) {
      return Malformed("value out of int32 range");
    }
    out = static_cast<int32_t>(value);
    return absl::OkStatus();
  }

  // bool; nil reads as false.
  absl::Status ReadBool(bool& out) {
    uint8_t tag = 0;
    SIDECAR_RETURN_IF_ERROR(Byte(tag));
    if (tag == 0xc2 || tag == 0xc0) {
      out = false;
    } else if (tag == 0xc3) {
      out = true;
    } else {
      return Malformed("expected a bool");
    }
    return absl::OkStatus();
  }

  // Skips one value of any type, refusing nesting deeper than kMaxSkipDepth.
  absl::Status Skip(int depth = 0) {
    if (depth > kMaxSkipDepth) {
      return Malformed("nesting too deep");
    }
    uint8_t tag = 0;
    SIDECAR_RETURN_IF_ERROR(Peek(tag));
    if (tag <= 0x7f || tag >= 0xe0 || tag == 0xc0 || tag == 0xc2 || tag == 0xc3) {
      return Advance(1);
    }
    if ((tag & 0xf0) == 0x80 || tag == 0xde || tag == 0xdf) {
      uint32_t size = 0;
      SIDECAR_RETURN_IF_ERROR(ReadMapHeader(size));
      for (uint64_t i = 0; i < uint64_t{size} * 2; ++i) {
        SIDECAR_RETURN_IF_ERROR(Skip(depth + 1));
      }
      return absl::OkStatus();
    }
    if ((tag & 0xf0) == 0x90 || tag == 0xdc || tag == 0xdd) {
      uint32_t size = 0;
      SIDECAR_RETURN_IF_ERROR(ReadArrayHeader(size));
      for (uint32_t i = 0; i < size; ++i) {
        SIDECAR_RETURN_IF_ERROR(Skip(depth + 1));
      }
      return absl::OkStatus();
    }
    if ((tag & 0xe0) == 0xa0 || (tag >= 0xc4 && tag <= 0xc6) || (tag >= 0xd9 && tag <= 0xdb)) {
      std::string_view ignored;
      return ReadStringView(ignored);
    }
    uint32_t length = 0;
    switch (tag) {
      case 0xcc:
      case 0xd0:
        return Advance(2);
      case 0xcd:
      case 0xd1:
        return Advance(3);
      case 0xca:
      case 0xce:
      case 0xd2:
        return Advance(5);
      case 0xcb:
      case 0xcf:
      case 0xd3:
        return Advance(9);
      case 0xd4:
        return Advance(3);  // fixext 1: tag, type, 1 byte
      case 0xd5:
        return Advance(4);
      case 0xd6:
        return Advance(6);
      case 0xd7:
        return Advance(10);
      case 0xd8:
        return Advance(18);
      case 0xc7:
      case 0xc8:
      case 0xc9: {
        SIDECAR_RETURN_IF_ERROR(Advance(1));
        SIDECAR_RETURN_IF_ERROR(BigEndian(size_t{1} << (tag - 0xc7), length));
        if (uint64_t{length} + 1 > Remaining()) {
          return Malformed("ext longer than the body");
        }
        return Advance(uint64_t{length} + 1);
      }
      default:
        return Malformed("unknown msgpack type");  // 0xc1, never used
    }
  }

 private:
  size_t Remaining() const { return data_.size() - pos_; }

  absl::Status Peek(uint8_t& out) const {
    if (pos_ >= data_.size()) {
      return Malformed("truncated");
    }
    out = static_cast<uint8_t>(data_[pos_]);
    return absl::OkStatus();
  }
  absl::Status Byte(uint8_t& out) {
    SIDECAR_RETURN_IF_ERROR(Peek(out));
    ++pos_;
    return absl::OkStatus();
  }
  absl::Status Advance(uint64_t n) {
    if (n > Remaining()) {
      return Malformed("truncated");
    }
    pos_ += static_cast<size_t>(n);
    return absl::OkStatus();
  }
  absl::Status BigEndian64(size_t width, uint64_t& out) {
    if (width > Remaining()) {
      return Malformed("truncated");
    }
    out = 0;
    for (size_t i = 0; i < width; ++i) {
      out = (out << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    }
    pos_ += width;
    return absl::OkStatus();
  }
  absl::Status BigEndian(size_t width, uint32_t& out) {
    uint64_t value = 0;
    SIDECAR_RETURN_IF_ERROR(BigEndian64(width, value));
    out = static_cast<uint32_t>(value);
    return absl::OkStatus();
  }

  std::string_view data_;
  size_t pos_ = 0;
};

// Running totals against the per-payload limits.
struct Budget {
  size_t buckets = 0;
  size_t groups = 0;
  size_t tag_strings = 0;
};

absl::Status ReadStrings(Reader& r, Budget& budget, std::vector<std::string>& out) {
  uint32_t size = 0;
  SIDECAR_RETURN_IF_ERROR(r.ReadArrayHeader(size));
  budget.tag_strings += size;
  if (budget.tag_strings > kMaxClientStatsTagStrings) {
    return Malformed("too many tag strings");
  }
  out.clear();
  out.resize(size);
  for (std::string& s : out) {
    SIDECAR_RETURN_IF_ERROR(r.ReadString(s));
  }
  return absl::OkStatus();
}

absl::Status ReadGroup(Reader& r, Budget& budget, ClientGroupedStats& g) {
  uint32_t size = 0;
  SIDECAR_RETURN_IF_ERROR(r.ReadMapHeader(size));
  for (uint32_t i = 0; i < size; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(r.ReadStringView(key));
    if (key == "Service") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.service));
    } else if (key == "Name") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.name));
    } else if (key == "Resource") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.resource));
    } else if (key == "HTTPStatusCode") {
      SIDECAR_RETURN_IF_ERROR(r.ReadUint32(g.http_status_code));
    } else if (key == "Type") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.type));
    } else if (key == "DBType") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.db_type));
    } else if (key == "Hits") {
      SIDECAR_RETURN_IF_ERROR(r.ReadUint64(g.hits));
    } else if (key == "Errors") {
      SIDECAR_RETURN_IF_ERROR(r.ReadUint64(g.errors));
    } else if (key == "Duration") {
      SIDECAR_RETURN_IF_ERROR(r.ReadUint64(g.duration));
    } else if (key == "OkSummary") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.ok_summary));
    } else if (key == "ErrorSummary") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.error_summary));
    } else if (key == "Synthetics") {
      SIDECAR_RETURN_IF_ERROR(r.ReadBool(g.synthetics));
    } else if (key == "TopLevelHits") {
      SIDECAR_RETURN_IF_ERROR(r.ReadUint64(g.top_level_hits));
    } else if (key == "SpanKind") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.span_kind));
    } else if (key == "PeerTags") {
      SIDECAR_RETURN_IF_ERROR(ReadStrings(r, budget, g.peer_tags));
    } else if (key == "IsTraceRoot") {
      int32_t flag = 0;
      SIDECAR_RETURN_IF_ERROR(r.ReadInt32(flag));
      // Unknown values are kept as "not set" rather than failing the payload.
      g.is_trace_root = flag == 1   ? TraceRootFlag::kTrue
                        : flag == 2 ? TraceRootFlag::kFalse
                                    : TraceRootFlag::kNotSet;
    } else if (key == "GRPCStatusCode") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.grpc_status_code));
    } else if (key == "HTTPMethod") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.http_method));
    } else if (key == "HTTPEndpoint") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.http_endpoint));
    } else if (key == "srv_src") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(g.service_source));
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

absl::Status ReadBucket(Reader& r, Budget& budget, ClientStatsBucket& b) {
  uint32_t size = 0;
  SIDECAR_RETURN_IF_ERROR(r.ReadMapHeader(size));
  for (uint32_t i = 0; i < size; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(r.ReadStringView(key));
    if (key == "Start") {
      SIDECAR_RETURN_IF_ERROR(r.ReadUint64(b.start));
    } else if (key == "Duration") {
      SIDECAR_RETURN_IF_ERROR(r.ReadUint64(b.duration));
    } else if (key == "AgentTimeShift") {
      SIDECAR_RETURN_IF_ERROR(r.ReadInt64(b.agent_time_shift));
    } else if (key == "Stats") {
      uint32_t groups = 0;
      SIDECAR_RETURN_IF_ERROR(r.ReadArrayHeader(groups));
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

absl::Status ReadClientPayload(Reader& r, ClientStatsPayload& p) {
  Budget budget;
  uint32_t size = 0;
  SIDECAR_RETURN_IF_ERROR(r.ReadMapHeader(size));
  for (uint32_t i = 0; i < size; ++i) {
    std::string_view key;
    SIDECAR_RETURN_IF_ERROR(r.ReadStringView(key));
    if (key == "Hostname") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.hostname));
    } else if (key == "Env") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.env));
    } else if (key == "Version") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.version));
    } else if (key == "Stats") {
      uint32_t buckets = 0;
      SIDECAR_RETURN_IF_ERROR(r.ReadArrayHeader(buckets));
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
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.lang));
    } else if (key == "TracerVersion") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.tracer_version));
    } else if (key == "RuntimeID") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.runtime_id));
    } else if (key == "Sequence") {
      SIDECAR_RETURN_IF_ERROR(r.ReadUint64(p.sequence));
    } else if (key == "AgentAggregation") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.agent_aggregation));
    } else if (key == "Service") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.service));
    } else if (key == "ContainerID") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.container_id));
    } else if (key == "Tags") {
      SIDECAR_RETURN_IF_ERROR(ReadStrings(r, budget, p.tags));
    } else if (key == "GitCommitSha") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.git_commit_sha));
    } else if (key == "ImageTag") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.image_tag));
    } else if (key == "ProcessTagsHash") {
      SIDECAR_RETURN_IF_ERROR(r.ReadUint64(p.process_tags_hash));
    } else if (key == "ProcessTags") {
      SIDECAR_RETURN_IF_ERROR(r.ReadString(p.process_tags));
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
  if (body.size() > kMaxClientStatsBodyBytes) {
    return Malformed("body larger than 25 MiB");
  }
  Reader reader(body);
  ClientStatsPayload payload;
  SIDECAR_RETURN_IF_ERROR(ReadClientPayload(reader, payload));
  if (!reader.AtEnd()) {
    return Malformed("trailing bytes after the payload");
  }
  return payload;
}

}  // namespace sidecar::apm
