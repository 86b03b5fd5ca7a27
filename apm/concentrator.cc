#include "apm/concentrator.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <tuple>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "agent/common/strings.h"
#include "apm/stats_sketch.h"

namespace sidecar::apm {
namespace {

constexpr int64_t kBufferLen = 2;  // Bucket slots kept open (current + previous).

std::string_view MetaOr(const Span& span, std::string_view key) {
  // Looked up as a view (the map is transparent): a std::string key built a temporary per call.
  const auto it = span.meta().find(key);
  return it == span.meta().end() ? std::string_view() : std::string_view(it->second);
}

// `_sample_rate` of the root as a weight (apm.md §6 "Weight").
double Weight(const Span* root) {
  if (root == nullptr) {
    return 1;
  }
  const auto it = root->metrics().find(std::string_view("_sample_rate"));
  if (it == root->metrics().end() || !(it->second > 0 && it->second <= 1)) {
    return 1;
  }
  return 1 / it->second;
}

// `text` equals the lower-case `lower`, ignoring ASCII case (no lower-cased copy).
bool EqualsAsciiLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != lower[i]) {
      return false;
    }
  }
  return true;
}

bool IsEligibleSpanKind(std::string_view kind) {
  return EqualsAsciiLower(kind, "server") || EqualsAsciiLower(kind, "client") ||
         EqualsAsciiLower(kind, "producer") || EqualsAsciiLower(kind, "consumer");
}

// The meta and metrics keys AddSpan reads, as indexes into SpanFields.
enum MetaField : int8_t {
  kSpanKindMeta,
  kBaseServiceMeta,
  kHttpStatusCodeMeta,
  kGrpcMeta0,  // kGrpcMeta0 + i: kGrpcStatusKeys[i]
  kServiceSourceMeta = kGrpcMeta0 + 4,
  kMetaFieldCount,
};
enum MetricField : int8_t {
  kTopLevelMetric,
  kTracerTopLevelMetric,
  kMeasuredMetric,
  kPartialVersionMetric,
  kHttpStatusCodeMetric,
  kGrpcMetric0,  // kGrpcMetric0 + i: kGrpcStatusKeys[i]
  kMetricFieldCount = kGrpcMetric0 + 4,
};

constexpr std::string_view kHttpStatusCodeKey = "http.status_code";
// In the order they are tried, meta first, then metrics.
constexpr std::array<std::string_view, 4> kGrpcStatusKeys = {
    "rpc.grpc.status_code", "grpc.code", "rpc.grpc.status.code", "grpc.status.code"};

// What AddSpan reads from one span, gathered in one walk of its meta and one of its metrics.
struct SpanFields {
  std::array<std::string_view, kMetaFieldCount> meta{};    // "" when absent
  std::array<const double*, kMetricFieldCount> metrics{};  // null when absent
  // Peer tag keys with a non-empty value, in map order.
  absl::InlinedVector<std::pair<std::string_view, std::string_view>, 4> peers;

  bool MetricIs(MetricField field, double value) const {
    return metrics[field] != nullptr && *metrics[field] == value;
  }
};

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// http.status_code: the metric (tracers since agent 7.39) wins over the meta string.
uint32_t StatusCode(const SpanFields& fields) {
  if (const double* metric = fields.metrics[kHttpStatusCodeMetric]; metric != nullptr) {
    const double code = *metric;
    return code >= 0 && code <= 4294967295.0 ? static_cast<uint32_t>(code) : 0;
  }
  const auto parsed = ParseUint(fields.meta[kHttpStatusCodeMeta]);
  return parsed && *parsed <= 0xffffffffULL ? static_cast<uint32_t>(*parsed) : 0;
}

