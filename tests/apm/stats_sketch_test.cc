// The APM latency sketch (apm.md §6 "Values"): sketches-go LogCollapsingLowestDenseDDSketch(0.01,
// 2048) over durations with a 10-bit mantissa, serialized as the sketches-go DDSketch protobuf.
// Quantiles are recomputed from the decoded protobuf, independently of StatsSketch::Quantile.
#include "apm/stats_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "proto/ddsketch.pb.h"

namespace sidecar::apm {
namespace {

// Value at quantile q of a decoded sketch, from the wire fields only (positive values).
double QuantileFromProto(const datadog::sketches::DDSketch& sketch, double q) {
  const double gamma = sketch.mapping().gamma();
  const auto& store = sketch.positivevalues();
  double count = sketch.zerocount();
  for (double c : store.contiguousbincounts()) {
    count += c;
  }
  const double rank = q * (count - 1);
  if (rank < sketch.zerocount()) {
    return 0;
  }
  double cumulative = sketch.zerocount();
  int index = store.contiguousbinindexoffset();
  for (double c : store.contiguousbincounts()) {
    cumulative += c;
    if (cumulative > rank) {
      break;
    }
    ++index;
  }
  // Bin `index` covers [gamma^index, gamma^(index+1)); its representative value is
  // gamma^index * (1 + accuracy) with accuracy = (gamma - 1) / (gamma + 1).
  return std::pow(gamma, index) * (1 + (gamma - 1) / (gamma + 1));
}

TEST(StatsSketchTest, MappingUsesOnePercentAccuracy) {
  EXPECT_NEAR(StatsSketch::Gamma(), 1.01 / 0.99, 1e-12);
  for (double v : {1.0, 3.7, 1e3, 123456.0, 1.205e8, 9e12}) {
    const double representative = StatsSketch::Value(StatsSketch::Index(v));
    EXPECT_LE(std::fabs(representative - v) / v, 0.01) << v;
  }
  EXPECT_EQ(StatsSketch::Index(1.0), 0);
  EXPECT_EQ(StatsSketch::Index(StatsSketch::Gamma() * 1.0000001), 1);
  EXPECT_EQ(StatsSketch::Index(0.5), -35);  // floor(ln 0.5 / ln gamma) = floor(-34.66)
}

TEST(StatsSketchTest, TruncatesDurationMantissaToTenBits) {
  const double truncated = TruncateDurationForSketch(120500000);
  const uint64_t bits = std::bit_cast<uint64_t>(truncated);
  EXPECT_EQ(bits & 0x000007ffffffffffULL, 0u);  // Only the top 9 stored mantissa bits remain.
  EXPECT_LE(truncated, 120500000.0);
  EXPECT_LT((120500000.0 - truncated) / 120500000.0, 1.0 / 512);
  EXPECT_EQ(TruncateDurationForSketch(1024), 1024.0);  // Powers of two are exact.
  EXPECT_EQ(TruncateDurationForSketch(1025), 1024.0);
  EXPECT_EQ(TruncateDurationForSketch(0), 0.0);
}

TEST(StatsSketchTest, EncodedSketchDecodesWithinOnePercent) {
  StatsSketch sketch;
  std::vector<double> values;
  // Durations from 1 ms to 1 s in ns, as the concentrator feeds them.
  for (int i = 1; i <= 1000; ++i) {
    const double v = TruncateDurationForSketch(int64_t{i} * 1000000);
    values.push_back(v);
    ASSERT_TRUE(sketch.Add(v));
  }
  std::sort(values.begin(), values.end());

  datadog::sketches::DDSketch decoded;
  ASSERT_TRUE(decoded.ParseFromString(sketch.Serialize()));
  EXPECT_NEAR(decoded.mapping().gamma(), 1.01 / 0.99, 1e-12);
  EXPECT_EQ(decoded.mapping().indexoffset(), 0);
  EXPECT_EQ(decoded.mapping().interpolation(), datadog::sketches::IndexMapping::NONE);
  EXPECT_EQ(decoded.negativevalues().contiguousbincounts_size(), 0);
  EXPECT_EQ(decoded.zerocount(), 0);

  for (double q : {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0}) {
    const double exact = values[static_cast<size_t>(q * (values.size() - 1))];
    const double from_proto = QuantileFromProto(decoded, q);
    EXPECT_LE(std::fabs(from_proto - exact) / exact, 0.01) << "q=" << q;
    // Same bin; only exp() vs pow() rounding differs.
    EXPECT_NEAR(sketch.Quantile(q), from_proto, from_proto * 1e-12) << "q=" << q;
  }
}

TEST(StatsSketchTest, BinsAreContiguousFromTheLowestIndex) {
  StatsSketch sketch;
  ASSERT_TRUE(sketch.Add(1000));
  ASSERT_TRUE(sketch.Add(1000));
  ASSERT_TRUE(sketch.Add(2000));
  datadog::sketches::DDSketch decoded;
  ASSERT_TRUE(decoded.ParseFromString(sketch.Serialize()));
  const auto& store = decoded.positivevalues();
  EXPECT_EQ(store.contiguousbinindexoffset(), StatsSketch::Index(1000));
  ASSERT_EQ(store.contiguousbincounts_size(),
            StatsSketch::Index(2000) - StatsSketch::Index(1000) + 1);
  EXPECT_EQ(store.contiguousbincounts(0), 2);
  EXPECT_EQ(store.contiguousbincounts(store.contiguousbincounts_size() - 1), 1);
  EXPECT_EQ(sketch.Count(), 3);
}

TEST(StatsSketchTest, CollapsesLowestBinsBeyond2048) {
  StatsSketch sketch;
  // Each factor of 10 spans ~116 bins; 1 .. 1e30 needs ~3450.
  for (int e = 0; e <= 30; ++e) {
    ASSERT_TRUE(sketch.Add(std::pow(10.0, e)));
  }
  datadog::sketches::DDSketch decoded;
  ASSERT_TRUE(decoded.ParseFromString(sketch.Serialize()));
  const auto& store = decoded.positivevalues();
  EXPECT_EQ(store.contiguousbincounts_size(), kStatsSketchMaxBins);
  EXPECT_EQ(store.contiguousbinindexoffset(), StatsSketch::Index(1e30) - kStatsSketchMaxBins + 1);
  double total = 0;
  for (double c : store.contiguousbincounts()) {
    total += c;
  }
  EXPECT_EQ(total, 31);  // Nothing lost: low values folded into the lowest kept bin.
  EXPECT_GT(store.contiguousbincounts(0), 1);
  // The top quantile stays accurate.
  EXPECT_LE(std::fabs(sketch.Quantile(1.0) - 1e30) / 1e30, 0.01);

  // Once collapsed, a smaller value lands in the lowest bin instead of growing the store.
  const double lowest_before = store.contiguousbincounts(0);
  ASSERT_TRUE(sketch.Add(1e-3));
  ASSERT_TRUE(decoded.ParseFromString(sketch.Serialize()));
  EXPECT_EQ(decoded.positivevalues().contiguousbincounts_size(), kStatsSketchMaxBins);
  EXPECT_EQ(decoded.positivevalues().contiguousbincounts(0), lowest_before + 1);
}

TEST(StatsSketchTest, GrowingUpwardPastTheLimitFoldsEverythingBelow) {
  StatsSketch sketch;
  ASSERT_TRUE(sketch.Add(1));
  ASSERT_TRUE(sketch.Add(2));
  ASSERT_TRUE(sketch.Add(1e300));  // Far beyond 2048 bins above.
  datadog::sketches::DDSketch decoded;
  ASSERT_TRUE(decoded.ParseFromString(sketch.Serialize()));
  const auto& store = decoded.positivevalues();
  EXPECT_EQ(store.contiguousbincounts_size(), kStatsSketchMaxBins);
  EXPECT_EQ(store.contiguousbincounts(0), 2);
  EXPECT_EQ(store.contiguousbincounts(kStatsSketchMaxBins - 1), 1);
}

TEST(StatsSketchTest, ZeroAndNegativeValuesAndRejects) {
  StatsSketch sketch;
  EXPECT_TRUE(sketch.Empty());
  EXPECT_EQ(sketch.Quantile(0.5), 0);
  ASSERT_TRUE(sketch.Add(0));
  ASSERT_TRUE(sketch.Add(-5));
  ASSERT_TRUE(sketch.Add(5));
  EXPECT_FALSE(sketch.Add(std::nan("")));
  EXPECT_FALSE(sketch.Add(INFINITY));
  EXPECT_FALSE(sketch.Add(1, 0));
  EXPECT_FALSE(sketch.Add(1e308 * 10));
  EXPECT_EQ(sketch.Count(), 3);
  EXPECT_NEAR(sketch.Quantile(0), -5, 0.05);
  EXPECT_EQ(sketch.Quantile(0.5), 0);
  EXPECT_NEAR(sketch.Quantile(1), 5, 0.05);

  datadog::sketches::DDSketch decoded;
  ASSERT_TRUE(decoded.ParseFromString(sketch.Serialize()));
  EXPECT_EQ(decoded.zerocount(), 1);
  EXPECT_EQ(decoded.negativevalues().contiguousbinindexoffset(), StatsSketch::Index(5));
}

}  // namespace
}  // namespace sidecar::apm
