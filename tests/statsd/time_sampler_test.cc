// TimeSampler: spec dogstatsd.md §7 and conformance cases §14.F (F01-F17), driven through the real
// Parser and Enricher so each case reads like the datagrams in the spec.
#include "statsd/time_sampler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "agent/runtime/memory_account.h"
#include "agent/telemetry/registry.h"
#include "statsd/enricher.h"
#include "statsd/parser.h"

namespace sidecar::statsd {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

using Points = std::vector<std::pair<int64_t, double>>;

Points PointsOf(const Serie& serie) {
  Points points;
  for (const Point& p : serie.points) {
    points.emplace_back(p.timestamp, p.value);
  }
  return points;
}

std::vector<std::string> Names(const FlushResult& result) {
  std::vector<std::string> names;
  for (const Serie& serie : result.series) {
    names.push_back(serie.name);
  }
  return names;
}

class TimeSamplerTest : public ::testing::Test {
 protected:
  void SetUp() override { Make({}, {}); }

  void Make(TimeSamplerConfig config, EnricherConfig enricher_config) {
    sampler_.reset();
    enricher_ = std::make_unique<Enricher>(std::move(enricher_config), &origins_, stats_);
    sampler_ = std::make_unique<TimeSampler>(std::move(config), stats_);
  }

  void Send(std::string_view line, double now) {
    const ParseResult result = parser_.Parse(line);
    if (const auto* sample = std::get_if<MetricSample>(&result)) {
      for (const EnrichedSample& s : enricher_->Enrich(*sample)) {
        sampler_->Add(s, now);
      }
    } else if (const auto* event = std::get_if<Event>(&result)) {
      sampler_->AddEvent(enricher_->EnrichEvent(*event), now);
    } else if (const auto* check = std::get_if<ServiceCheck>(&result)) {
      sampler_->AddServiceCheck(enricher_->EnrichServiceCheck(*check), now);
    } else {
      FAIL() << "does not parse: " << line;
    }
  }

  FlushResult Flush(double now, bool force = false) { return sampler_->Flush(now, force); }

  static const Serie* Find(const FlushResult& result, std::string_view name) {
    const Serie* found = nullptr;
    for (const Serie& serie : result.series) {
      if (serie.name == name) {
        EXPECT_EQ(found, nullptr) << "two series named " << name;
        found = &serie;
      }
    }
    return found;
  }

  // The single point of the serie `name`.
  static double Value(const FlushResult& result, std::string_view name) {
    const Serie* serie = Find(result, name);
    if (serie == nullptr || serie->points.size() != 1) {
      ADD_FAILURE() << "no single-point serie " << name;
      return std::numeric_limits<double>::quiet_NaN();
    }
    return serie->points[0].value;
  }

  int64_t Dropped(std::string_view reason) {
    return registry_.ValueOf(kSamplesDropped, {{"reason", std::string(reason)}});
  }