// gRPC status name (upper case, underscores removed) to its numeric code.
std::string_view GrpcCodeFromName(std::string_view upper_compact) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kCodes = {{
      {"OK", "0"},
      {"CANCELLED", "1"},
      {"CANCELED", "1"},
      {"UNKNOWN", "2"},
      {"INVALIDARGUMENT", "3"},
      {"DEADLINEEXCEEDED", "4"},
      {"NOTFOUND", "5"},
      {"ALREADYEXISTS", "6"},
      {"PERMISSIONDENIED", "7"},
      {"RESOURCEEXHAUSTED", "8"},
      {"FAILEDPRECONDITION", "9"},
      {"ABORTED", "10"},
      {"OUTOFRANGE", "11"},
      {"UNIMPLEMENTED", "12"},
      {"INTERNAL", "13"},
      {"UNAVAILABLE", "14"},
      {"DATALOSS", "15"},
      {"UNAUTHENTICATED", "16"},
  }};
  for (const auto& [name, code] : kCodes) {
    if (name == upper_compact) {
      return code;
    }
  }
  return {};
}

// The gRPC status of a span as a decimal string, "" when it has none (apm.md §6 bucket key).
std::string GrpcStatusCode(const SpanFields& fields) {
  for (size_t i = 0; i < kGrpcStatusKeys.size(); ++i) {
    std::string_view value = fields.meta[kGrpcMeta0 + i];
    if (value.empty()) {
      continue;
    }
    if (const auto number = ParseUint(value); number && *number <= 0xffffffffULL) {
      return std::to_string(*number);
    }
    common::ConsumePrefix(value, "StatusCode.");
    std::string compact;
    for (char c : value) {
      if (c == '_') {
        continue;
      }
      compact.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    return std::string(GrpcCodeFromName(compact));
  }
  for (size_t i = 0; i < kGrpcStatusKeys.size(); ++i) {
    const double* value = fields.metrics[kGrpcMetric0 + i];
    if (value != nullptr && *value >= 0 && *value <= 4294967295.0) {
      return std::to_string(static_cast<uint64_t>(*value));
    }
  }
  return "";
}

// Calls emit(key, quantized value) for each peer tag of a span (apm.md §6), sorted by key: all
// configured keys for client / producer / consumer spans; only _dd.base_service for internal
// spans that carry one. `fields.peers` is sorted here.
template <typename Emit>
void ForEachPeerTag(std::string_view span_kind, SpanFields& fields, Emit&& emit) {
  const std::string_view base_service = fields.meta[kBaseServiceMeta];
  if ((span_kind.empty() || EqualsAsciiLower(span_kind, "internal")) && !base_service.empty()) {
    emit("_dd.base_service", internal::QuantizePeerIpAddresses(base_service));
    return;
  }
  if (!EqualsAsciiLower(span_kind, "client") && !EqualsAsciiLower(span_kind, "producer") &&
      !EqualsAsciiLower(span_kind, "consumer")) {
    return;
  }
  std::sort(fields.peers.begin(), fields.peers.end());
  for (const auto& [key, value] : fields.peers) {
    emit(key, internal::QuantizePeerIpAddresses(value));
  }
}

// The prefix an address may hide behind: EC2 host names ("ip-10-1-2-3...") and URLs.
std::pair<std::string_view, std::string_view> SplitAddressPrefix(std::string_view raw) {
  if (raw.starts_with("ip-")) {
    return {raw.substr(0, 3), raw.substr(3)};
  }
  static constexpr std::array<std::string_view, 5> kSchemes = {"dnspoll", "ftp", "file", "http",
                                                               "https"};
  for (std::string_view scheme : kSchemes) {
    const size_t at = raw.find(scheme);
    if (at == std::string_view::npos) {
      continue;
    }
    const std::string_view after = raw.substr(at + scheme.size());
    for (std::string_view slashes : {std::string_view(":///"), std::string_view("://")}) {
      // The address must follow: a URL that ends at the slashes has none.
      if (after.starts_with(slashes) && after.size() > slashes.size()) {
        const size_t end = at + scheme.size() + slashes.size();
        return {raw.substr(at, end - at), raw.substr(end)};
      }
    }
  }
  return {std::string_view(), raw};
}

// Length of the IPv4 address at the start of `s` with `sep` between octets (the agent also
// accepts '_' and '-'), allowing trailing text after the fourth octet; 0 when there is none.
size_t IPv4Length(std::string_view s, char sep) {
  int octets = 0;  // Separators seen.
  int value = 0;
  int digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      if (digits == 1 && value == 0) {
        return 0;  // Leading zero.
      }
      value = value * 10 + (c - '0');
      ++digits;
      if (value > 255) {
        return 0;
      }
    } else if (c == sep) {
      if (i == 0 || i + 1 == s.size() || s[i - 1] == sep) {
        return 0;
      }
      if (octets == 3) {
        return i;
      }
      ++octets;
      value = 0;
      digits = 0;
    } else {
      return octets == 3 && digits > 0 ? i : 0;
    }
  }
  return octets == 3 ? s.size() : 0;
}

