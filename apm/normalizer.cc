#include "apm/normalizer.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "apm/normalize_tag.h"

namespace sidecar::apm {
namespace {

constexpr std::string_view kTraceIdHighKey = "_dd.p.tid";
constexpr std::string_view kPeerServiceKey = "peer.service";
constexpr std::string_view kBaseServiceKey = "_dd.base_service";
constexpr std::string_view kEnvKey = "env";
constexpr std::string_view kHttpStatusCodeKey = "http.status_code";
constexpr std::string_view kLinkNameKey = "link.name";
constexpr std::string_view kTruncationSuffix = "...";
// Up to this many spans, duplicate ids are found by scanning earlier spans instead of hashing.
constexpr int kLinearDuplicateScanLimit = 32;

// Go's int64 arithmetic wraps; the Agent's overflow checks rely on it, so we reproduce it without
// signed overflow (C++20 defines the unsigned-to-signed conversion as modular).
int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

const std::string* FindMeta(const Span& span, std::string_view key) {
  const auto it = span.meta().find(key);
  return it == span.meta().end() ? nullptr : &it->second;
}

// The Agent's traceutil.SameTraceID: low 64 bits equal, and the high 64 bits equal when both
// spans carry them (tracers put `_dd.p.tid` on the first span of a chunk only).
bool SameTraceId(const Span& span, const Span& first, const std::string* first_high) {
  if (span.traceid() != first.traceid()) {
    return false;
  }
  if (first_high == nullptr) {
    return true;
  }
  const std::string* high = FindMeta(span, kTraceIdHighKey);
  return high == nullptr || *high == *first_high;
}

// strconv.ParseUint(code, 10, 64) succeeds and the value is in [100, 600).
bool IsValidStatusCode(std::string_view code) {
  if (code.empty()) {
    return false;
  }
  uint64_t value = 0;
  for (const char c : code) {
    if (c < '0' || c > '9') {
      return false;
    }
    // Saturate: any value past 600 is invalid, so the exact overflow point does not matter.
    value = std::min<uint64_t>(value * 10 + static_cast<uint64_t>(c - '0'), 1000);
  }
  return value >= 100 && value < 600;
}

void CountServiceResult(NormalizeResult result, MalformedReason too_long, MalformedReason invalid,
                        NormalizeCounters& counters) {
  if (result == NormalizeResult::kTooLong) {
    counters.Add(too_long);
  } else if (result == NormalizeResult::kInvalid) {
    counters.Add(invalid);
  }
}

bool IsStructuredMetaKey(std::string_view key) {
  return key.starts_with("_dd.") &&
         (key.ends_with(".json") || key.ends_with(".msgpack") || key.ends_with(".protobuf"));
}

std::string TruncatedWithSuffix(std::string_view s, size_t max_bytes) {
  std::string out(TruncateUtf8(s, max_bytes));
  out.append(kTruncationSuffix);
  return out;
}

void TruncateMeta(google::protobuf::Map<std::string, std::string>& meta) {
  const auto needs_work = [](const std::string& key, const std::string& value) {
    return (key.size() > kMaxMetaKeyLen || value.size() > kMaxMetaValueLen) &&
           !IsStructuredMetaKey(key);
  };
  // Keys are collected first: inserting into a protobuf Map while iterating it is not allowed.
  std::vector<std::string> keys;
  for (const auto& [key, value] : meta) {
    if (needs_work(key, value)) {
      keys.push_back(key);
    }
  }
  for (const std::string& key : keys) {
    const auto it = meta.find(key);
    if (it == meta.end()) {
      continue;  // replaced by an earlier truncated key
    }
    if (it->second.size() > kMaxMetaValueLen) {
      it->second = TruncatedWithSuffix(it->second, kMaxMetaValueLen);
    }
    if (key.size() > kMaxMetaKeyLen) {
      std::string value = std::move(it->second);
      meta.erase(it);
      meta[TruncatedWithSuffix(key, kMaxMetaKeyLen)] = std::move(value);
    }
  }
}

void TruncateMetrics(google::protobuf::Map<std::string, double>& metrics) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : metrics) {
    if (key.size() > kMaxMetaKeyLen) {
      keys.push_back(key);
    }
  }
  for (const std::string& key : keys) {
    const auto it = metrics.find(key);
    if (it == metrics.end()) {
      continue;
    }
    const double value = it->second;
    metrics.erase(it);
    metrics[TruncatedWithSuffix(key, kMaxMetaKeyLen)] = value;
  }
}

}  // namespace

