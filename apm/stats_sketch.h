// The latency sketch of APM stats: sketches-go's LogCollapsingLowestDenseDDSketch with relative
// accuracy 0.01 and at most 2048 bins, as the trace-agent builds for each group's OkSummary and
// ErrorSummary (apm.md §6 "Values"), serialized as the sketches-go DDSketch protobuf
// (proto/ddsketch.proto). The statsd sketch (statsd/ddsketch.h) is a different sketch with a
// different mapping; the backend decodes these bytes with the sketches-go mapping, so the bins
// here must be exactly its bins.
//
//   StatsSketch sketch;
//   sketch.Add(TruncateDurationForSketch(span.duration()));
//   std::string bytes = sketch.Serialize();   // ClientGroupedStats.ok_summary
//
// Mapping: gamma = (1 + 0.01) / (1 - 0.01), bin index = floor(ln(v) / ln(gamma)) (index offset 0,
// no interpolation). Store: a dense run of bins; when the run would exceed 2048 bins the lowest
// ones are folded into the lowest kept bin, and from then on smaller values land in that bin too.
//
// Not thread-safe: a sketch belongs to the concentrator bucket that owns its group.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/ddsketch.pb.h"

namespace sidecar::apm {

inline constexpr double kStatsSketchRelativeAccuracy = 0.01;
inline constexpr int kStatsSketchMaxBins = 2048;

// A span duration (ns) as the agent feeds it to the sketch: converted to double, then the
// mantissa cut to its 9 stored high bits (10 significant bits with the implicit one), so nearby
// durations share a bin and sketches stay small.
double TruncateDurationForSketch(int64_t duration_ns);

class StatsSketch {
 public:
  StatsSketch() = default;

  // Adds `value` with `weight` (> 0). Returns false and leaves the sketch unchanged for NaN,
  // infinities, values beyond the largest indexable magnitude and non-positive weights.
  bool Add(double value, double weight = 1.0);

  bool Empty() const { return Count() == 0; }
  // Total weight added.
  double Count() const;

  // The value at quantile q in [0, 1] as sketches-go computes it: the representative value of the
  // bin holding rank q * (count - 1). Within 1 % of the exact value unless the rank fell into
  // collapsed bins. 0 for an empty sketch or q outside [0, 1].
  double Quantile(double q) const;

  datadog::sketches::DDSketch ToProto() const;
  // ToProto() as bytes, the form that goes into OkSummary / ErrorSummary.
  std::string Serialize() const;

  // The mapping, exposed for tests and for reading sketches back.
  static double Gamma();
  static int32_t Index(double positive_value);
  static double Value(int32_t index);  // Representative value of bin `index`.

 private:
  // sketches-go CollapsingLowestDenseStore: counts for the contiguous indices
  // [min_index_, min_index_ + bins_.size()).
  class Store {
   public:
    void Add(int32_t index, double weight);
    bool Empty() const { return bins_.empty(); }
    double Total() const;
    int32_t KeyAtRank(double rank) const;
    void ToProto(datadog::sketches::Store* out) const;

   private:
    std::vector<double> bins_;
    int32_t min_index_ = 0;
    bool collapsed_ = false;
  };

  Store positive_;
  Store negative_;
  double zero_count_ = 0;
};

}  // namespace sidecar::apm