// Length of the IP address at the start of `host`, 0 when `host` is not one.
size_t IPLength(std::string_view host) {
  if (host.empty() || !(std::isxdigit(static_cast<unsigned char>(host[0])) || host[0] == ':')) {
    return 0;
  }
  for (char c : host) {
    if (c == '.' || c == '_' || c == '-') {
      return IPv4Length(host, c);
    }
    if (c == ':') {
      in6_addr address{};
      const std::string text(host);
      return inet_pton(AF_INET6, text.c_str(), &address) == 1 ? host.size() : 0;
    }
    if (c == '%') {
      return 0;
    }
  }
  return 0;
}

// "host:port" / "[v6]:port" split at the last colon; nullopt when the text is not of that form
// (for example a bare IPv6 address).
std::optional<std::pair<std::string_view, std::string_view>> SplitHostPort(std::string_view s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view host;
  if (s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 != colon) {
      return std::nullopt;
    }
    host = s.substr(1, close - 1);
  } else {
    host = s.substr(0, colon);
    if (host.find_first_of(":[]") != std::string_view::npos) {
      return std::nullopt;
    }
  }
  const std::string_view port = s.substr(colon + 1);
  if (port.find_first_of("[]") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::make_pair(host, port);
}

std::string QuantizeAddress(std::string_view raw) {
  static constexpr std::array<std::string_view, 5> kAllowed = {
      "127.0.0.1", "::1", "169.254.169.254", "fd00:ec2::254", "169.254.170.2"};
  const auto [prefix, rest] = SplitAddressPrefix(raw);
  std::string_view host = rest;
  std::string_view port;
  if (const auto split = SplitHostPort(rest)) {
    host = split->first;
    port = split->second;
  }
  const size_t length = IPLength(host);
  if (length == 0) {
    return std::string(raw);
  }
  const std::string_view address = host.substr(0, length);
  for (std::string_view allowed : kAllowed) {
    if (address == allowed) {
      return std::string(raw);
    }
  }
  std::string out(prefix);
  out += "blocked-ip-address";
  if (!port.empty()) {
    out += ":";
    out += port;  // Ports are low-cardinality and say which protocol: kept.
  }
  out += host.substr(length);
  return out;
}

}  // namespace