std::string_view ChunkDropReasonName(ChunkDropReason reason) {
  switch (reason) {
    case ChunkDropReason::kNone:
      return "";
    case ChunkDropReason::kEmptyTrace:
      return "empty_trace";
    case ChunkDropReason::kTraceIdZero:
      return "trace_id_zero";
    case ChunkDropReason::kSpanIdZero:
      return "span_id_zero";
    case ChunkDropReason::kForeignSpan:
      return "foreign_span";
  }
  return "";
}

std::string_view MalformedReasonName(MalformedReason reason) {
  switch (reason) {
    case MalformedReason::kServiceEmpty:
      return "service_empty";
    case MalformedReason::kServiceTruncate:
      return "service_truncate";
    case MalformedReason::kServiceInvalid:
      return "service_invalid";
    case MalformedReason::kPeerServiceTruncate:
      return "peer_service_truncate";
    case MalformedReason::kPeerServiceInvalid:
      return "peer_service_invalid";
    case MalformedReason::kBaseServiceTruncate:
      return "base_service_truncate";
    case MalformedReason::kBaseServiceInvalid:
      return "base_service_invalid";
    case MalformedReason::kSpanNameEmpty:
      return "span_name_empty";
    case MalformedReason::kSpanNameTruncate:
      return "span_name_truncate";
    case MalformedReason::kSpanNameInvalid:
      return "span_name_invalid";
    case MalformedReason::kResourceEmpty:
      return "resource_empty";
    case MalformedReason::kTypeTruncate:
      return "type_truncate";
    case MalformedReason::kInvalidStartDate:
      return "invalid_start_date";
    case MalformedReason::kInvalidDuration:
      return "invalid_duration";
    case MalformedReason::kInvalidHttpStatusCode:
      return "invalid_http_status_code";
    case MalformedReason::kDuplicateSpanId:
      return "duplicate_span_id";
  }
  return "";
}

Normalizer::Normalizer(const common::Clock& clock) : clock_(clock) {}

ChunkDropReason Normalizer::NormalizeChunk(TraceChunk& chunk, std::string_view lang,
                                           NormalizeCounters& counters) const {
  auto& spans = *chunk.mutable_spans();
  if (spans.empty()) {
    return ChunkDropReason::kEmptyTrace;
  }
  const Span& first = spans[0];
  const std::string* first_high = FindMeta(first, kTraceIdHighKey);
  const int n = spans.size();
  absl::flat_hash_set<uint64_t> seen;
  if (n > kLinearDuplicateScanLimit) {
    seen.reserve(static_cast<size_t>(n));
  }
  for (int i = 0; i < n; ++i) {
    Span& span = spans[i];
    if (!SameTraceId(span, first, first_high)) {
      return ChunkDropReason::kForeignSpan;
    }
    if (span.traceid() == 0) {
      return ChunkDropReason::kTraceIdZero;
    }
    if (span.spanid() == 0) {
      return ChunkDropReason::kSpanIdZero;
    }
    NormalizeSpan(span, lang, counters);
    bool duplicate = false;
    if (n > kLinearDuplicateScanLimit) {
      duplicate = !seen.insert(span.spanid()).second;
    } else {
      for (int j = 0; j < i && !duplicate; ++j) {
        duplicate = spans[j].spanid() == span.spanid();
      }
    }
    if (duplicate) {
      counters.Add(MalformedReason::kDuplicateSpanId);
    }
  }
  return ChunkDropReason::kNone;
}

