// The Agent's DDSketch (spec dogstatsd.md §8, conformance cases §14.G): keys, summary, sample
// rates, the 4096-bin limit, uint16 bin splitting, merge and quantile accuracy.
#include "statsd/ddsketch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace sidecar::statsd {
namespace {

using ::testing::ElementsAre;

constexpr uint32_t kFull = 65535;

uint64_t SumCounts(const SketchPoint& point) {
  return std::accumulate(point.counts.begin(), point.counts.end(), uint64_t{0});
}

// The value whose key is `key` (gamma^(key - 1338)).
double ValueOfKey(int32_t key) { return std::pow(kSketchGamma, key - kSketchBias); }

struct KeyCase {
  double value;
  int32_t key;
};

class SketchKeyTest : public testing::TestWithParam<KeyCase> {};

// Spec §8.1 "Derived keys", plus the ends of the key range.
TEST_P(SketchKeyTest, MatchesAgentKey) {
  EXPECT_EQ(SketchKey(GetParam().value), GetParam().key) << GetParam().value;
}

INSTANTIATE_TEST_SUITE_P(
    DerivedKeys, SketchKeyTest,
    testing::Values(KeyCase{1, 1338}, KeyCase{2, 1383}, KeyCase{3, 1409}, KeyCase{3.5, 1419},
                    KeyCase{4.5, 1435}, KeyCase{10, 1487}, KeyCase{100, 1635}, KeyCase{666, 1757},
                    KeyCase{1000, 1784}, KeyCase{0.5, 1293}, KeyCase{1e-9, 1}, KeyCase{1e-10, 0},
                    KeyCase{0, 0}, KeyCase{-0.0, 0}, KeyCase{-1, -1338}, KeyCase{-1000, -1784},
                    // norm.min = gamma^-1337 ~ 9.94185e-10: below it the key is 0.
                    KeyCase{9.9e-10, 0}, KeyCase{9.95e-10, 1}, KeyCase{-9.95e-10, -1},
                    // Above norm.max (~4.14e211) and infinities take the ±Inf keys.
                    KeyCase{1e300, 32767}, KeyCase{-1e300, -32767},
                    KeyCase{std::numeric_limits<double>::infinity(), 32767},
                    KeyCase{-std::numeric_limits<double>::infinity(), -32767},
                    KeyCase{4e211, 32764}, KeyCase{4.15e211, 32766}, KeyCase{4.2e211, 32767}));

TEST(SketchKeyTest, RoundTripsBinValues) {
  // RoundToEven makes key(gamma^(k - bias)) == k across the finite range.
  for (int32_t key = 1; key <= kSketchMaxKey; key += 7) {
    ASSERT_EQ(SketchKey(ValueOfKey(key)), key);
    ASSERT_EQ(SketchKey(-ValueOfKey(key)), -key);
  }
}

// G01
TEST(DDSketchTest, TwoValuesGiveTwoBins) {
  DDSketch sketch;
  ASSERT_TRUE(sketch.Insert(1));
  ASSERT_TRUE(sketch.Insert(2));
  const SketchPoint point = sketch.ToSketchPoint(1700000000);
  EXPECT_EQ(point.timestamp, 1700000000);
  EXPECT_EQ(point.count, 2);
  EXPECT_EQ(point.min, 1);
  EXPECT_EQ(point.max, 2);
  EXPECT_EQ(point.sum, 3);
  EXPECT_EQ(point.avg, 1.5);
  EXPECT_THAT(point.keys, ElementsAre(1338, 1383));
  EXPECT_THAT(point.counts, ElementsAre(1u, 1u));
}

// G02
TEST(DDSketchTest, SampleRateScalesCountAndSum) {
  DDSketch sketch;
  ASSERT_TRUE(sketch.Insert(3.5, 0.5));
  const SketchPoint point = sketch.ToSketchPoint(0);
  EXPECT_EQ(point.count, 2);
  EXPECT_EQ(point.min, 3.5);
  EXPECT_EQ(point.max, 3.5);
  EXPECT_EQ(point.avg, 3.5);
  EXPECT_EQ(point.sum, 7);
  EXPECT_THAT(point.keys, ElementsAre(1419));
  EXPECT_THAT(point.counts, ElementsAre(2u));
}

// G03
TEST(DDSketchTest, ZeroAndNegativeValuesHaveSymmetricKeys) {
  DDSketch sketch;
  ASSERT_TRUE(sketch.Insert(0));
  ASSERT_TRUE(sketch.Insert(-1));
  const SketchPoint point = sketch.ToSketchPoint(0);
  EXPECT_THAT(point.keys, ElementsAre(-1338, 0));
  EXPECT_THAT(point.counts, ElementsAre(1u, 1u));
  EXPECT_EQ(point.min, -1);
  EXPECT_EQ(point.max, 0);
}

// G04
TEST(DDSketchTest, RateOutsideZeroOneCountsAsOne) {
  for (const double rate : {0.0, 2.0, -0.5, std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::infinity()}) {
    DDSketch sketch;
    ASSERT_TRUE(sketch.Insert(5, rate)) << rate;
    const SketchPoint point = sketch.ToSketchPoint(0);
    EXPECT_EQ(point.count, 1) << rate;
    EXPECT_EQ(point.sum, 5) << rate;
    EXPECT_THAT(point.counts, ElementsAre(1u)) << rate;
  }
}

// G05 (Agent time_sampler_test "single bucket": the sketch equals inserting 0..9).
TEST(DDSketchTest, ValuesZeroToNine) {
  DDSketch sketch;
  for (int v = 0; v < 10; ++v) {
    ASSERT_TRUE(sketch.Insert(v));
  }
  const SketchPoint point = sketch.ToSketchPoint(10000);
  EXPECT_EQ(point.timestamp, 10000);
  EXPECT_EQ(point.count, 10);
  EXPECT_EQ(point.min, 0);
  EXPECT_EQ(point.max, 9);
  EXPECT_EQ(point.sum, 45);
  EXPECT_DOUBLE_EQ(point.avg, 4.5);
  EXPECT_THAT(point.keys, ElementsAre(0, 1338, 1383, 1409, 1427, 1442, 1454, 1464, 1472, 1480));
  EXPECT_THAT(point.counts, ElementsAre(1u, 1u, 1u, 1u, 1u, 1u, 1u, 1u, 1u, 1u));
}

TEST(DDSketchTest, RepeatedValuesShareABin) {
  DDSketch sketch;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(sketch.Insert(i % 2 == 0 ? 10.0 : 10.01));  // Same key (1487).
  }
  const SketchPoint point = sketch.ToSketchPoint(0);
  EXPECT_THAT(point.keys, ElementsAre(1487));
  EXPECT_THAT(point.counts, ElementsAre(1000u));
  EXPECT_EQ(point.count, 1000);
}