namespace internal {

std::string QuantizePeerIpAddresses(std::string_view value) {
  if (value.find(',') == std::string_view::npos) {
    return QuantizeAddress(value);  // one entry: nothing to join or collapse
  }
  std::vector<std::string> seen;
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t comma = value.find(',', start);
    const std::string_view entry = value.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    std::string quantized = QuantizeAddress(entry);
    if (std::find(seen.begin(), seen.end(), quantized) == seen.end()) {
      if (!seen.empty()) {
        out += ",";
      }
      out += quantized;
      seen.push_back(std::move(quantized));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

}  // namespace internal

const std::vector<std::string>& DefaultPeerTagKeys() {
  static const std::vector<std::string> keys = {
      "_dd.base_service",
      "amqp.destination",
      "amqp.exchange",
      "amqp.queue",
      "aws.queue.name",
      "bucketname",
      "cassandra.cluster",
      "db.cassandra.contact.points",
      "db.couchbase.seed.nodes",
      "db.hostname",
      "db.instance",
      "db.name",
      "db.system",
      "hazelcast.instance",
      "messaging.kafka.bootstrap.servers",
      "mongodb.db",
      "msmq.queue.path",
      "net.peer.name",
      "network.destination.name",
      "peer.hostname",
      "peer.service",
      "queuename",
      "rpc.service",
      "rulename",
      "server.address",
      "statemachinename",
      "streamname",
      "tablename",
      "topicname",
  };
  return keys;
}

namespace {

struct PayloadKey {
  std::string env, hostname, version, container_id, git_commit_sha, image_tag, lang;

  auto Tie() const {
    return std::tie(env, hostname, version, container_id, git_commit_sha, image_tag, lang);
  }
  bool operator==(const PayloadKey& other) const { return Tie() == other.Tie(); }
  bool operator<(const PayloadKey& other) const { return Tie() < other.Tie(); }
};

struct GroupKey {
  PayloadKey payload;
  std::string service, name, resource, type, span_kind, peer_tags, grpc_status_code, service_source;
  uint32_t http_status_code = 0;
  bool synthetics = false;
  TraceRootFlag is_trace_root = TraceRootFlag::kNotSet;
  size_t payload_hash = 0;  // PayloadHash(payload), kept so a rehash does not recompute it

  auto Tie() const {
    return std::tie(payload.env, payload.hostname, payload.version, payload.container_id,
                    payload.git_commit_sha, payload.image_tag, payload.lang, service, name,
                    resource, type, span_kind, peer_tags, grpc_status_code, service_source,
                    http_status_code, synthetics, is_trace_root);
  }
  bool operator==(const GroupKey& other) const { return Tie() == other.Tie(); }
  bool operator<(const GroupKey& other) const { return Tie() < other.Tie(); }
};

// A group key over the span's own strings: the lookup for every eligible span copies nothing;
// only a new group owns its key.
struct GroupKeyView {
  std::string_view env, hostname, version, container_id, git_commit_sha, image_tag, lang, service,
      name, resource, type, span_kind, peer_tags, grpc_status_code, service_source;
  uint32_t http_status_code = 0;
  bool synthetics = false;
  TraceRootFlag is_trace_root = TraceRootFlag::kNotSet;
  size_t payload_hash = 0;  // PayloadHash of the first seven fields

  static GroupKeyView Of(const GroupKey& key) {
    return GroupKeyView{key.payload.env,
                        key.payload.hostname,
                        key.payload.version,
                        key.payload.container_id,
                        key.payload.git_commit_sha,
                        key.payload.image_tag,
                        key.payload.lang,
                        key.service,
                        key.name,
                        key.resource,
                        key.type,
                        key.span_kind,
                        key.peer_tags,
                        key.grpc_status_code,
                        key.service_source,
                        key.http_status_code,
                        key.synthetics,
                        key.is_trace_root,
                        key.payload_hash};
  }
  GroupKey Owned() const {
    GroupKey key;
    key.payload =
        PayloadKey{std::string(env),          std::string(hostname),       std::string(version),
                   std::string(container_id), std::string(git_commit_sha), std::string(image_tag),
                   std::string(lang)};
    key.service = service;
    key.name = name;
    key.resource = resource;
    key.type = type;
    key.span_kind = span_kind;
    key.peer_tags = peer_tags;
    key.grpc_status_code = grpc_status_code;
    key.service_source = service_source;
    key.http_status_code = http_status_code;
    key.synthetics = synthetics;
    key.is_trace_root = is_trace_root;
    key.payload_hash = payload_hash;
    return key;
  }
  // The payload hash first: keys of different payloads differ there at once.
  auto Values() const {
    return std::make_tuple(payload_hash, env, hostname, version, container_id, git_commit_sha,
                           image_tag, lang, service, name, resource, type, span_kind, peer_tags,
                           grpc_status_code, service_source, http_status_code, synthetics,
                           is_trace_root);
  }
};

// This Abseil is built with its own string_view type: it hashes std::string_view through
// std::hash (an out-of-line call per field), absl::string_view with its own inlined mixing.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The hash of a key's PayloadKey fields, the same for every span of a chunk: Concentrator::Add
// computes it once per chunk and the group key hash starts from it.
size_t PayloadHash(std::string_view env, std::string_view hostname, std::string_view version,
                   std::string_view container_id, std::string_view git_commit_sha,
                   std::string_view image_tag, std::string_view lang) {
  const auto fields =
      std::make_tuple(AbslView(env), AbslView(hostname), AbslView(version), AbslView(container_id),
                      AbslView(git_commit_sha), AbslView(image_tag), AbslView(lang));
  return absl::Hash<decltype(fields)>{}(fields);
}

struct GroupKeyHash {
  using is_transparent = void;
  // The payload fields enter through their precomputed hash, so that hashing a span's key reads
  // only its own fields.
  size_t operator()(const GroupKeyView& key) const {
    const auto fields = std::make_tuple(
        key.payload_hash, AbslView(key.service), AbslView(key.name), AbslView(key.resource),
        AbslView(key.type), AbslView(key.span_kind), AbslView(key.peer_tags),
        AbslView(key.grpc_status_code), AbslView(key.service_source), key.http_status_code,
        key.synthetics, key.is_trace_root);
    return absl::Hash<decltype(fields)>{}(fields);
  }
  size_t operator()(const GroupKey& key) const { return (*this)(GroupKeyView::Of(key)); }
};

struct GroupKeyEq {
  using is_transparent = void;
  static GroupKeyView View(const GroupKeyView& key) { return key; }
  static GroupKeyView View(const GroupKey& key) { return GroupKeyView::Of(key); }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return View(a).Values() == View(b).Values();
  }
};

struct GroupStats {
  // Weighted sums stay floating point until export, as in the agent.
  double hits = 0;
  double top_level_hits = 0;
  double errors = 0;
  double duration = 0;
  StatsSketch ok;
  StatsSketch error;
  std::vector<std::string> peer_tags;
};

}  // namespace

// What every span of one chunk shares in its group key and weight, resolved once per chunk.
struct Concentrator::ChunkKey {
  std::string_view env, hostname, version, container_id, git_commit_sha, image_tag, lang;
  size_t payload_hash = 0;
  bool synthetics = false;
  double weight = 1;
};

struct Concentrator::Bucket {
  absl::flat_hash_map<GroupKey, GroupStats, GroupKeyHash, GroupKeyEq> groups;
};

// Which of the keys AddSpan reads a meta or metrics key is, answered mostly without hashing the
// key: 256 slots chosen by its length and first and last bytes, each listing the few keys that
// share it, so nearly every key a span carries is refused by one empty slot. AddSpan walks each
// map once with it instead of ~16 Map::find calls, each of which hashed its key out of line.
class Concentrator::KeyIndex {
 public:
  struct Roles {
    int8_t meta = -1;    // MetaField, or -1
    int8_t metric = -1;  // MetricField, or -1
    bool peer = false;   // a configured peer tag key
  };