void Normalizer::NormalizeSpan(Span& span, std::string_view lang,
                               NormalizeCounters& counters) const {
  switch (NormalizeServiceInPlace(*span.mutable_service(), lang)) {
    case NormalizeResult::kOk:
      break;
    case NormalizeResult::kEmpty:
      counters.Add(MalformedReason::kServiceEmpty);
      break;
    case NormalizeResult::kTooLong:
      counters.Add(MalformedReason::kServiceTruncate);
      break;
    case NormalizeResult::kInvalid:
      counters.Add(MalformedReason::kServiceInvalid);
      break;
  }

  auto& meta = *span.mutable_meta();
  if (const auto it = meta.find(kPeerServiceKey); it != meta.end() && !it->second.empty()) {
    CountServiceResult(NormalizePeerServiceInPlace(it->second),
                       MalformedReason::kPeerServiceTruncate, MalformedReason::kPeerServiceInvalid,
                       counters);
  }
  if (const auto it = meta.find(kBaseServiceKey); it != meta.end() && !it->second.empty()) {
    CountServiceResult(NormalizePeerServiceInPlace(it->second),
                       MalformedReason::kBaseServiceTruncate, MalformedReason::kBaseServiceInvalid,
                       counters);
  }

  switch (NormalizeNameInPlace(*span.mutable_name())) {
    case NormalizeResult::kOk:
      break;
    case NormalizeResult::kEmpty:
      counters.Add(MalformedReason::kSpanNameEmpty);
      break;
    case NormalizeResult::kTooLong:
      counters.Add(MalformedReason::kSpanNameTruncate);
      break;
    case NormalizeResult::kInvalid:
      counters.Add(MalformedReason::kSpanNameInvalid);
      break;
  }

  if (span.resource().empty()) {
    counters.Add(MalformedReason::kResourceEmpty);
    span.set_resource(span.name());
  }

  // Zipkin-style roots carry their own id as parent.
  if (span.parentid() == span.traceid() && span.parentid() == span.spanid()) {
    span.set_parentid(0);
  }

  // A negative duration, or one that overflows start + duration (with Go's wrapping arithmetic,
  // so any span with a negative start), becomes 0.
  if (span.duration() < 0 ||
      span.duration() > WrappingSub(std::numeric_limits<int64_t>::max(), span.start())) {
    counters.Add(MalformedReason::kInvalidDuration);
    span.set_duration(0);
  }

  if (span.start() < kYear2000Nanos) {
    counters.Add(MalformedReason::kInvalidStartDate);
    const int64_t now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.SystemNow().time_since_epoch())
            .count();
    const int64_t start = WrappingSub(now, span.duration());
    span.set_start(start < 0 ? now : start);
  }

  if (span.type().size() > kMaxTypeLen) {
    counters.Add(MalformedReason::kTypeTruncate);
    span.mutable_type()->resize(TruncateUtf8(span.type(), kMaxTypeLen).size());
  }

  if (const auto it = meta.find(kEnvKey); it != meta.end() && !it->second.empty()) {
    NormalizeTagValueInPlace(it->second);
  }

  if (const auto it = meta.find(kHttpStatusCodeKey); it != meta.end()) {
    if (!IsValidStatusCode(it->second)) {
      counters.Add(MalformedReason::kInvalidHttpStatusCode);
      meta.erase(it);
    }
  }

  for (auto& link : *span.mutable_spanlinks()) {
    auto& attributes = *link.mutable_attributes();
    if (const auto it = attributes.find(kLinkNameKey); it != attributes.end()) {
      NormalizeNameInPlace(it->second);
    }
  }
}

void TruncateSpan(Span& span, size_t max_resource_len) {
  if (span.resource().size() > max_resource_len) {
    span.mutable_resource()->resize(TruncateUtf8(span.resource(), max_resource_len).size());
  }
  const auto meta_needs_work = [&span] {
    for (const auto& [key, value] : span.meta()) {
      if (key.size() > kMaxMetaKeyLen || value.size() > kMaxMetaValueLen) {
        return true;
      }
    }
    return false;
  };
  if (meta_needs_work()) {
    TruncateMeta(*span.mutable_meta());
  }
  for (const auto& [key, value] : span.metrics()) {
    if (key.size() > kMaxMetaKeyLen) {
      TruncateMetrics(*span.mutable_metrics());
      break;
    }
  }
}

}  // namespace sidecar::apm
