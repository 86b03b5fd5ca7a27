#include "apm/trace_sampler.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace sidecar::apm {
namespace {

// Decision-maker value the probabilistic sampler records in the chunk's `_dd.p.dm` tag.
constexpr const char* kProbabilisticDecisionMaker = "-9";
constexpr uint32_t kProbabilisticBucketMask = 0x3FFF;  // 16384 buckets
constexpr float kPercentageScale = 16384.0f / 100.0f;

const std::string& SpanSamplingMechanismKey() {
  static const std::string key = "_dd.span_sampling.mechanism";
  return key;
}

bool IsTopLevelOrMeasured(const Span& span) {
  static const std::string top_level = "_top_level";
  static const std::string measured = "_dd.measured";
  return MetricOr(span, top_level, 0) == 1 || MetricOr(span, measured, 0) == 1;
}

bool ContainsError(const TraceChunk& chunk, bool consider_exception_events) {
  for (const Span& span : chunk.spans()) {
    if (span.error() != 0) {
      return true;
    }
    if (consider_exception_events) {
      const auto it = span.meta().find("_dd.span_events.has_exception");
      if (it != span.meta().end() && it->second == "true") {
        return true;
      }
    }
  }
  return false;
}

// Keeps only the spans a single-span-sampling rule selected. Returns false (chunk untouched) when
// there is none.
bool ApplySingleSpanSampling(TraceChunk& chunk) {
  auto& spans = *chunk.mutable_spans();
  int kept = 0;
  for (int i = 0; i < spans.size(); ++i) {
    if (HasMetric(spans.Get(i), SpanSamplingMechanismKey())) {
      if (kept != i) {
        spans.SwapElements(kept, i);
      }
      ++kept;
    }
  }
  if (kept == 0) {
    return false;
  }
  spans.DeleteSubrange(kept, spans.size() - kept);
  chunk.set_priority(kPriorityUserKeep);
  chunk.set_droppedtrace(false);
  return true;
}

}  // namespace

ProbabilisticSampler::ProbabilisticSampler(double percentage, uint32_t seed) : seed_(seed) {
  // The Agent holds the percentage as a float32 and scales it in float32; do the same so the
  // bucket threshold matches at the edges.
  const double valid = percentage >= 0 ? std::min(percentage, 100.0) : 0.0;  // NaN ⇒ 0
  const float clamped = static_cast<float>(valid);
  scaled_percentage_ = static_cast<uint32_t>(clamped * kPercentageScale);
  rate_ = static_cast<double>(clamped) / 100.0;
}

uint32_t ProbabilisticSampler::Hash(uint32_t seed, uint64_t trace_id) {
  std::array<char, 20> bytes{};
  for (size_t i = 0; i < 4; ++i) {
    bytes[i] = static_cast<char>((seed >> (8 * i)) & 0xFF);  // little-endian seed
  }
  for (size_t i = 0; i < 8; ++i) {
    bytes[4 + i] = static_cast<char>((trace_id >> (56 - 8 * i)) & 0xFF);  // big-endian id
  }
  return Fnv1a32(std::string_view(bytes.data(), bytes.size()));
}

bool ProbabilisticSampler::Sample(Span& root) const {
  const bool keep = (Hash(seed_, root.traceid()) & kProbabilisticBucketMask) < scaled_percentage_;
  if (keep) {
    (*root.mutable_metrics())["_dd.prob_sr"] = rate_;
  }
  return keep;
}

RareSampler::RareSampler(Options options) : options_(options), tokens_(options.burst) {
  options_.cardinality = std::max<size_t>(options_.cardinality, 1);
  options_.priority_ttl = std::max(options_.priority_ttl, options_.ttl);
}

bool RareSampler::TakeToken(TimePoint now) {
  if (!bucket_started_) {
    bucket_started_ = true;
    last_refill_ = now;
  }
  if (now > last_refill_) {
    const double elapsed = std::chrono::duration<double>(now - last_refill_).count();
    tokens_ = std::min(options_.burst, tokens_ + elapsed * options_.tps);
    last_refill_ = now;
  }
  if (tokens_ < 1) {
    return false;
  }
  tokens_ -= 1;
  return true;
}

RareSampler::Shard* RareSampler::FindShard(std::string_view env, const Span& span) {
  const Signature key = ComputeServiceSignature(env, span.service());
  if (auto it = shards_.find(key); it != shards_.end()) {
    return &it->second;
  }
  if (shards_.size() >= options_.max_shards) {
    return nullptr;
  }
  return &shards_[key];
}

uint32_t RareSampler::Sign(const Shard& shard, const Span& span) const {
  const uint32_t hash = ComputeSpanHash(span, "", /*with_resource=*/true);
  return shard.shrunk ? hash % static_cast<uint32_t>(options_.cardinality) : hash;
}