  void AddMeta(std::string_view key, MetaField field) { RolesOf(key).meta = field; }
  void AddMetric(std::string_view key, MetricField field) { RolesOf(key).metric = field; }
  void AddPeer(std::string_view key) { RolesOf(key).peer = true; }

  const Roles* Find(std::string_view key) const {
    for (const Entry& entry : slots_[Slot(key)]) {
      if (entry.key == key) {
        return &entry.roles;
      }
    }
    return nullptr;
  }

 private:
  struct Entry {
    std::string key;
    Roles roles;
  };

  static size_t Slot(std::string_view key) {
    if (key.empty()) {
      return 0;
    }
    return (key.size() * 37 + static_cast<uint8_t>(key.front()) * 11 +
            static_cast<uint8_t>(key.back())) %
           kSlots;
  }
  Roles& RolesOf(std::string_view key) {
    std::vector<Entry>& slot = slots_[Slot(key)];
    for (Entry& entry : slot) {
      if (entry.key == key) {
        return entry.roles;
      }
    }
    return slot.emplace_back(Entry{std::string(key), Roles{}}).roles;
  }

  static constexpr size_t kSlots = 256;
  std::array<std::vector<Entry>, kSlots> slots_;
};

Concentrator::Concentrator(ConcentratorConfig config, const common::Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      bucket_ns_(std::max<int64_t>(1, config_.bucket_size.count())),
      rng_(std::random_device{}()) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.SystemNow().time_since_epoch())
          .count();
  // At start only the current bucket accepts old spans, so a restart cannot reopen a bucket
  // that was already sent.
  oldest_ts_ = now - now % bucket_ns_;
  peer_tag_keys_ = config_.peer_tag_keys.empty() ? DefaultPeerTagKeys() : config_.peer_tag_keys;
  std::sort(peer_tag_keys_.begin(), peer_tag_keys_.end());
  peer_tag_keys_.erase(std::unique(peer_tag_keys_.begin(), peer_tag_keys_.end()),
                       peer_tag_keys_.end());
  key_index_ = std::make_unique<KeyIndex>();
  for (const std::string& key : peer_tag_keys_) {
    key_index_->AddPeer(key);
  }
  key_index_->AddMeta("span.kind", kSpanKindMeta);
  key_index_->AddMeta("_dd.base_service", kBaseServiceMeta);
  key_index_->AddMeta(kHttpStatusCodeKey, kHttpStatusCodeMeta);
  key_index_->AddMeta("_dd.svc_src", kServiceSourceMeta);
  key_index_->AddMetric("_top_level", kTopLevelMetric);
  key_index_->AddMetric("_dd.top_level", kTracerTopLevelMetric);
  key_index_->AddMetric("_dd.measured", kMeasuredMetric);
  key_index_->AddMetric("_dd.partial_version", kPartialVersionMetric);
  key_index_->AddMetric(kHttpStatusCodeKey, kHttpStatusCodeMetric);
  for (size_t i = 0; i < kGrpcStatusKeys.size(); ++i) {
    key_index_->AddMeta(kGrpcStatusKeys[i], static_cast<MetaField>(kGrpcMeta0 + i));
    key_index_->AddMetric(kGrpcStatusKeys[i], static_cast<MetricField>(kGrpcMetric0 + i));
  }
}