TEST(DDSketchTest, FractionalRateTruncatesWeightButNotSum) {
  DDSketch sketch;
  ASSERT_TRUE(sketch.Insert(2, 0.3));  // n = 3.333…: cnt int64(n) = 3, sum n*v, bin uint(n) = 3.
  const SketchPoint point = sketch.ToSketchPoint(0);
  EXPECT_EQ(point.count, 3);
  EXPECT_DOUBLE_EQ(point.sum, 2 / 0.3);
  EXPECT_THAT(point.counts, ElementsAre(3u));
}

TEST(DDSketchTest, SummaryAverageIsTheAgentsIncrementalMerge) {
  DDSketch sketch;
  ASSERT_TRUE(sketch.Insert(1));
  ASSERT_TRUE(sketch.Insert(4, 0.25));  // Merge {cnt 4, avg 4}: 1 + (4 - 1) * 4 / 5.
  const SketchPoint point = sketch.ToSketchPoint(0);
  EXPECT_EQ(point.count, 5);
  EXPECT_EQ(point.avg, 1 + (4.0 - 1.0) * 4.0 / 5.0);
  EXPECT_EQ(point.sum, 17);
}

TEST(DDSketchTest, RejectsNanAndInfinities) {
  DDSketch sketch;
  EXPECT_FALSE(sketch.Insert(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(sketch.Insert(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(sketch.Insert(-std::numeric_limits<double>::infinity(), 0.5));
  EXPECT_TRUE(sketch.Empty());
  EXPECT_EQ(sketch.Count(), 0);
  EXPECT_TRUE(sketch.ToSketchPoint(0).keys.empty());
  ASSERT_TRUE(sketch.Insert(1e300));  // Finite but above norm.max: accepted, +Inf key.
  EXPECT_THAT(sketch.ToSketchPoint(0).keys, ElementsAre(32767));
}

TEST(DDSketchTest, RejectsWeightsPastTheCap) {
  DDSketch sketch;
  EXPECT_FALSE(sketch.Insert(1, 1e-10));  // 1e10 > kSketchMaxTotalWeight.
  EXPECT_TRUE(sketch.Empty());
  ASSERT_TRUE(sketch.Insert(1, 1e-9));  // 999999999 (1/1e-9 truncated) fits.
  EXPECT_EQ(sketch.Count(), 999999999);
  EXPECT_EQ(SumCounts(sketch.ToSketchPoint(0)), 999999999u);
}

// Spec §8.1 "bin width": 1/0.00001 is 99999.99999999999 in binary floating point, so the Agent
// adds 99999 (not 100000): a partial bin first, then full ones.
TEST(DDSketchTest, SplitsCountsAboveUint16IntoBinsOfOneKey) {
  DDSketch sketch;
  ASSERT_TRUE(sketch.Insert(1, 0.00001));
  SketchPoint point = sketch.ToSketchPoint(0);
  EXPECT_EQ(point.count, 99999);
  EXPECT_THAT(point.keys, ElementsAre(1338, 1338));
  EXPECT_THAT(point.counts, ElementsAre(99999u - kFull, kFull));

  ASSERT_TRUE(sketch.Insert(1, 0.00001));  // 199998 = 3393 + 3 * 65535.
  point = sketch.ToSketchPoint(0);
  EXPECT_THAT(point.keys, ElementsAre(1338, 1338, 1338, 1338));
  EXPECT_THAT(point.counts, ElementsAre(3393u, kFull, kFull, kFull));
  EXPECT_EQ(SumCounts(point), 199998u);
}

TEST(DDSketchTest, UnsampledInsertsOverflowTheFirstBinOfAKey) {
  DDSketch sketch;
  ASSERT_TRUE(sketch.Insert(2, std::ldexp(1.0, -16)));  // 65536 = [1, 65535].
  ASSERT_TRUE(sketch.Insert(1));
  ASSERT_TRUE(sketch.Insert(3));
  EXPECT_THAT(sketch.ToSketchPoint(0).counts, ElementsAre(1u, 1u, kFull, 1u));
  for (uint32_t i = 0; i < kFull - 1; ++i) {
    ASSERT_TRUE(sketch.Insert(2));
  }
  SketchPoint point = sketch.ToSketchPoint(0);  // Key 1383: [65535, 65535].
  EXPECT_THAT(point.keys, ElementsAre(1338, 1383, 1383, 1409));
  EXPECT_THAT(point.counts, ElementsAre(1u, kFull, kFull, 1u));
  ASSERT_TRUE(sketch.Insert(2));  // appendSafe(65536) = [1, 65535] in front of the other full bin.
  point = sketch.ToSketchPoint(0);
  EXPECT_THAT(point.keys, ElementsAre(1338, 1383, 1383, 1383, 1409));
  EXPECT_THAT(point.counts, ElementsAre(1u, 1u, kFull, kFull, 1u));
  EXPECT_EQ(point.count, 2 + 65536 + 65535);
}

// Spec §8.1 "bin limit": past 4096 bins the lowest are folded into the next one (trimLeft).
TEST(DDSketchTest, FoldsLowestBinsPastTheBinLimit) {
  for (const bool ascending : {true, false}) {
    DDSketch sketch;
    constexpr int32_t kDistinct = 5000;
    for (int32_t i = 0; i < kDistinct; ++i) {
      const int32_t key = 1338 + (ascending ? i : kDistinct - 1 - i);
      ASSERT_TRUE(sketch.Insert(ValueOfKey(key)));
    }
    const SketchPoint point = sketch.ToSketchPoint(0);
    ASSERT_EQ(point.keys.size(), kSketchBinLimit) << ascending;
    // Keys 1338..2241 (904 of them) folded into 2242, the lowest kept.
    EXPECT_EQ(point.keys.front(), 1338 + 904) << ascending;
    EXPECT_EQ(point.counts.front(), 905u) << ascending;
    EXPECT_EQ(point.keys.back(), 1338 + kDistinct - 1) << ascending;
    EXPECT_TRUE(std::is_sorted(point.keys.begin(), point.keys.end()));
    EXPECT_TRUE(std::all_of(point.counts.begin() + 1, point.counts.end(),
                            [](uint32_t n) { return n == 1; }));
    EXPECT_EQ(SumCounts(point), uint64_t{kDistinct});
    EXPECT_EQ(point.count, kDistinct);
    EXPECT_EQ(point.min, ValueOfKey(1338));  // The summary keeps the true min.
  }
}

TEST(DDSketchTest, KeepsExactlyTheBinLimitWithOneExtraKey) {
  DDSketch sketch;
  for (int32_t i = 0; i <= static_cast<int32_t>(kSketchBinLimit); ++i) {  // 4097 keys.
    ASSERT_TRUE(sketch.Insert(-ValueOfKey(2000 + i)));  // Negative: -2000 is the highest key.
  }
  const SketchPoint point = sketch.ToSketchPoint(0);
  ASSERT_EQ(point.keys.size(), kSketchBinLimit);
  // The lowest key -6096 folded into -6095.
  EXPECT_EQ(point.keys.front(), -6095);
  EXPECT_EQ(point.counts.front(), 2u);
  EXPECT_EQ(point.keys.back(), -2000);
}

// trimLeft never folds more than 65535 into a bin: the excess stays in front under the removed
// keys, so a heavy low key survives the trim and the sketch keeps 4097 bins (Agent behaviour).
TEST(DDSketchTest, TrimKeepsOverflowBinsOfHeavyLowKeys) {
  DDSketch sketch;
  ASSERT_TRUE(sketch.Insert(1, 0.00001));  // Key 1338: [34464, 65535].
  for (int32_t i = 1; i < static_cast<int32_t>(kSketchBinLimit); ++i) {
    ASSERT_TRUE(sketch.Insert(ValueOfKey(1338 + i)));
  }
  const SketchPoint point = sketch.ToSketchPoint(0);
  ASSERT_EQ(point.keys.size(), kSketchBinLimit + 1);
  EXPECT_EQ(point.keys[0], 1338);
  EXPECT_EQ(point.keys[1], 1338);
  EXPECT_EQ(point.counts[0], 34464u);
  EXPECT_EQ(point.counts[1], kFull);
  EXPECT_EQ(point.keys[2], 1339);
  EXPECT_EQ(SumCounts(point), 99999u + kSketchBinLimit - 1);
}

TEST(DDSketchTest, MergeCombinesSummaryAndBins) {
  DDSketch a;
  DDSketch b;
  ASSERT_TRUE(a.Insert(1));
  ASSERT_TRUE(a.Insert(2));
  ASSERT_TRUE(b.Insert(2));
  ASSERT_TRUE(b.Insert(3));
  a.Merge(b);
  const SketchPoint point = a.ToSketchPoint(0);
  EXPECT_EQ(point.count, 4);
  EXPECT_EQ(point.min, 1);
  EXPECT_EQ(point.max, 3);
  EXPECT_EQ(point.sum, 8);
  EXPECT_EQ(point.avg, 2);  // 1.5 + (2.5 - 1.5) * 2 / 4.
  EXPECT_THAT(point.keys, ElementsAre(1338, 1383, 1409));
  EXPECT_THAT(point.counts, ElementsAre(1u, 2u, 1u));
  EXPECT_EQ(b.Count(), 2);  // Unchanged.
}

TEST(DDSketchTest, MergeWithEmptySketches) {
  DDSketch empty;
  DDSketch a;
  ASSERT_TRUE(a.Insert(-3));
  a.Merge(empty);
  EXPECT_EQ(a.Count(), 1);
  EXPECT_EQ(a.ToSketchPoint(0).min, -3);
  empty.Merge(a);
  EXPECT_FALSE(empty.Empty());
  const SketchPoint point = empty.ToSketchPoint(0);
  EXPECT_EQ(point.min, -3);
  EXPECT_EQ(point.max, -3);
  EXPECT_THAT(point.keys, ElementsAre(-1409));
}

TEST(DDSketchTest, MergePairsSplitBinsOfOneKey) {
  DDSketch a;
  ASSERT_TRUE(a.Insert(1, std::ldexp(1.0, -16)));  // [1, 65535].
  a.Merge(a);                                      // (1+1), (65535+65535) = [2, 65535, 65535].
  const SketchPoint point = a.ToSketchPoint(0);
  EXPECT_THAT(point.keys, ElementsAre(1338, 1338, 1338));
  EXPECT_THAT(point.counts, ElementsAre(2u, kFull, kFull));
  EXPECT_EQ(point.count, 131072);
}

TEST(DDSketchTest, MergeEqualsInsertingEverythingIntoOneSketch) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency(-4, 1.5);
  DDSketch a;
  DDSketch b;
  DDSketch all;
  for (int i = 0; i < 20000; ++i) {
    const double v = i % 7 == 0 ? -latency(rng) : latency(rng);
    ASSERT_TRUE((i % 3 == 0 ? a : b).Insert(v));
    ASSERT_TRUE(all.Insert(v));
  }
  a.Merge(b);
  const SketchPoint merged = a.ToSketchPoint(0);
  const SketchPoint direct = all.ToSketchPoint(0);
  EXPECT_EQ(merged.keys, direct.keys);
  EXPECT_EQ(merged.counts, direct.counts);
  EXPECT_EQ(merged.count, direct.count);
  EXPECT_EQ(merged.min, direct.min);
  EXPECT_EQ(merged.max, direct.max);
  EXPECT_NEAR(merged.sum, direct.sum, 1e-9 * std::abs(direct.sum));
}

TEST(DDSketchTest, ClearEmptiesAndStaysUsable) {
  DDSketch sketch;
  for (int i = 1; i <= 600; ++i) {
    ASSERT_TRUE(sketch.Insert(i));
  }
  sketch.Clear();
  EXPECT_TRUE(sketch.Empty());
  EXPECT_EQ(sketch.Quantile(0.5), 0);
  SketchPoint point = sketch.ToSketchPoint(0);
  EXPECT_TRUE(point.keys.empty());
  EXPECT_EQ(point.count, 0);
  EXPECT_EQ(point.sum, 0);
  ASSERT_TRUE(sketch.Insert(2));
  point = sketch.ToSketchPoint(0);
  EXPECT_THAT(point.keys, ElementsAre(1383));
  EXPECT_EQ(point.min, 2);
  EXPECT_EQ(point.avg, 2);
}

struct Distribution {
  std::string name;
  std::vector<double> values;
};

std::vector<Distribution> Distributions() {
  std::mt19937_64 rng(7);
  std::vector<Distribution> out;
  auto fill = [&](std::string name, auto dist) {
    Distribution d{std::move(name), {}};
    for (int i = 0; i < 20000; ++i) {
      d.values.push_back(dist(rng));
    }
    out.push_back(std::move(d));
  };
  fill("lognormal", std::lognormal_distribution<double>(0, 2));
  fill("uniform", std::uniform_real_distribution<double>(1, 1000));
  fill("exponential", std::exponential_distribution<double>(0.01));
  fill("normal", std::normal_distribution<double>(0, 100));  // Both signs.
  return out;
}

TEST(DDSketchTest, QuantilesWithinRelativeAccuracy) {
  for (Distribution& d : Distributions()) {
    DDSketch sketch;
    for (const double v : d.values) {
      ASSERT_TRUE(sketch.Insert(v));
    }
    std::sort(d.values.begin(), d.values.end());
    for (const double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999}) {
      const auto rank = static_cast<size_t>(std::nearbyint(q * (d.values.size() - 1)));
      const double exact = d.values[rank];
      EXPECT_LE(std::abs(sketch.Quantile(q) - exact), std::abs(exact) * kSketchRelativeAccuracy)
          << d.name << " q=" << q << " exact=" << exact;
    }
    EXPECT_EQ(sketch.Quantile(0), d.values.front()) << d.name;
    EXPECT_EQ(sketch.Quantile(1), d.values.back()) << d.name;
  }
}

}  // namespace
}  // namespace sidecar::statsd
