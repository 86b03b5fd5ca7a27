// The shared core of the trace-agent samplers (apm.md §4, "Rate computation"):
//
//   CoreSampler     counts weighted chunks per signature in 6 rotating buckets of 5 s and, on each
//                   rotation, turns the busiest bucket of the 30 s window into a keep rate that
//                   spreads `target_tps` over the signatures (increase capped ×1.2 per rotation).
//   ScoreSampler    the no-priority and errors samplers: a trace signature (root + span shapes),
//                   a rate from CoreSampler, a keep decision from the trace id, a root metric.
//
// The priority sampler (priority_sampler.h) reuses CoreSampler with (service, env) signatures.
// Time is passed in (a monotonic time point); nothing here reads a clock. Not thread-safe: one
// TraceSampler owns these and calls them from one thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "apm/trace_types.h"

namespace sidecar::apm {

// A 32-bit FNV-1a hash widened to 64 bits, as the Agent stores it.
using Signature = uint64_t;

inline constexpr uint32_t kFnv32Offset = 2166136261u;
inline constexpr uint32_t kFnv32Prime = 16777619u;

// FNV-1a 32 continued from `hash` over `data`.
uint32_t Fnv1a32(std::string_view data, uint32_t hash = kFnv32Offset);

// Hash of one span's shape: FNV-1a 32 over env, service, name, the error flag as one byte, the
// resource (if asked), and the meta http.status_code and error.type when present.
uint32_t ComputeSpanHash(const Span& span, std::string_view env, bool with_resource);

// Signature of a chunk for the score samplers: the root's (env, service, name, error, resource,
// http.status_code, error.type) combined with the set of every span's shape (the same without
// resource). Spans with identical shapes count once, so a chunk's size does not change it.
Signature ComputeTraceSignature(const TraceChunk& chunk, const Span& root, std::string_view env);

// Signature of a (service, env) pair for the priority sampler.
Signature ComputeServiceSignature(std::string_view service, std::string_view env);

// Deterministic keep decision shared by every agent and tracer: the trace id is scrambled by a
// Knuth multiplicative hash and compared with the rate scaled to 2^64.
bool SampleByRate(uint64_t trace_id, double rate);

// How many original chunks one received chunk stands for: 1 / (_sample_rate × _dd1.sr.rapre),
// where absent or out-of-range rates count as 1.
double RootWeight(const Span& root);

// Metric lookup with a default, without allocating for short keys.
double MetricOr(const Span& span, const std::string& key, double fallback);
bool HasMetric(const Span& span, const std::string& key);

inline constexpr int kNumBuckets = 6;
inline constexpr std::chrono::seconds kBucketDuration{5};
inline constexpr double kMaxRateIncrease = 1.2;

class CoreSampler {
 public:
  explicit CoreSampler(double target_tps) : target_tps_(target_tps) {}

  // Adds `weight` to the current bucket of `signature`. When `now` falls in a new bucket, rates
  // are recomputed first (before this count) and true is returned so callers can publish them.
  bool CountWeighted(std::chrono::steady_clock::time_point now, Signature signature, double weight);

  // Rate for a signature: its computed rate, or DefaultRate() if it has none yet.
  double SignatureRate(Signature signature) const;
  // Rate for unknown signatures: min(lowest computed rate, target / total seen TPS).
  double DefaultRate() const;
  // Rates computed at the last rotation.
  const absl::flat_hash_map<Signature, double>& Rates() const { return rates_; }
  // Signatures with counts in the window.
  size_t Size() const { return seen_.size(); }
  // Drops a signature's counts (e.g. evicted from a bounded catalog).
  void Forget(Signature signature);
  double TargetTps() const { return target_tps_; }

 private:
  using Buckets = std::array<double, kNumBuckets>;

  void UpdateRates(int64_t previous_bucket, int64_t new_bucket);

  double target_tps_;
  absl::flat_hash_map<Signature, Buckets> seen_;
  Buckets all_seen_{};
  bool started_ = false;
  int64_t last_bucket_id_ = 0;
  absl::flat_hash_map<Signature, double> rates_;
  double lowest_rate_ = 0;
};

// Splits `target_tps` over signatures seen at `seen_tps` each: evenly, with what low-volume
// signatures leave unused spread over the others. Exposed for tests.
double ComputeTpsPerSignature(double target_tps, std::vector<double> seen_tps);

class ScoreSampler {
 public:
  // `rate_key` is the root metric set on kept chunks (`_dd.no_p_sr` or `_dd.errors_sr`).
  // A disabled sampler never keeps (error_tps 0).
  ScoreSampler(double target_tps, std::string rate_key, bool disabled)
      : core_(target_tps), rate_key_(std::move(rate_key)), disabled_(disabled) {}

  // Counts the chunk and decides; on keep sets `rate_key` on the root to the applied rate.
  bool Sample(std::chrono::steady_clock::time_point now, const TraceChunk& chunk, Span& root,
              std::string_view env);

  const CoreSampler& Core() const { return core_; }

 private:
  // Above this many live signatures new ones fold into signature % 100, bounding memory while
  // already active signatures keep their own rates.
  static constexpr size_t kShrinkCardinality = 200;
  Signature Shrink(Signature signature);

  CoreSampler core_;
  std::string rate_key_;
  bool disabled_;
  bool shrinking_ = false;
  absl::flat_hash_map<Signature, double> shrink_allow_list_;
};

}  // namespace sidecar::apm