Concentrator::~Concentrator() = default;

void Concentrator::Add(const StatsInput& input) {
  if (input.chunk == nullptr) {
    return;
  }
  const TraceChunk& chunk = *input.chunk;
  const Span* root = input.root_index < static_cast<size_t>(chunk.spans_size())
                         ? &chunk.spans(static_cast<int>(input.root_index))
                         : nullptr;
  ChunkKey key;
  key.env = input.env.empty() ? std::string_view(config_.agent_env) : input.env;
  key.hostname = input.hostname.empty() ? std::string_view(config_.agent_hostname) : input.hostname;
  key.version = input.version;
  if (config_.include_container_id) {
    key.container_id = input.container_id;
  }
  key.git_commit_sha = input.git_commit_sha;
  key.image_tag = input.image_tag;
  key.lang = input.lang;
  key.payload_hash = PayloadHash(key.env, key.hostname, key.version, key.container_id,
                                 key.git_commit_sha, key.image_tag, key.lang);
  key.synthetics = chunk.origin().starts_with("synthetics");
  key.weight = Weight(root);
  for (const Span& span : chunk.spans()) {
    AddSpan(span, key);
  }
}

void Concentrator::AddSpan(const Span& span, const ChunkKey& chunk_key) {
  SpanFields fields;
  for (const auto& [key, value] : span.metrics()) {
    if (const KeyIndex::Roles* roles = key_index_->Find(key);
        roles != nullptr && roles->metric >= 0) {
      fields.metrics[roles->metric] = &value;
    }
  }
  const bool top_level =
      fields.MetricIs(kTopLevelMetric, 1) || fields.MetricIs(kTracerTopLevelMetric, 1);
  if (!top_level && !fields.MetricIs(kMeasuredMetric, 1)) {
    // Only its kind can still make the span count: one lookup rejects most such spans (children
    // inside a service) before the walk of its meta below.
    if (!config_.compute_stats_by_span_kind || !IsEligibleSpanKind(MetaOr(span, "span.kind"))) {
      return;
    }
  }
  if (const double* partial = fields.metrics[kPartialVersionMetric];
      partial != nullptr && *partial >= 0) {
    return;  // A long-running span's snapshot; the finished span counts later.
  }
  for (const auto& [key, value] : span.meta()) {
    const KeyIndex::Roles* roles = key_index_->Find(key);
    if (roles == nullptr) {
      continue;
    }
    if (roles->meta >= 0) {
      fields.meta[roles->meta] = value;
    }
    if (roles->peer && !value.empty()) {
      fields.peers.emplace_back(key, value);
    }
  }
  const std::string_view span_kind = fields.meta[kSpanKindMeta];
  int64_t end = 0;
  if (__builtin_add_overflow(span.start(), span.duration(), &end)) {
    end = span.start();
  }
  int64_t bucket_start = end - end % bucket_ns_;
  if (end < 0 && end % bucket_ns_ != 0) {
    bucket_start -= bucket_ns_;
  }
  bucket_start = std::max(bucket_start, oldest_ts_);

  // The group key holds the tags joined, each ended by '\0'; the list itself is built only for a
  // new group. The buffer is reused so that a span with peer tags allocates nothing here.
  joined_peer_tags_.clear();
  ForEachPeerTag(span_kind, fields, [this](std::string_view tag_key, const std::string& value) {
    joined_peer_tags_.append(tag_key).append(1, ':').append(value).append(1, '\0');
  });
  const std::string grpc_status_code = GrpcStatusCode(fields);
  GroupKeyView key;
  key.env = chunk_key.env;
  key.hostname = chunk_key.hostname;
  key.version = chunk_key.version;
  key.container_id = chunk_key.container_id;
  key.git_commit_sha = chunk_key.git_commit_sha;
  key.image_tag = chunk_key.image_tag;
  key.lang = chunk_key.lang;
  key.payload_hash = chunk_key.payload_hash;
  key.service = span.service();
  key.name = span.name();
  key.resource = span.resource();
  key.type = span.type();
  key.span_kind = span_kind;
  key.http_status_code = StatusCode(fields);
  key.synthetics = chunk_key.synthetics;
  key.is_trace_root = span.parentid() == 0 ? TraceRootFlag::kTrue : TraceRootFlag::kFalse;
  key.peer_tags = joined_peer_tags_;
  key.grpc_status_code = grpc_status_code;
  key.service_source = fields.meta[kServiceSourceMeta];

  std::unique_ptr<Bucket>& bucket = buckets_[bucket_start];
  if (bucket == nullptr) {
    bucket = std::make_unique<Bucket>();
  }
  auto it = bucket->groups.find(key);
  if (it == bucket->groups.end()) {
    if (bucket->groups.size() >= config_.max_groups_per_bucket) {
      ++counters_.spans_dropped;
      return;
    }
    it = bucket->groups.emplace(key.Owned(), GroupStats{}).first;
    std::vector<std::string>& peer_tags = it->second.peer_tags;
    ForEachPeerTag(span_kind, fields,
                   [&peer_tags](std::string_view tag_key, const std::string& value) {
                     peer_tags.push_back(std::string(tag_key) + ":" + value);
                   });
  }
  const double weight = chunk_key.weight;
  GroupStats& stats = it->second;
  stats.hits += weight;
  if (top_level) {
    stats.top_level_hits += weight;
  }
  // The sketches are unweighted, as in the agent: they describe the latency shape.
  const double sketch_value = TruncateDurationForSketch(span.duration());
  if (span.error() != 0) {
    stats.errors += weight;
    stats.error.Add(sketch_value);
  } else {
    stats.ok.Add(sketch_value);
  }
  stats.duration += static_cast<double>(span.duration()) * weight;
  ++counters_.spans_counted;
}

