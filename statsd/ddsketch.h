// File: statsd/ddsketch.h
//
// The Datadog Agent's DDSketch ("quantile" sketch, AGT:pkg/quantile) for DogStatsD distributions:
// one sketch per (context, 10 s bucket), closed into a `SketchPoint` at flush (spec §7.3, §8).
// Output is the Agent's bin for bin, so the backend sees the same sketch from us as from an Agent.
//
//   DDSketch sketch;
//   sketch.Insert(1);                      // key 1338
//   sketch.Insert(3.5, /*sample_rate=*/0.5);  // key 1419 with count 2, summary cnt += 2, sum += 7
//   SketchPoint point = sketch.ToSketchPoint(/*timestamp=*/1700000000);
//
// Parameters (spec §8.1): relative accuracy 1/128, gamma 1 + 2/128, smallest indexable magnitude
// 1e-9 (bias 1338), keys int16 with ±32767 standing for ±Inf, at most 4096 bins (the lowest are
// folded into the next one), at most 65535 per bin (larger counts take several bins of one key).
//
// How we match the Agent without its insert buffer: the Agent queues up to 512 unsampled keys and
// merges them into its sorted bin list in one pass; merging a key into a bin list gives the same
// list whether keys arrive one by one or in a batch, and the only step that depends on batching
// is the bin-limit trim. So we add each key straight into the bin list and trim exactly where the
// Agent does: after every 512th unsampled insert, around every sampled insert, in Merge and (on a
// copy) in ToSketchPoint.
//
// Not thread-safe: a sketch belongs to the aggregator shard that owns its context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "statsd/metric_types.h"

namespace sidecar::statsd {

// Sketch constants (spec §8.1, AGT:pkg/quantile/{config,key,bin,agent}.go).
inline constexpr double kSketchRelativeAccuracy = 1.0 / 128.0;
inline constexpr double kSketchGamma = 1.0 + 2.0 * kSketchRelativeAccuracy;  // 1.015625
inline constexpr int32_t kSketchBias = 1338;     // 1 - floor(log_gamma(1e-9))
inline constexpr int32_t kSketchInfKey = 32767;  // Key of +Inf (and finite values > ~4.14e211).
inline constexpr int32_t kSketchMaxKey = 32766;  // Largest finite key.
inline constexpr size_t kSketchBinLimit = 4096;  // Bins kept after a trim.
inline constexpr uint32_t kSketchMaxBinCount = 65535;  // uint16 bin width.
inline constexpr int kSketchInsertBufferSize = 512;    // Unsampled inserts between Agent trims.
// Our only departure from the Agent: a sketch accepts at most this total weight (2^32 - 2^16,
// i.e. 65536 full bins). The Agent has no limit and lays out one bin per 65535 of weight, so a
// tiny sample rate (`@1e-12`) costs it gigabytes; we reject such samples instead. No real client
// reaches it: 4.3e9 unsampled values in one 10 s bucket of one context.
inline constexpr uint64_t kSketchMaxTotalWeight = uint64_t{65536} * kSketchMaxBinCount;

// The sketch key of `value` (Agent `Config.key`): 0 for 0 and |v| < ~9.94e-10; -key(-v) for
// negatives; otherwise RoundToEven(ln v / ln gamma) + 1338, capped at 32767 (+Inf), floored at 1.
// NaN gives 1 as in the Agent on amd64 (Insert rejects NaN before it gets here).
int32_t SketchKey(double value);

class DDSketch {
 public:
  DDSketch() = default;

  // Adds `value` with weight 1/sample_rate (spec §8.1 "sample rate"): a rate outside (0, 1] counts
  // as 1; rate 1 adds one value; otherwise the summary gets cnt += int64(1/rate) and
  // sum += value/rate, and the value's bin gets uint(1/rate). Returns false, leaving the sketch
  // unchanged, for NaN/±Inf values and for weights past kSketchMaxTotalWeight; the caller counts
  // the drop.
  bool Insert(double value, double sample_rate = 1.0);

  // Merges `other` into this sketch as the Agent merges two finished sketches (summary merge, then
  // a pairwise bin merge and a trim).
  void Merge(const DDSketch& other);

  bool Empty() const { return count_ == 0; }
  // The summary count: the sum of int64(1/rate) over accepted samples.
  int64_t Count() const { return count_; }

  // The sketch as the Agent's `Finish()` would serialize it (keys ascending, several bins per key
  // when a count exceeds 65535). Const: the final trim is applied to the copy, so call it once the
  // bucket is closed, as the aggregator does.
  SketchPoint ToSketchPoint(int64_t timestamp) const;

  // The value at quantile q in [0, 1]: the centre gamma^(k - 1338) of the bin holding rank
  // RoundToEven(q * (weight - 1)), clamped to [min, max]; q <= 0 gives min, q >= 1 max, an empty
  // sketch 0. Within 1/128 of the exact value at that rank unless the rank fell into trimmed
  // bins. (The Agent interpolates towards the next bin instead; this is for tests and debugging.)
  double Quantile(double q) const;

  // Back to empty, keeping the allocated bin storage.
  void Clear();

 private:
  struct Bin {
    int16_t key;
    uint16_t count;
  };

  void AddToBins(int16_t key, uint64_t weight);
  void Trim();  // The Agent's trimLeft on bins_.
  static void TrimBins(std::vector<Bin>& bins);
  void InsertSummary(double value);
  void MergeSummary(int64_t count, double min, double max, double sum, double avg);

  // Sorted by key; a key with more than 65535 in it has several bins, the partial one first.
  std::vector<Bin> bins_;
  uint64_t total_weight_ = 0;  // Sum of bin counts (the Agent's sparseStore.count).
  int pending_ = 0;  // Unsampled inserts since the last Agent trim point (its insert buffer).
  // The Agent's summary.Summary.
  int64_t count_ = 0;
  double min_ = 0;
  double max_ = 0;
  double sum_ = 0;
  double avg_ = 0;
};

}  // namespace sidecar::statsd