  telemetry::Registry registry_;
  StatsdStats stats_{registry_};
  runtime::MemoryAccount account_{0};  // Outlives the sampler, which charges its shares.
  StaticOriginTags origins_;
  Parser parser_{ParserOptions{}};
  std::unique_ptr<Enricher> enricher_;
  std::unique_ptr<TimeSampler> sampler_;
};

TEST(BucketStartTest, FloorsToTenSeconds) {
  EXPECT_EQ(BucketStart(123456.5), 123450);
  EXPECT_EQ(BucketStart(123450), 123450);
  EXPECT_EQ(BucketStart(123459.999), 123450);
  EXPECT_EQ(BucketStart(0), 0);
  EXPECT_EQ(BucketStart(-1), -10);
}

// ---------------------------------------------------------------------------------------------
// §14.F

TEST_F(TimeSamplerTest, F01ClosedBucketsOfOneContextShareOneSerie) {
  Send("my.metric.name:1|g|#foo,bar", 12345);
  Send("my.metric.name:1|g|#foo,bar", 12355);
  Send("my.metric.name:1|g|#foo,bar", 12365);
  const FlushResult result = Flush(12360);
  ASSERT_THAT(result.series, SizeIs(1));
  const Serie& serie = result.series[0];
  EXPECT_EQ(serie.name, "my.metric.name");
  EXPECT_EQ(serie.host, "");
  EXPECT_THAT(serie.tags, ElementsAre("bar", "foo"));
  EXPECT_EQ(serie.type, SeriesType::kGauge);
  EXPECT_EQ(serie.interval, 10);
  EXPECT_THAT(PointsOf(serie), ElementsAre(Pair(12340, 1.0), Pair(12350, 1.0)));
  // Bucket 12360 is still pending.
  EXPECT_EQ(sampler_->bucket_count(), 1u);
  const FlushResult later = Flush(12370);
  ASSERT_THAT(later.series, SizeIs(1));
  EXPECT_THAT(PointsOf(later.series[0]), ElementsAre(Pair(12360, 1.0)));
}

// F02, F03, F04: counters as rates, zero-fill for 300 s, expiry.
TEST_F(TimeSamplerTest, F02ToF04CounterRatesZeroFillAndExpiry) {
  Send("my.counter1:1|c|#foo,bar", 1004);
  Send("my.counter2:2|c|#foo,bar", 1002);
  Send("my.gauge:2|g|#foo,bar", 1003);
  FlushResult result = Flush(1010);  // F02
  ASSERT_THAT(result.series, SizeIs(3));
  EXPECT_EQ(Find(result, "my.counter1")->type, SeriesType::kRate);
  EXPECT_THAT(PointsOf(*Find(result, "my.counter1")),
              ElementsAre(Pair(1000, DoubleNear(0.1, 1e-12))));
  EXPECT_THAT(PointsOf(*Find(result, "my.counter2")),
              ElementsAre(Pair(1000, DoubleNear(0.2, 1e-12))));
  EXPECT_EQ(Find(result, "my.gauge")->type, SeriesType::kGauge);
  EXPECT_THAT(PointsOf(*Find(result, "my.gauge")), ElementsAre(Pair(1000, 2.0)));

  Send("my.counter2:2|c|#foo,bar", 1034);  // F03
  Send("my.counter1:1|c|#foo,bar", 1010);
  Send("my.counter2:2|c|#foo,bar", 1020);
  result = Flush(1040);
  ASSERT_THAT(result.series, SizeIs(2));
  EXPECT_THAT(PointsOf(*Find(result, "my.counter1")),
              ElementsAre(Pair(1010, DoubleNear(0.1, 1e-12)), Pair(1020, 0.0), Pair(1030, 0.0)));
  EXPECT_THAT(PointsOf(*Find(result, "my.counter2")),
              ElementsAre(Pair(1010, 0.0), Pair(1020, DoubleNear(0.2, 1e-12)),
                          Pair(1030, DoubleNear(0.2, 1e-12))));

  EXPECT_THAT(Flush(1045).series, IsEmpty());  // F04
  result = Flush(1050);
  ASSERT_THAT(result.series, SizeIs(2));
  EXPECT_THAT(PointsOf(*Find(result, "my.counter1")), ElementsAre(Pair(1040, 0.0)));
  EXPECT_THAT(PointsOf(*Find(result, "my.counter2")), ElementsAre(Pair(1040, 0.0)));
  result = Flush(1329);  // counter1 expired: last sample 1010 + 300 is not after 1310.
  ASSERT_THAT(result.series, SizeIs(1));
  EXPECT_THAT(PointsOf(*Find(result, "my.counter2")), ElementsAre(Pair(1310, 0.0)));
  EXPECT_THAT(Flush(1800).series, IsEmpty());
  EXPECT_EQ(sampler_->context_count(), 0u);  // Contexts gone.
  EXPECT_EQ(registry_.ValueOf(kContexts), 0);
}

TEST_F(TimeSamplerTest, F05DefaultHistogramAggregates) {
  for (const char* value : {"1", "10", "4", "5", "2", "2"}) {
    Send(std::string("h:") + value + "|h", 50);
  }
  const FlushResult result = Flush(60);
  EXPECT_THAT(Names(result),
              UnorderedElementsAre("h.max", "h.median", "h.avg", "h.count", "h.95percentile"));
  EXPECT_EQ(Value(result, "h.max"), 10);
  EXPECT_EQ(Value(result, "h.median"), 2);
  EXPECT_EQ(Value(result, "h.avg"), 4);
  EXPECT_DOUBLE_EQ(Value(result, "h.count"), 0.6);
  EXPECT_EQ(Find(result, "h.count")->type, SeriesType::kRate);
  EXPECT_EQ(Find(result, "h.max")->type, SeriesType::kGauge);
  EXPECT_EQ(Value(result, "h.95percentile"), 10);
  EXPECT_EQ(Find(result, "h.95percentile")->type, SeriesType::kGauge);
}

TEST_F(TimeSamplerTest, F06HistogramWithSampleRates) {
  Make({.histogram_aggregates = {"max", "min", "median", "avg", "sum", "count"},
        .histogram_percentiles = {"0.20", "0.95", "0.80"}},
       {});
  Send("h:1|h", 50);
  Send("h:2|h|@0.5", 50);
  Send("h:3|h|@0.2", 50);
  Send("h:10|h|@0.5", 50);
  const FlushResult result = Flush(60);
  ASSERT_THAT(result.series, SizeIs(9));
  EXPECT_EQ(Value(result, "h.max"), 10);
  EXPECT_EQ(Value(result, "h.min"), 1);
  EXPECT_EQ(Value(result, "h.median"), 3);
  EXPECT_EQ(Value(result, "h.avg"), 4);
  EXPECT_EQ(Value(result, "h.sum"), 40);
  EXPECT_EQ(Value(result, "h.count"), 1.0);
  EXPECT_EQ(Value(result, "h.20percentile"), 2);
  EXPECT_EQ(Value(result, "h.80percentile"), 3);
  EXPECT_EQ(Value(result, "h.95percentile"), 10);
}

TEST_F(TimeSamplerTest, F07HistogramOfOneToHundredTwentyTimes) {
  Make({.histogram_aggregates = {"max", "median", "avg", "count", "min"},
        .histogram_percentiles = {"0.95", "0.80"}},
       {});
  for (int i = 100; i >= 1; --i) {
    for (int j = 0; j < 20; ++j) {
      Send("h:" + std::to_string(i) + "|h", 55);
    }
  }
  const FlushResult result = Flush(60);
  ASSERT_THAT(result.series, SizeIs(7));
  EXPECT_EQ(Value(result, "h.max"), 100);
  EXPECT_EQ(Value(result, "h.median"), 50);
  // The spec table says 50: the Agent's test compares within its epsilon; the exact average of
  // 1..100 is 50.5.
  EXPECT_DOUBLE_EQ(Value(result, "h.avg"), 50.5);
  EXPECT_EQ(Value(result, "h.count"), 200);
  EXPECT_EQ(Value(result, "h.min"), 1);
  EXPECT_EQ(Value(result, "h.80percentile"), 80);
  EXPECT_EQ(Value(result, "h.95percentile"), 95);
}

TEST(HistogramPercentilesTest, F08ParsesLikeTheAgent) {
  EXPECT_THAT(ParseHistogramPercentiles({"0.95", "0.96", "0.28", "0.57", "0.58"}),
              ElementsAre(95, 96, 28, 57, 58));
  EXPECT_THAT(ParseHistogramPercentiles({"0.95", "test", "0.12test", "0.22", "200", "-50"}),
              ElementsAre(95, 22));
  EXPECT_THAT(ParseHistogramPercentiles({"0", "1", "0.5"}), ElementsAre(0, 100, 50));
}

TEST_F(TimeSamplerTest, F09CustomAggregatesSkipUnknownNames) {
  Make({.histogram_aggregates = {"min", "sum", "invalid"}, .histogram_percentiles = {}}, {});
  for (const char* value : {"1", "10", "4", "5", "2", "2"}) {
    Send(std::string("h:") + value + "|h", 50);
  }
  const FlushResult result = Flush(60);
  EXPECT_THAT(Names(result), UnorderedElementsAre("h.min", "h.sum"));
  EXPECT_EQ(Value(result, "h.min"), 1);
  EXPECT_EQ(Value(result, "h.sum"), 24);
}

TEST_F(TimeSamplerTest, F10DistributionBucketsBecomeSketchPoints) {
  Send("d:1|d", 10001);
  Send("d:2|d", 10002);
  Send("d:1|d", 10011);
  Send("d:2|d", 10012);
  Send("d:1|d", 10021);
  FlushResult result = Flush(10020);
  EXPECT_THAT(result.series, IsEmpty());
  ASSERT_THAT(result.sketches, SizeIs(1));
  const SketchSerie& sketch = result.sketches[0];
  EXPECT_EQ(sketch.name, "d");
  EXPECT_EQ(sketch.host, "");
  ASSERT_THAT(sketch.points, SizeIs(2));
  for (size_t i = 0; i < 2; ++i) {
    const SketchPoint& point = sketch.points[i];
    EXPECT_EQ(point.timestamp, i == 0 ? 10000 : 10010);
    EXPECT_EQ(point.count, 2);
    EXPECT_EQ(point.min, 1);
    EXPECT_EQ(point.max, 2);
    EXPECT_EQ(point.sum, 3);
    EXPECT_EQ(point.avg, 1.5);
    EXPECT_THAT(point.keys, ElementsAre(1338, 1383));  // G01
    EXPECT_THAT(point.counts, ElementsAre(1u, 1u));
  }
  // 10020 was pending.
  result = Flush(10030);
  ASSERT_THAT(result.sketches, SizeIs(1));
  ASSERT_THAT(result.sketches[0].points, SizeIs(1));
  EXPECT_EQ(result.sketches[0].points[0].timestamp, 10020);
  EXPECT_EQ(result.sketches[0].points[0].count, 1);
}

TEST_F(TimeSamplerTest, F11CounterSampleRate) {
  Send("page.views:1|c|@0.5", 100);
  EXPECT_DOUBLE_EQ(Value(Flush(110), "page.views"), 0.2);
}

TEST_F(TimeSamplerTest, F12PackedCounterValues) {
  Send("c:1:2:3|c", 100);
  EXPECT_DOUBLE_EQ(Value(Flush(110), "c"), 0.6);
}

TEST_F(TimeSamplerTest, F13SetCountsUniqueValues) {
  Send("s:a|s", 100);
  Send("s:b|s", 101);
  Send("s:a|s", 102);
  const FlushResult result = Flush(110);
  EXPECT_EQ(Value(result, "s"), 2);
  EXPECT_EQ(Find(result, "s")->type, SeriesType::kGauge);
}

// Histogram and set buffers are compacted (equal values merged) before they grow. The flushed
// aggregates must be exactly what the uncompacted samples give: checked against a direct
// computation of the Agent's formulas (§7.2, histogram.go) over every sample, for enough samples
// with repeated values and mixed weights to compact many times.
TEST_F(TimeSamplerTest, CompactedHistogramAndSetFlushExactlyAsEverySampleWould) {
  Make({.histogram_aggregates = {"max", "min", "median", "avg", "sum", "count"},
        .histogram_percentiles = {"0.20", "0.50", "0.95", "0.99"}},
       {});
  std::mt19937 random(7);
  const std::vector<std::string> rates = {"1", "0.5", "0.25", "0.3"};
  std::vector<std::pair<double, int64_t>> all;
  double sum = 0;
  std::set<std::string> members;
  for (int i = 0; i < 20000; ++i) {
    // Mostly 41 repeated values, some rare ones, so compaction both merges and keeps growing.
    const int pick = static_cast<int>(random() % 1000);
    const std::string value = pick < 950 ? std::to_string(pick % 41) : std::to_string(pick) + ".5";
    const std::string& rate = rates[random() % rates.size()];
    Send("h:" + value + "|h|@" + rate, 100);
    const double v = std::stod(value);
    const double r = std::stod(rate);
    all.emplace_back(v, static_cast<int64_t>(1 / r));
    sum += v * (1 / r);
    const std::string member = "m" + std::to_string(random() % 300);
    Send("s:" + member + "|s", 100);
    members.insert(member);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  int64_t count = 0;
  for (const auto& sample : all) {
    count += sample.second;
  }
  const auto first_above = [&all](int64_t target) {
    int64_t cumulative = 0;
    for (const auto& [v, w] : all) {
      cumulative += w;
      if (cumulative > target) {
        return v;
      }
    }
    return std::numeric_limits<double>::quiet_NaN();
  };

  const FlushResult result = Flush(110);
  EXPECT_EQ(Value(result, "h.max"), all.back().first);
  EXPECT_EQ(Value(result, "h.min"), all.front().first);
  EXPECT_EQ(Value(result, "h.median"), first_above((count - 1) / 2));
  EXPECT_EQ(Value(result, "h.avg"), sum / static_cast<double>(count));
  EXPECT_EQ(Value(result, "h.sum"), sum);
  EXPECT_EQ(Value(result, "h.count"), static_cast<double>(count) / 10);
  EXPECT_EQ(Value(result, "h.20percentile"), first_above((20 * count - 1) / 100));
  EXPECT_EQ(Value(result, "h.50percentile"), first_above((50 * count - 1) / 100));
  EXPECT_EQ(Value(result, "h.95percentile"), first_above((95 * count - 1) / 100));
  EXPECT_EQ(Value(result, "h.99percentile"), first_above((99 * count - 1) / 100));
  EXPECT_EQ(Value(result, "s"), static_cast<double>(members.size()));
}

// With a memory limit the histogram values and set members buffered across open buckets are
// bounded: past the bound new ones are dropped and counted, repeated values still merge, and a
// flushed bucket gives its share back.
TEST_F(TimeSamplerTest, BufferedValuesAreBoundedDroppedAndCountedThenFreedByTheFlush) {
  Make({.histogram_aggregates = {"max", "count"}, .max_buffered_values = 100}, {});
  for (int i = 0; i < 80; ++i) {
    Send("h:" + std::to_string(i) + "|h", 100);
  }
  for (int i = 0; i < 50; ++i) {
    Send("s:m" + std::to_string(i) + "|s", 101);
  }
  EXPECT_EQ(sampler_->buffered_values(), 100u);
  EXPECT_EQ(Dropped("buffer_full"), 30);
  // At the bound every new value is dropped, even one equal to a buffered value (finding it would
  // cost a search per sample).
  Send("h:1000|h", 102);
  EXPECT_EQ(Dropped("buffer_full"), 31);

  FlushResult result = Flush(110);
  EXPECT_EQ(Value(result, "h.max"), 79);   // 1000 was dropped.
  EXPECT_EQ(Value(result, "h.count"), 8);  // 80 kept samples / 10 s.
  EXPECT_EQ(Value(result, "s"), 20);
  EXPECT_EQ(sampler_->buffered_values(), 0u);

  // The next bucket has the whole bound again; equal values merge instead of counting each.
  for (int i = 0; i < 1000; ++i) {
    Send("h:" + std::to_string(i % 10) + "|h", 112);
  }
  EXPECT_EQ(Dropped("buffer_full"), 31);
  result = Flush(130);
  EXPECT_EQ(Value(result, "h.max"), 9);
  EXPECT_EQ(Value(result, "h.count"), 100);
}

TEST_F(TimeSamplerTest, ContextsAndValuesAreChargedToTheirSharesAndRefusedWhenTheyAreFull) {
  // Room for 256 contexts (one chunk) and 4096 buffered values (one chunk).
  runtime::MemoryShare& contexts =
      account_.AddShare("dogstatsd.contexts", 256 * ContextResolver::kBytesPerContext);
  runtime::MemoryShare& values = account_.AddShare("dogstatsd.values", 4096 * 32);
  Make({.histogram_aggregates = {"count"},
        .histogram_percentiles = {},
        .contexts_share = &contexts,
        .values_share = &values},
       {});
  for (int i = 0; i < 300; ++i) {
    Send("c" + std::to_string(i) + ":1|c", 100);
  }
  EXPECT_EQ(sampler_->context_count(), 256u);
  EXPECT_EQ(Dropped("context_limit"), 44);
  EXPECT_EQ(contexts.used(), 256 * ContextResolver::kBytesPerContext);
  Send("c0:1|c", 100);  // A known context is never refused.
  EXPECT_EQ(Dropped("context_limit"), 44);

  Make({.histogram_aggregates = {"count"},
        .histogram_percentiles = {},
        .contexts_share = &contexts,
        .values_share = &values},
       {});
  EXPECT_EQ(contexts.used(), 0u);  // The old sampler gave its charge back.
  for (int i = 0; i < 5000; ++i) {
    Send("h:" + std::to_string(i) + "|h", 100);
  }
  EXPECT_EQ(sampler_->buffered_values(), 4096u);
  EXPECT_EQ(Dropped("buffer_full"), 5000 - 4096);
  EXPECT_EQ(values.used(), 4096u * 32);
  FlushResult result = Flush(110);
  EXPECT_EQ(Value(result, "h.count"), 409.6);
  EXPECT_EQ(values.used(), 0u);  // Flushed buffers give their charge back.
  // 20 s idle: the context expires and its chunk goes back too.
  Flush(140);
  EXPECT_EQ(sampler_->context_count(), 0u);
  EXPECT_EQ(contexts.used(), 0u);
}

TEST_F(TimeSamplerTest, APieceWiseFlushHandsOverEverySerieOnceInOrderWithinThePieceSize) {
  Make({.histogram_aggregates = {"max", "count"}}, {});
  for (int i = 0; i < 10; ++i) {
    Send("g" + std::to_string(i) + ":" + std::to_string(i) + "|g", 100);
  }
  Send("h:1|h", 101);  // Three series (max, count, 95percentile) from one context.
  Send("c:5|c", 101);
  std::vector<std::vector<std::string>> pieces;
  FlushResult rest = sampler_->Flush(110, false, 4, [&pieces](std::span<const Serie> series) {
    pieces.push_back({});
    for (const Serie& serie : series) {
      pieces.back().push_back(serie.name);
    }
  });
  ASSERT_THAT(pieces, SizeIs(4));
  EXPECT_THAT(pieces[0], ElementsAre("g0", "g1", "g2", "g3"));
  EXPECT_THAT(pieces[1], ElementsAre("g4", "g5", "g6", "g7"));
  // A piece is handed over after the context that filled it, whole.
  EXPECT_THAT(pieces[2], ElementsAre("g8", "g9", "h.max", "h.count", "h.95percentile"));
  // The last, shorter piece too: the result keeps only what is not a bucket's serie.
  EXPECT_THAT(pieces[3], ElementsAre("c"));
  EXPECT_THAT(rest.series, IsEmpty());

  // Two buckets closing at once merge their points into one serie per context: no pieces.
  Send("g0:1|g", 120);
  Send("g0:2|g", 130);
  pieces.clear();
  rest = sampler_->Flush(150, false, 1, [&pieces](std::span<const Serie> series) {
    pieces.push_back({});
    for (const Serie& serie : series) {
      pieces.back().push_back(serie.name);
    }
  });
  EXPECT_THAT(pieces, IsEmpty());
  ASSERT_NE(Find(rest, "g0"), nullptr);
  EXPECT_EQ(PointsOf(*Find(rest, "g0")), (Points{{120, 1}, {130, 2}}));
}

// Pieces reuse the storage of the series handed over before them: a long name or many tags must
// not leak into the shorter serie that takes its place, over several flushes.
TEST_F(TimeSamplerTest, PieceWiseSeriesEqualAWholeFlushOfTheSameLines) {
  const auto send_bucket = [this](TimeSampler& sampler, double now) {
    for (int i = 0; i < 40; ++i) {
      std::string line = (i % 3 == 0 ? "a.rather.long.metric.name.number." : "m") +
                         std::to_string(i) + ":" + std::to_string(i + 1) +
                         (i % 4 == 0 ? "|c" : (i % 4 == 1 ? "|g" : (i % 4 == 2 ? "|h" : "|ms")));
      if (i % 5 != 0) {
        line += "|#k:" + std::to_string(i);
        for (int t = 0; t < i % 7; ++t) {
          line += ",tag.with.a.long.enough.value.to.leave.sso:" + std::to_string(t);
        }
      }
      const ParseResult result = parser_.Parse(line);
      ASSERT_TRUE(std::holds_alternative<MetricSample>(result)) << line;
      for (const EnrichedSample& enriched : enricher_->Enrich(std::get<MetricSample>(result))) {
        sampler.Add(enriched, now);
      }
    }
  };
  TimeSampler whole(TimeSamplerConfig{}, stats_);
  std::vector<Serie> expected;
  std::vector<Serie> handed_over;
  for (const double bucket : {100.0, 110.0, 120.0}) {
    send_bucket(whole, bucket);
    FlushResult all = whole.Flush(bucket + 10, false);
    expected.insert(expected.end(), all.series.begin(), all.series.end());

    send_bucket(*sampler_, bucket);
    const FlushResult rest =
        sampler_->Flush(bucket + 10, false, 3, [&handed_over](std::span<const Serie> piece) {
          EXPECT_LE(piece.size(), 3u + 5u);  // A histogram's five series may overrun a piece.
          handed_over.insert(handed_over.end(), piece.begin(), piece.end());
        });
    EXPECT_THAT(rest.series, IsEmpty());
  }
  ASSERT_GT(expected.size(), 100u);
  ASSERT_EQ(handed_over.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(handed_over[i].name, expected[i].name);
    EXPECT_EQ(handed_over[i].host, expected[i].host);
    EXPECT_EQ(handed_over[i].tags, expected[i].tags);
    EXPECT_EQ(handed_over[i].type, expected[i].type);
    EXPECT_EQ(handed_over[i].interval, expected[i].interval);
    EXPECT_EQ(PointsOf(handed_over[i]), PointsOf(expected[i]));
  }
}

// The pipeline flushes in steps and aggregates the lines that arrive between them: those lines
// belong to the open bucket and the next flush, whatever context they hit.
TEST_F(TimeSamplerTest, SamplesAddedBetweenFlushStepsGoToTheNextFlush) {
  for (int i = 0; i < 6; ++i) {
    Send("g" + std::to_string(i) + ":" + std::to_string(i) + "|g", 100);
  }
  Send("c:5|c", 101);
  sampler_->BeginFlush(110, false);
  EXPECT_TRUE(sampler_->flushing());
  std::vector<std::string> names;
  const auto take = [&names](std::span<const Serie> piece) {
    for (const Serie& serie : piece) {
      names.push_back(serie.name);
      EXPECT_EQ(serie.points.size(), 1u);
      EXPECT_EQ(serie.points[0].timestamp, 100);
    }
  };
  ASSERT_FALSE(sampler_->ContinueFlush(2, take));
  // A context being flushed, the counter, and a context new during the flush.
  Send("g0:50|g", 111);
  Send("c:7|c", 111);
  Send("fresh:1|g", 111);
  while (!sampler_->ContinueFlush(2, take)) {
  }
  const FlushResult rest = sampler_->EndFlush();
  EXPECT_FALSE(sampler_->flushing());
  EXPECT_THAT(rest.series, IsEmpty());
  EXPECT_THAT(names, ElementsAre("g0", "g1", "g2", "g3", "g4", "g5", "c"));

  const FlushResult next = Flush(120);
  EXPECT_EQ(Value(next, "g0"), 50);
  EXPECT_EQ(Value(next, "c"), 0.7);
  EXPECT_EQ(Value(next, "fresh"), 1);
  ASSERT_NE(Find(next, "c"), nullptr);
  EXPECT_EQ(Find(next, "c")->points[0].timestamp, 110);
}

// Zero-fill decisions are taken when a flush begins: a counter whose zero-fill expires in this
// flush but that is sampled again before it ends keeps being zero-filled afterwards.
TEST_F(TimeSamplerTest, ACounterSampledDuringTheFlushThatExpiresItKeepsItsZeros) {
  Make({.counter_expiry_seconds = 20, .context_expiry_seconds = 300}, {});
  Send("c:1|c", 100);
  Flush(110);
  Flush(120);                        // A zero.
  sampler_->BeginFlush(130, false);  // 100 + 20 <= 120: no zero for bucket 120, expired.
  Send("c:2|c", 131);
  while (!sampler_->ContinueFlush(100, [](std::span<const Serie>) {})) {
  }
  sampler_->EndFlush();
  const FlushResult with_sample = Flush(140);
  EXPECT_EQ(Value(with_sample, "c"), 0.2);
  const FlushResult zero = Flush(150);
  EXPECT_EQ(Value(zero, "c"), 0);
}

// FlushResult-returning Flush() is BeginFlush, every step and EndFlush; EndFlush alone finishes
// what the steps left.
TEST_F(TimeSamplerTest, EndFlushEmitsWhatTheStepsLeft) {
  for (int i = 0; i < 5; ++i) {
    Send("g" + std::to_string(i) + ":1|g", 100);
  }
  sampler_->BeginFlush(110, false);
  size_t handed_over = 0;
  ASSERT_FALSE(sampler_->ContinueFlush(
      2, [&handed_over](std::span<const Serie> piece) { handed_over += piece.size(); }));
  const FlushResult rest = sampler_->EndFlush();
  EXPECT_EQ(handed_over, 2u);
  EXPECT_THAT(Names(rest), ElementsAre("g2", "g3", "g4"));
  EXPECT_THAT(Flush(120).series, IsEmpty());
}

TEST_F(TimeSamplerTest, F14TagOrderDoesNotMakeANewContext) {
  Send("m:1|g|#b,a", 100);
  Send("m:2|g|#a,b", 101);
  const FlushResult result = Flush(110);
  ASSERT_THAT(result.series, SizeIs(1));
  EXPECT_EQ(Value(result, "m"), 2);
  EXPECT_THAT(result.series[0].tags, ElementsAre("a", "b"));
  EXPECT_EQ(sampler_->context_count(), 1u);
}

TEST_F(TimeSamplerTest, F15TimestampedCounterSkipsAggregation) {
  Send("page.views:15|c|#env:dev|T1656581400", 1700000003);
  EXPECT_EQ(sampler_->context_count(), 0u);
  // Handed over at the next flush although no bucket closed.
  const FlushResult result = Flush(1700000004);
  ASSERT_THAT(result.series, SizeIs(1));
  const Serie& serie = result.series[0];
  EXPECT_EQ(serie.name, "page.views");
  EXPECT_EQ(serie.type, SeriesType::kRate);
  EXPECT_EQ(serie.interval, 10);
  EXPECT_THAT(serie.tags, ElementsAre("env:dev"));
  EXPECT_THAT(PointsOf(serie), ElementsAre(Pair(1656581400, 1.5)));
  EXPECT_THAT(Flush(1700000005).series, IsEmpty());
}

TEST_F(TimeSamplerTest, F15TimestampedCounterIgnoresTheSampleRate) {
  Send("c:15|c|@0.5|T1656581400", 1700000003);
  EXPECT_EQ(Value(Flush(1700000004), "c"), 1.5);
}

TEST_F(TimeSamplerTest, F16TimestampedHistogramIsDropped) {
  Send("lat:5|h|T1700000000", 1700000003);
  Send("d:5|d|T1700000000", 1700000003);
  Send("s:x|s|T1700000000", 1700000003);
  Send("t:5:6|ms|T1700000000", 1700000003);
  const FlushResult result = Flush(1700000100, /*force=*/true);
  EXPECT_THAT(result.series, IsEmpty());
  EXPECT_THAT(result.sketches, IsEmpty());
  EXPECT_EQ(Dropped(kDropNoAggUnsupportedType), 5);
}

TEST_F(TimeSamplerTest, F17TimestampedGaugesAreNotDeduplicated) {
  Send("g:1|g|T1700000000", 1700000003);
  Send("g:1|g|T1700000000", 1700000003);
  const FlushResult result = Flush(1700000004);
  ASSERT_THAT(result.series, SizeIs(2));
  for (const Serie& serie : result.series) {
    EXPECT_EQ(serie.type, SeriesType::kGauge);
    EXPECT_THAT(PointsOf(serie), ElementsAre(Pair(1700000000, 1.0)));
  }
}

// ---------------------------------------------------------------------------------------------
// Formulas (§7.3)

TEST_F(TimeSamplerTest, GaugeKeepsTheLastValueAndIgnoresTheRate) {
  Send("g:5|g|@0.1", 100);
  Send("g:-3|g|@0.5", 101);
  EXPECT_EQ(Value(Flush(110), "g"), -3);
}

TEST_F(TimeSamplerTest, CounterSumsValueOverRate) {
  Send("c:1|c|@0.25", 100);
  Send("c:3|c", 101);
  Send("c:2|c|@0.5", 102);
  EXPECT_DOUBLE_EQ(Value(Flush(110), "c"), (4 + 3 + 4) / 10.0);
}

TEST_F(TimeSamplerTest, CounterRateIsNotValidated) {  // `@0` gives Inf, as in the Agent.
  Send("c:1|c|@0", 100);
  EXPECT_TRUE(std::isinf(Value(Flush(110), "c")));
}

TEST_F(TimeSamplerTest, SetIgnoresTheRateAndStartsOverEachBucket) {
  Send("s:a|s|@0.1", 100);
  Send("s:b|s", 111);
  FlushResult result = Flush(130);
  EXPECT_THAT(PointsOf(*Find(result, "s")), ElementsAre(Pair(100, 1.0), Pair(110, 1.0)));
}

TEST_F(TimeSamplerTest, HistogramWeightIsTruncated) {
  Make({.histogram_aggregates = {"count", "sum", "avg"}, .histogram_percentiles = {}}, {});
  Send("a:10|h|@0.3", 100);  // weight int64(3.33) = 3, sum 33.3
  Send("b:10|h|@2", 100);    // weight int64(0.5) = 0
  Send("c:10|h|@0", 100);    // rate 0 counts as 1
  const FlushResult result = Flush(110);
  EXPECT_DOUBLE_EQ(Value(result, "a.count"), 0.3);
  EXPECT_DOUBLE_EQ(Value(result, "a.sum"), 10 / 0.3);
  EXPECT_DOUBLE_EQ(Value(result, "a.avg"), 10 / 0.3 / 3);
  EXPECT_DOUBLE_EQ(Value(result, "b.count"), 0);
  EXPECT_DOUBLE_EQ(Value(result, "b.sum"), 5);
  EXPECT_DOUBLE_EQ(Value(result, "c.count"), 0.1);
}

TEST_F(TimeSamplerTest, TimingIsAHistogram) {
  Send("t:3|ms", 100);
  Send("t:1|ms", 101);
  const FlushResult result = Flush(110);
  EXPECT_EQ(Value(result, "t.max"), 3);
  EXPECT_EQ(Value(result, "t.avg"), 2);
  EXPECT_DOUBLE_EQ(Value(result, "t.count"), 0.2);
}

TEST_F(TimeSamplerTest, HistogramIsOneContextAcrossBuckets) {
  Send("h:1|h", 100);
  Send("h:3|h", 110);
  const FlushResult result = Flush(120);
  EXPECT_THAT(PointsOf(*Find(result, "h.max")), ElementsAre(Pair(100, 1.0), Pair(110, 3.0)));
}

TEST_F(TimeSamplerTest, DistributionSampleRateAndNan) {  // §8.1, G02
  Send("d:3.5|d|@0.5", 100);
  Send("d:nan|d", 100);
  Send("d:+Inf|d", 100);
  const FlushResult result = Flush(110);
  ASSERT_THAT(result.sketches, SizeIs(1));
  const SketchPoint& point = result.sketches[0].points[0];
  EXPECT_EQ(point.count, 2);
  EXPECT_EQ(point.sum, 7);
  EXPECT_THAT(point.keys, ElementsAre(1419));
  EXPECT_THAT(point.counts, ElementsAre(2u));
  EXPECT_EQ(Dropped(kDropNanOrInf), 2);
}

TEST_F(TimeSamplerTest, NanAndInfAreDroppedAndCounted) {
  Send("g:NaN|g", 100);
  Send("c:Inf:1|c", 100);
  Send("h:-Inf|h", 100);
  const FlushResult result = Flush(110);
  EXPECT_THAT(Names(result), ElementsAre("c"));
  EXPECT_DOUBLE_EQ(Value(result, "c"), 0.1);
  EXPECT_EQ(Dropped(kDropNanOrInf), 3);
}

TEST_F(TimeSamplerTest, TypeIsNotPartOfTheContext) {  // §7.2: the first type's aggregator wins.
  Send("m:5|g", 100);
  Send("m:2|c", 101);
  const FlushResult result = Flush(110);
  ASSERT_THAT(result.series, SizeIs(1));
  EXPECT_EQ(result.series[0].type, SeriesType::kGauge);
  EXPECT_EQ(result.series[0].points[0].value, 2);
}

// ---------------------------------------------------------------------------------------------
// Flushing, expiry and limits

TEST_F(TimeSamplerTest, ForceFlushIncludesTheOpenBucket) {  // Contract: nothing lost at stop.
  Send("g:1|g", 105);
  Send("c:4|c", 115);
  // Bucket 110 is open. (Bucket 100 also gets the counter's 0, as in the Agent: zero-fill goes by
  // the counter's last sample time, not its first.)
  const FlushResult first = Flush(115);
  EXPECT_THAT(Names(first), UnorderedElementsAre("g", "c"));
  EXPECT_THAT(PointsOf(*Find(first, "c")), ElementsAre(Pair(100, 0.0)));
  const FlushResult last = Flush(116, /*force=*/true);
  ASSERT_THAT(last.series, SizeIs(1));
  EXPECT_THAT(PointsOf(*Find(last, "c")), ElementsAre(Pair(110, DoubleNear(0.4, 1e-12))));
  EXPECT_EQ(sampler_->bucket_count(), 0u);
}

TEST_F(TimeSamplerTest, NonForcedFlushKeepsOpenBuckets) {
  Send("g:1|g", 105);
  EXPECT_THAT(Flush(109).series, IsEmpty());
  EXPECT_THAT(Flush(110).series, SizeIs(1));
}

TEST_F(TimeSamplerTest, IdleContextsExpireAfterTwentySeconds) {
  Send("g:1|g", 100);
  Send("h:1|h", 100);
  Flush(110);
  EXPECT_EQ(sampler_->context_count(), 2u);
  Flush(120);
  EXPECT_EQ(sampler_->context_count(), 2u);
  Flush(121);
  EXPECT_EQ(sampler_->context_count(), 0u);
  // A context coming back is aggregated again.
  Send("g:7|g", 130);
  EXPECT_EQ(Value(Flush(140), "g"), 7);
}

TEST_F(TimeSamplerTest, CounterContextsLiveWhileZeroFilled) {
  Send("c:1|c", 100);
  for (int t = 110; t <= 400; t += 10) {
    const FlushResult result = Flush(t);
    ASSERT_THAT(result.series, SizeIs(1)) << t;
  }
  EXPECT_EQ(sampler_->context_count(), 1u);
  EXPECT_THAT(Flush(410).series, IsEmpty());  // 100 + 300 is not after 400.
  EXPECT_EQ(sampler_->context_count(), 0u);
}

TEST_F(TimeSamplerTest, ContextLimitDropsNewContextsAndCountsThem) {
  Make({.max_contexts = 2}, {});
  Send("a:1|g", 100);
  Send("b:1|g", 100);
  Send("c:1:2|g", 100);  // Two values dropped.
  Send("a:2|g", 101);    // Known contexts still aggregate.
  const FlushResult result = Flush(110);
  EXPECT_THAT(Names(result), UnorderedElementsAre("a", "b"));
  EXPECT_EQ(Value(result, "a"), 2);
  EXPECT_EQ(Dropped(kDropContextLimit), 2);
  EXPECT_EQ(registry_.ValueOf(kContexts), 2);
}

TEST_F(TimeSamplerTest, EventsAndServiceChecksAreBufferedUntilTheNextFlush) {
  Send("_e{5,4}:title|text", 1234.7);
  Send("_e{1,1}:a|b|d:42", 1234.7);
  Send("_sc|check|1", 1235.2);
  const FlushResult result = Flush(1236);
  ASSERT_THAT(result.events, SizeIs(2));
  EXPECT_EQ(result.events[0].timestamp, 1234);  // ts 0 -> now.
  EXPECT_EQ(result.events[1].timestamp, 42);
  ASSERT_THAT(result.service_checks, SizeIs(1));
  EXPECT_EQ(result.service_checks[0].timestamp, 1235);
  EXPECT_EQ(result.service_checks[0].status, 1);
  const FlushResult next = Flush(1237);
  EXPECT_THAT(next.events, IsEmpty());
  EXPECT_THAT(next.service_checks, IsEmpty());
}

TEST_F(TimeSamplerTest, BuffersAreBounded) {
  Make({.max_buffered_items = 1}, {});
  Send("_e{1,1}:a|b", 100);
  Send("_e{1,1}:a|b", 100);
  Send("g:1|g|T100", 100);
  Send("g:1|g|T100", 100);
  const FlushResult result = Flush(101);
  EXPECT_THAT(result.events, SizeIs(1));
  EXPECT_THAT(result.series, SizeIs(1));
  EXPECT_EQ(Dropped(kDropBufferFull), 2);
}

// ---------------------------------------------------------------------------------------------
// Enrichment seen through the sampler (§14.E, contract decisions)

TEST_F(TimeSamplerTest, E07DogstatsdTagsOnEveryValue) {
  Make({}, {.dogstatsd_tags = {"sometag3:somevalue3"}});
  Send("daemon:666:500|g|#sometag1:somevalue1,sometag2:somevalue2", 100);
  const FlushResult result = Flush(110);
  ASSERT_THAT(result.series, SizeIs(1));
  EXPECT_THAT(result.series[0].tags,
              ElementsAre("sometag1:somevalue1", "sometag2:somevalue2", "sometag3:somevalue3"));
  EXPECT_EQ(result.series[0].points[0].value, 500);
}

TEST_F(TimeSamplerTest, E08HistogramAndDistributionCopy) {
  Make({},
       {.histogram_copy_to_distribution = true, .histogram_copy_to_distribution_prefix = "dist."});
  Send("daemon:666|h|#a", 100);
  const FlushResult result = Flush(110);
  EXPECT_EQ(Value(result, "daemon.max"), 666);
  ASSERT_THAT(result.sketches, SizeIs(1));
  EXPECT_EQ(result.sketches[0].name, "dist.daemon");
  EXPECT_THAT(result.sketches[0].tags, ElementsAre("a"));
}

TEST_F(TimeSamplerTest, E10SidecarHostAndStaticTags) {
  origins_.SetTaskTags({"task_arn:arn:aws:ecs:1"});
  Make({}, {.default_host = "", .static_tags = {"team:a"}});
  Send("m:1|g", 100);
  const FlushResult result = Flush(110);
  ASSERT_THAT(result.series, SizeIs(1));
  EXPECT_EQ(result.series[0].host, "");
  EXPECT_THAT(result.series[0].tags, ElementsAre("task_arn:arn:aws:ecs:1", "team:a"));
}

TEST_F(TimeSamplerTest, ClientEnvWinsOverSidecarEnv) {  // Contract: never two env values.
  Make({}, {.static_tags = {"env:static"}, .env = "prod"});
  Send("m:1|g|#env:dev", 100);
  Send("n:1|g", 100);
  const FlushResult result = Flush(110);
  EXPECT_THAT(Find(result, "m")->tags, ElementsAre("env:dev"));
  EXPECT_THAT(Find(result, "n")->tags, ElementsAre("env:prod"));
}

TEST_F(TimeSamplerTest, HostTagSplitsContexts) {  // E01 + §7.2: the host is part of the key.
  Send("m:1|g|#host:a", 100);
  Send("m:2|g|#host:b", 100);
  const FlushResult result = Flush(110);
  ASSERT_THAT(result.series, SizeIs(2));
  EXPECT_THAT((std::vector<std::string>{result.series[0].host, result.series[1].host}),
              UnorderedElementsAre("a", "b"));
}

}  // namespace
}  // namespace sidecar::statsd