std::optional<StatsPayload> Concentrator::Flush(bool force) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.SystemNow().time_since_epoch())
          .count();
  // Stochastic rounding keeps weighted counts unbiased across flushes.
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto round = [&](double value) -> uint64_t {
    if (!(value > 0)) {
      return 0;
    }
    if (value >= 18446744073709549568.0) {
      return UINT64_MAX;
    }
    auto whole = static_cast<uint64_t>(value);
    if (uniform(rng_) < value - static_cast<double>(whole)) {
      ++whole;
    }
    return whole;
  };

  std::map<PayloadKey, std::vector<ClientStatsBucket>> by_payload;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const int64_t start = it->first;
    if (!force && start > now - kBufferLen * bucket_ns_) {
      ++it;
      continue;
    }
    // Deterministic group order within the bucket.
    std::vector<std::pair<const GroupKey*, const GroupStats*>> groups;
    groups.reserve(it->second->groups.size());
    for (const auto& [key, stats] : it->second->groups) {
      groups.emplace_back(&key, &stats);
    }
    std::sort(groups.begin(), groups.end(),
              [](const auto& a, const auto& b) { return *a.first < *b.first; });
    for (const auto& [key, stats] : groups) {
      std::vector<ClientStatsBucket>& out_buckets = by_payload[key->payload];
      if (out_buckets.empty() || out_buckets.back().start != static_cast<uint64_t>(start)) {
        ClientStatsBucket& bucket = out_buckets.emplace_back();
        bucket.start = static_cast<uint64_t>(start);
        bucket.duration = static_cast<uint64_t>(bucket_ns_);
      }
      ClientGroupedStats& group = out_buckets.back().stats.emplace_back();
      group.service = key->service;
      group.name = key->name;
      group.resource = key->resource;
      group.http_status_code = key->http_status_code;
      group.type = key->type;
      group.hits = round(stats->hits);
      group.errors = round(stats->errors);
      group.duration = round(stats->duration);
      group.top_level_hits = round(stats->top_level_hits);
      group.ok_summary = stats->ok.Serialize();
      group.error_summary = stats->error.Serialize();
      group.synthetics = key->synthetics;
      group.span_kind = key->span_kind;
      group.peer_tags = stats->peer_tags;
      group.is_trace_root = key->is_trace_root;
      group.grpc_status_code = key->grpc_status_code;
      group.service_source = key->service_source;
    }
    it = buckets_.erase(it);
  }
  // Spans ending before the open window now count in its oldest bucket, never in a sent one.
  const int64_t new_oldest = now - now % bucket_ns_ - (kBufferLen - 1) * bucket_ns_;
  oldest_ts_ = std::max(oldest_ts_, new_oldest);

  if (by_payload.empty()) {
    return std::nullopt;
  }
  StatsPayload payload;
  payload.agent_hostname = config_.agent_hostname;
  payload.agent_env = config_.agent_env;
  payload.agent_version = config_.agent_version;
  for (auto& [key, buckets] : by_payload) {
    ClientStatsPayload& client = payload.stats.emplace_back();
    client.env = key.env;
    client.hostname = key.hostname;
    client.version = key.version;
    client.container_id = key.container_id;
    client.git_commit_sha = key.git_commit_sha;
    client.image_tag = key.image_tag;
    client.lang = key.lang;
    client.stats = std::move(buckets);
  }
  return payload;
}

}  // namespace sidecar::apm
