#include "apm/top_level.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace sidecar::apm {
namespace {

// Chunks up to this size are searched linearly: no hashing, no allocation.
constexpr int kLinearSearchLimit = 32;

bool MetricIsOne(const Span& span, std::string_view key) {
  const auto it = span.metrics().find(key);
  return it != span.metrics().end() && it->second == 1;
}

std::optional<double> FindMetric(const Span& span, std::string_view key) {
  const auto it = span.metrics().find(key);
  if (it == span.metrics().end()) {
    return std::nullopt;
  }
  return it->second;
}

// Go's int32(float64): truncation toward zero. Go leaves NaN and out-of-range values
// platform-defined (amd64 gives math.MinInt32); we pick the same instead of C++'s UB.
int32_t PriorityFromMetric(double value) {
  if (std::isnan(value) || value <= static_cast<double>(std::numeric_limits<int32_t>::min()) - 1 ||
      value >= static_cast<double>(std::numeric_limits<int32_t>::max()) + 1) {
    return std::numeric_limits<int32_t>::min();
  }
  return static_cast<int32_t>(value);
}

void SetTopLevel(Span& span) { (*span.mutable_metrics())[kTopLevelKey] = 1; }

}  // namespace

size_t RootSpanIndex(const TraceChunk& chunk) {
  const auto& spans = chunk.spans();
  const int n = spans.size();
  if (n == 0) {
    return 0;
  }
  for (int i = n - 1; i >= 0; --i) {
    if (spans[i].parentid() == 0) {
      return static_cast<size_t>(i);
    }
  }
  if (n <= kLinearSearchLimit) {
    for (int i = 0; i < n; ++i) {
      bool parent_found = false;
      for (int j = 0; j < n && !parent_found; ++j) {
        parent_found = spans[j].spanid() == spans[i].parentid();
      }
      if (!parent_found) {
        return static_cast<size_t>(i);
      }
    }
  } else {
    absl::flat_hash_set<uint64_t> ids;
    ids.reserve(static_cast<size_t>(n));
    for (const Span& span : spans) {
      ids.insert(span.spanid());
    }
    for (int i = 0; i < n; ++i) {
      if (!ids.contains(spans[i].parentid())) {
        return static_cast<size_t>(i);
      }
    }
  }
  return static_cast<size_t>(n - 1);
}

void SetChunkAttributes(TraceChunk& chunk, const Span& root) {
  if (chunk.priority() == kPriorityNone) {
    // Older tracers put the priority on the root span, or on some span.
    std::optional<double> priority = FindMetric(root, kSamplingPriorityKey);
    for (int i = 0; !priority && i < chunk.spans_size(); ++i) {
      priority = FindMetric(chunk.spans(i), kSamplingPriorityKey);
    }
    if (priority) {
      chunk.set_priority(PriorityFromMetric(*priority));
    }
  }
  if (chunk.origin().empty()) {
    if (const auto it = root.meta().find(kOriginKey); it != root.meta().end()) {
      chunk.set_origin(it->second);
    }
  }
  if (!chunk.tags().contains(kDecisionMakerKey)) {
    for (const Span& span : chunk.spans()) {
      if (const auto it = span.meta().find(kDecisionMakerKey); it != span.meta().end()) {
        (*chunk.mutable_tags())[kDecisionMakerKey] = it->second;
        break;
      }
    }
  }
}

void ComputeTopLevel(TraceChunk& chunk) {
  auto& spans = *chunk.mutable_spans();
  const int n = spans.size();
  // With duplicate ids the last span wins, as in the Agent's id-to-index map.
  absl::flat_hash_map<uint64_t, int> index_of;
  if (n > kLinearSearchLimit) {
    index_of.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      index_of[spans[i].spanid()] = i;
    }
  }
  const auto parent_index = [&](uint64_t parent_id) -> int {
    if (n > kLinearSearchLimit) {
      const auto it = index_of.find(parent_id);
      return it == index_of.end() ? -1 : it->second;
    }
    for (int j = n - 1; j >= 0; --j) {
      if (spans[j].spanid() == parent_id) {
        return j;
      }
    }
    return -1;
  };
  for (Span& span : spans) {
    if (span.parentid() != 0) {
      const int parent = parent_index(span.parentid());
      if (parent >= 0 && spans[parent].service() == span.service()) {
        continue;
      }
    }
    SetTopLevel(span);
  }
}

void CopyClientTopLevel(TraceChunk& chunk) {
  for (Span& span : *chunk.mutable_spans()) {
    if (MetricIsOne(span, kTracerTopLevelKey)) {
      SetTopLevel(span);
    }
  }
}

bool IsTopLevel(const Span& span) {
  return MetricIsOne(span, kTopLevelKey) || MetricIsOne(span, kTracerTopLevelKey);
}

bool IsMeasured(const Span& span) { return MetricIsOne(span, kMeasuredKey); }

}  // namespace sidecar::apm