void RareSampler::Remember(Shard& shard, TimePoint expire, const Span& span) {
  const uint32_t sig = Sign(shard, span);
  // Renewing an entry is skipped when it would move by less than a minute (cheap hot path).
  if (auto it = shard.expires.find(sig);
      it != shard.expires.end() && expire - it->second < std::chrono::minutes(1)) {
    return;
  }
  shard.expires[sig] = expire;
  if (shard.expires.size() > options_.cardinality) {
    // A service with unbounded resources must not eat every token nor all memory.
    absl::flat_hash_map<uint32_t, TimePoint> folded;
    for (const auto& [hash, when] : shard.expires) {
      folded[hash % static_cast<uint32_t>(options_.cardinality)] = when;
    }
    shard.expires = std::move(folded);
    shard.shrunk = true;
  }
}

void RareSampler::RememberChunk(TimePoint expire, const TraceChunk& chunk, std::string_view env) {
  for (const Span& span : chunk.spans()) {
    if (!IsTopLevelOrMeasured(span)) {
      continue;
    }
    if (Shard* shard = FindShard(env, span); shard != nullptr) {
      Remember(*shard, expire, span);
    }
  }
}

bool RareSampler::Sample(TimePoint now, TraceChunk& chunk, std::string_view env) {
  if (chunk.priority() != kPriorityNone && chunk.priority() > 0) {
    RememberChunk(now + options_.priority_ttl, chunk, env);
    return false;
  }
  for (Span& span : *chunk.mutable_spans()) {
    if (!IsTopLevelOrMeasured(span)) {
      continue;
    }
    Shard* shard = FindShard(env, span);
    if (shard == nullptr) {
      continue;
    }
    const auto it = shard->expires.find(Sign(*shard, span));
    if (it != shard->expires.end() && now <= it->second) {
      continue;  // seen recently
    }
    if (!TakeToken(now)) {
      continue;
    }
    Remember(*shard, now + options_.ttl, span);
    (*span.mutable_metrics())["_dd.rare"] = 1;
    RememberChunk(now + options_.ttl, chunk, env);
    return true;
  }
  return false;
}

TraceSampler::TraceSampler(SamplerConfig config, const common::Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      priority_(config_.target_tps, config_.default_env, clock),
      no_priority_(config_.target_tps, "_dd.no_p_sr", /*disabled=*/false),
      errors_(config_.error_tps, "_dd.errors_sr", /*disabled=*/config_.error_tps == 0),
      probabilistic_(config_.probabilistic_percentage, config_.probabilistic_seed) {}

SamplingDecision TraceSampler::Sample(TraceChunk& chunk, size_t root_index, std::string_view env,
                                      double client_dropped_p0_weight) {
  if (chunk.spans_size() == 0 || root_index >= static_cast<size_t>(chunk.spans_size())) {
    return {false, kMechanismInvalid};
  }
  Span& root = *chunk.mutable_spans(static_cast<int>(root_index));
  SamplingDecision decision = RunSamplers(chunk, root, env, client_dropped_p0_weight);
  chunk.set_droppedtrace(!decision.keep);
  // Error Tracking Standalone uploads error chunks only, never single spans.
  if (!decision.keep && !config_.error_tracking_standalone && ApplySingleSpanSampling(chunk)) {
    return {true, kMechanismSingleSpan};
  }
  return decision;
}

SamplingDecision TraceSampler::RunSamplers(TraceChunk& chunk, Span& root, std::string_view env,
                                           double client_dropped_p0_weight) {
  const auto now = clock_.SteadyNow();
  if (config_.error_tracking_standalone) {
    if (!ContainsError(chunk, /*consider_exception_events=*/true)) {
      return {false, kMechanismError};
    }
    (*chunk.mutable_tags())["_dd.error_tracking_standalone.error"] = "true";
    return {errors_.Sample(now, chunk, root, env), kMechanismError};
  }

  // Every chunk teaches the rare sampler which shapes are common, whoever decides.
  const bool rare = config_.rare_sampler_enabled && rare_.Sample(now, chunk, env);

  if (config_.probabilistic_enabled) {
    SamplingDecision decision{false, kMechanismProbabilistic};
    if (rare) {
      decision = {true, kMechanismRare};
    } else if (probabilistic_.Sample(root)) {
      (*chunk.mutable_tags())["_dd.p.dm"] = kProbabilisticDecisionMaker;
      decision.keep = true;
    } else if (ContainsError(chunk, /*consider_exception_events=*/false)) {
      decision = {errors_.Sample(now, chunk, root, env), kMechanismError};
    }
    chunk.set_priority(decision.keep ? kPriorityAutoKeep : kPriorityAutoDrop);
    return decision;
  }

  const int32_t priority = chunk.priority();
  const bool has_priority = priority != kPriorityNone;
  if (has_priority && priority < 0) {
    return {false, kMechanismPriority};  // user drop
  }
  if (rare) {
    return {true, kMechanismRare};
  }
  if (has_priority) {
    if (priority_.Sample(now, chunk, root, env, client_dropped_p0_weight)) {
      return {true, kMechanismPriority};
    }
  } else if (no_priority_.Sample(now, chunk, root, env)) {
    return {true, kMechanismNoPriority};
  }

  if (ContainsError(chunk, /*consider_exception_events=*/false)) {
    return {errors_.Sample(now, chunk, root, env), kMechanismError};
  }
  return {false, has_priority ? kMechanismPriority : kMechanismNoPriority};
}

}  // namespace sidecar::apm
