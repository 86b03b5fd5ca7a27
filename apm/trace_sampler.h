// The sampling decision for one chunk (apm.md §4, Agent `runSamplers` + single span sampling).
// In order, the first that applies decides:
//
//   1. Error Tracking Standalone (config): keep only chunks with an error or an exception span
//      event, through the errors sampler; nothing else runs (no single span sampling either).
//   2. Rare sampler (config, default off) looks at every chunk so it learns which shapes are
//      common; its verdict is used in 3 or 5.
//   3. Probabilistic sampler (config): rare, else a hash of the trace id against a fixed
//      percentage, else the errors sampler; the chunk priority is rewritten to 1/0.
//   4. User drop: priority < 0 is dropped.
//   5. Rare: a top-level or measured span shape unseen for 5 min in its (env, service).
//   6. Priority sampler (priority set) or no-priority score sampler (no priority).
//   7. Errors score sampler for chunks with a span error != 0.
//   8. Single span sampling for chunks still dropped: spans carrying
//      `_dd.span_sampling.mechanism` survive in a priority-2 chunk.
//
// Legacy analytics events (`_dd1.sr.eausr`, max_eps) are not extracted.
//
//   TraceSampler sampler(config, clock);
//   SamplingDecision d = sampler.Sample(chunk, root_index, payload_env, dropped_p0s / n_chunks);
//   if (!d.keep) { /* remove the chunk from the payload */ }
//   auto rates = sampler.CurrentRates();   // any thread: body for the HTTP response
//
// Sample() must be called from one thread at a time; CurrentRates() from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "agent/common/clock.h"
#include "apm/priority_sampler.h"
#include "apm/sampler_config.h"
#include "apm/score_sampler.h"
#include "apm/trace_types.h"

namespace sidecar::apm {

// Sampler names for counters (the Agent's `sampler:` tag values, plus ours for the tail).
inline constexpr std::string_view kMechanismPriority = "priority";
inline constexpr std::string_view kMechanismNoPriority = "no_priority";
inline constexpr std::string_view kMechanismError = "error";
inline constexpr std::string_view kMechanismProbabilistic = "probabilistic";
inline constexpr std::string_view kMechanismRare = "rare";
inline constexpr std::string_view kMechanismSingleSpan = "single_span";
inline constexpr std::string_view kMechanismInvalid = "invalid";

struct SamplingDecision {
  bool keep = false;
  // Which sampler decided (one of the kMechanism* constants; static storage).
  std::string_view mechanism;
};

// FNV-1a 32 over the 4-byte little-endian seed and 16 bytes holding the trace id's low 64 bits
// big-endian then 8 zero bytes; the chunk is kept iff (hash & 0x3FFF) < percentage × 163.84.
class ProbabilisticSampler {
 public:
  ProbabilisticSampler(double percentage, uint32_t seed);
  static uint32_t Hash(uint32_t seed, uint64_t trace_id);
  // On keep sets root metric `_dd.prob_sr` = percentage / 100.
  bool Sample(Span& root) const;

 private:
  uint32_t seed_;
  uint32_t scaled_percentage_;
  double rate_;
};

// The rare sampler (Agent `RareSampler`): per (env, service) shard, remembers the shapes
// (service, name, resource, error, http.status_code, error.type) of top-level and measured spans.
// Shapes of priority > 0 chunks are remembered for 10 min (the tracer already keeps them); an
// unseen or expired shape in another chunk keeps it if the token bucket allows, marks that span
// `_dd.rare=1` and remembers the chunk's shapes for 5 min. Each shard holds at most 200 shapes
// (beyond that shapes fold modulo 200); shards are capped at 5000 (new ones are not sampled).
class RareSampler {
 public:
  struct Options {
    double tps = 5;
    double burst = 50;
    std::chrono::nanoseconds ttl = std::chrono::minutes(5);
    std::chrono::nanoseconds priority_ttl = std::chrono::minutes(10);
    size_t cardinality = 200;
    size_t max_shards = kMaxCatalogEntries;
  };

  RareSampler() : RareSampler(Options{}) {}
  explicit RareSampler(Options options);

  bool Sample(std::chrono::steady_clock::time_point now, TraceChunk& chunk, std::string_view env);

  size_t ShardCount() const { return shards_.size(); }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Shard {
    absl::flat_hash_map<uint32_t, TimePoint> expires;
    bool shrunk = false;  // shapes fold modulo `cardinality` from now on
  };

  Shard* FindShard(std::string_view env, const Span& span);
  uint32_t Sign(const Shard& shard, const Span& span) const;
  void Remember(Shard& shard, TimePoint expire, const Span& span);
  void RememberChunk(TimePoint expire, const TraceChunk& chunk, std::string_view env);
  bool TakeToken(TimePoint now);

  Options options_;
  absl::flat_hash_map<Signature, Shard> shards_;
  double tokens_;
  TimePoint last_refill_{};
  bool bucket_started_ = false;
};

class TraceSampler {
 public:
  using RatesResponse = apm::RatesResponse;

  TraceSampler(SamplerConfig config, const common::Clock& clock);

  // Runs §4 on one normalized chunk (root = chunk.spans(root_index)); `env` = the payload env.
  // Mutates the chunk as the Agent does (droppedTrace, single-span-sampling shrink, priority,
  // `_dd.p.dm`, `_sampling_priority_rate_v1`, `_dd.errors_sr`, `_dd.no_p_sr`, `_dd.prob_sr`,
  // `_dd.rare`).
  // `client_dropped_p0_weight` = ClientDroppedP0s / number of chunks of the payload.
  // keep=false: the chunk must not be uploaded (its spans are left in place for the caller).
  SamplingDecision Sample(TraceChunk& chunk, size_t root_index, std::string_view env,
                          double client_dropped_p0_weight);

  // The /v0.4+/traces response body and version (§1.5, R17); thread-safe, never null.
  std::shared_ptr<const RatesResponse> CurrentRates() const { return priority_.CurrentRates(); }

  const PrioritySampler& Priority() const { return priority_; }

 private:
  SamplingDecision RunSamplers(TraceChunk& chunk, Span& root, std::string_view env,
                               double client_dropped_p0_weight);

  SamplerConfig config_;
  const common::Clock& clock_;
  PrioritySampler priority_;
  ScoreSampler no_priority_;
  ScoreSampler errors_;
  ProbabilisticSampler probabilistic_;
  RareSampler rare_;
};

}  // namespace sidecar::apm
