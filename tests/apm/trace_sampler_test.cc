#include "apm/trace_sampler.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/manual_clock.h"

namespace sidecar::apm {
namespace {

using std::chrono::milliseconds;

// A chunk of `n` spans of service "web" under one root (index 0).
TraceChunk MakeChunk(int32_t priority, int n = 1, uint64_t trace_id = 1) {
  TraceChunk chunk;
  chunk.set_priority(priority);
  for (int i = 0; i < n; ++i) {
    Span* span = chunk.add_spans();
    span->set_service("web");
    span->set_name(i == 0 ? "http.request" : "db.query");
    span->set_resource("GET /");
    span->set_traceid(trace_id);
    span->set_spanid(static_cast<uint64_t>(i) + 1);
    span->set_parentid(i == 0 ? 0 : 1);
  }
  return chunk;
}

class TraceSamplerTest : public ::testing::Test {
 protected:
  testing::ManualClock clock_;
};

// S1: priority 2 is kept and not counted in the rate loop.
TEST_F(TraceSamplerTest, UserKeepIsKeptWithoutCounting) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityUserKeep);
  const SamplingDecision decision = sampler.Sample(chunk, 0, "prod", 0);
  EXPECT_TRUE(decision.keep);
  EXPECT_EQ(decision.mechanism, kMechanismPriority);
  EXPECT_FALSE(chunk.droppedtrace());
  EXPECT_EQ(sampler.Priority().Core().Size(), 0u);
}

// S1: priority −1 is dropped, even with an error.
TEST_F(TraceSamplerTest, UserDropIsDropped) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityUserDrop);
  chunk.mutable_spans(0)->set_error(1);
  EXPECT_FALSE(sampler.Sample(chunk, 0, "prod", 0).keep);
  EXPECT_TRUE(chunk.droppedtrace());
  EXPECT_FALSE(chunk.spans(0).metrics().contains("_dd.errors_sr"));
}

// S1: single span sampling still applies to a user drop.
TEST_F(TraceSamplerTest, UserDropStillKeepsSingleSpans) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityUserDrop, 3);
  (*chunk.mutable_spans(2)->mutable_metrics())["_dd.span_sampling.mechanism"] = 8;
  const SamplingDecision decision = sampler.Sample(chunk, 0, "prod", 0);
  EXPECT_TRUE(decision.keep);
  EXPECT_EQ(decision.mechanism, kMechanismSingleSpan);
  ASSERT_EQ(chunk.spans_size(), 1);
  EXPECT_EQ(chunk.spans(0).spanid(), 3u);
}

// S1: priority 0 without errors ⇒ droppedTrace, not uploaded.
TEST_F(TraceSamplerTest, AutoDropWithoutErrorIsDropped) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityAutoDrop, 2);
  const SamplingDecision decision = sampler.Sample(chunk, 0, "prod", 0);
  EXPECT_FALSE(decision.keep);
  EXPECT_EQ(decision.mechanism, kMechanismPriority);
  EXPECT_TRUE(chunk.droppedtrace());
  EXPECT_EQ(sampler.Priority().Core().Size(), 1u);  // P0 is counted
}

TEST_F(TraceSamplerTest, AutoKeepIsKeptAndMarked) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityAutoKeep);
  const SamplingDecision decision = sampler.Sample(chunk, 0, "prod", 0);
  EXPECT_TRUE(decision.keep);
  EXPECT_FALSE(chunk.droppedtrace());
  EXPECT_DOUBLE_EQ(chunk.spans(0).metrics().at("_sampling_priority_rate_v1"), 1);
}

// S4: a priority-0 chunk with an error goes through the errors sampler.
TEST_F(TraceSamplerTest, ErrorsSamplerCatchesDroppedErrors) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityAutoDrop, 2);
  chunk.mutable_spans(1)->set_error(1);
  const SamplingDecision decision = sampler.Sample(chunk, 0, "prod", 0);
  EXPECT_TRUE(decision.keep);
  EXPECT_EQ(decision.mechanism, kMechanismError);
  EXPECT_FALSE(chunk.droppedtrace());
  EXPECT_DOUBLE_EQ(chunk.spans(0).metrics().at("_dd.errors_sr"), 1);
}

// S4: DD_APM_ERROR_TPS=0 disables it.
TEST_F(TraceSamplerTest, ZeroErrorTpsDisablesErrorsSampler) {
  SamplerConfig config;
  config.error_tps = 0;
  TraceSampler sampler(config, clock_);
  for (int i = 0; i < 10; ++i) {
    TraceChunk chunk = MakeChunk(kPriorityAutoDrop, 1, static_cast<uint64_t>(i) + 1);
    chunk.mutable_spans(0)->set_error(1);
    EXPECT_FALSE(sampler.Sample(chunk, 0, "prod", 0).keep);
    EXPECT_FALSE(chunk.spans(0).metrics().contains("_dd.errors_sr"));
  }
}

// S5: chunks without priority go through the no-priority score sampler.
TEST_F(TraceSamplerTest, NoPriorityChunkIsScoreSampled) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityNone);
  const SamplingDecision decision = sampler.Sample(chunk, 0, "prod", 0);
  EXPECT_TRUE(decision.keep);
  EXPECT_EQ(decision.mechanism, kMechanismNoPriority);
  EXPECT_DOUBLE_EQ(chunk.spans(0).metrics().at("_dd.no_p_sr"), 1);
  EXPECT_EQ(chunk.priority(), kPriorityNone);  // left as the tracer sent it
}

// S5 at rate 0.5 (here from the tracer's _sample_rate): trace 8 kept, trace 9 dropped.
TEST_F(TraceSamplerTest, NoPriorityKeepFormulaAtHalfRate) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  for (uint64_t trace_id : {8, 9}) {
    TraceChunk chunk = MakeChunk(kPriorityNone, 1, trace_id);
    (*chunk.mutable_spans(0)->mutable_metrics())["_sample_rate"] = 0.5;
    EXPECT_EQ(sampler.Sample(chunk, 0, "prod", 0).keep, trace_id == 8) << trace_id;
  }
}

// S6: 2 of 5 spans carry a span sampling rule ⇒ a priority-2 chunk of those 2.
TEST_F(TraceSamplerTest, SingleSpanSamplingKeepsMarkedSpans) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityAutoDrop, 5);
  (*chunk.mutable_spans(1)->mutable_metrics())["_dd.span_sampling.mechanism"] = 8;
  (*chunk.mutable_spans(3)->mutable_metrics())["_dd.span_sampling.mechanism"] = 8;
  const SamplingDecision decision = sampler.Sample(chunk, 0, "prod", 0);
  EXPECT_TRUE(decision.keep);
  EXPECT_EQ(decision.mechanism, kMechanismSingleSpan);
  ASSERT_EQ(chunk.spans_size(), 2);
  EXPECT_EQ(chunk.spans(0).spanid(), 2u);
  EXPECT_EQ(chunk.spans(1).spanid(), 4u);
  EXPECT_EQ(chunk.priority(), kPriorityUserKeep);
  EXPECT_FALSE(chunk.droppedtrace());
}

TEST_F(TraceSamplerTest, KeptChunkIsNotShrunk) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityAutoKeep, 5);
  (*chunk.mutable_spans(1)->mutable_metrics())["_dd.span_sampling.mechanism"] = 8;
  EXPECT_TRUE(sampler.Sample(chunk, 0, "prod", 0).keep);
  EXPECT_EQ(chunk.spans_size(), 5);
}

// S7: the probabilistic hash, computed here byte by byte: seed 0 as 4 LE bytes, trace id
// 0x0102030405060708 as 8 BE bytes, then 8 zero bytes.
TEST(ProbabilisticSamplerTest, HashIsFnv1aOverSeedAndTraceId) {
  const std::array<uint8_t, 20> bytes = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6,
                                         7, 8, 0, 0, 0, 0, 0, 0, 0, 0};
  uint32_t expected = 2166136261u;
  for (uint8_t byte : bytes) {
    expected = (expected ^ byte) * 16777619u;
  }
  EXPECT_EQ(ProbabilisticSampler::Hash(0, 0x0102030405060708ULL), expected);
  EXPECT_EQ(expected, 0x9101777du);
  // A seed changes the hash (seed 42 = bytes 2a 00 00 00).
  EXPECT_EQ(ProbabilisticSampler::Hash(42, 0x0102030405060708ULL), 0x565f20afu);
}

// At 50% the threshold is 8192 of 16384 buckets: trace 5 hashes to bucket 8086 (kept), trace 4
// to 8329 (dropped).
TEST(ProbabilisticSamplerTest, KeepsBucketsBelowScaledPercentage) {
  ProbabilisticSampler sampler(50, 0);
  Span kept;
  kept.set_traceid(5);
  EXPECT_TRUE(sampler.Sample(kept));
  EXPECT_DOUBLE_EQ(kept.metrics().at("_dd.prob_sr"), 0.5);
  Span dropped;
  dropped.set_traceid(4);
  EXPECT_FALSE(sampler.Sample(dropped));
  EXPECT_FALSE(dropped.metrics().contains("_dd.prob_sr"));
}

TEST(ProbabilisticSamplerTest, OutOfRangePercentagesAreClamped) {
  Span span;
  span.set_traceid(5);
  EXPECT_FALSE(ProbabilisticSampler(std::numeric_limits<double>::quiet_NaN(), 0).Sample(span));
  EXPECT_FALSE(ProbabilisticSampler(-5, 0).Sample(span));
  EXPECT_TRUE(ProbabilisticSampler(250, 0).Sample(span));
  EXPECT_DOUBLE_EQ(span.metrics().at("_dd.prob_sr"), 1);
}

// S7: at 100% every chunk is kept as priority 1 with _dd.p.dm=-9 and _dd.prob_sr=1.
TEST_F(TraceSamplerTest, ProbabilisticAtHundredPercent) {
  SamplerConfig config;
  config.probabilistic_enabled = true;
  config.probabilistic_percentage = 100;
  TraceSampler sampler(config, clock_);
  TraceChunk chunk = MakeChunk(kPriorityAutoDrop, 2, 0x0102030405060708ULL);
  const SamplingDecision decision = sampler.Sample(chunk, 0, "prod", 0);
  EXPECT_TRUE(decision.keep);
  EXPECT_EQ(decision.mechanism, kMechanismProbabilistic);
  EXPECT_EQ(chunk.priority(), kPriorityAutoKeep);
  EXPECT_EQ(chunk.tags().at("_dd.p.dm"), "-9");
  EXPECT_DOUBLE_EQ(chunk.spans(0).metrics().at("_dd.prob_sr"), 1);
  EXPECT_EQ(sampler.Priority().Core().Size(), 0u);  // overrides the priority sampler
}

TEST_F(TraceSamplerTest, ProbabilisticMissFallsToErrorsSampler) {
  SamplerConfig config;
  config.probabilistic_enabled = true;
  config.probabilistic_percentage = 0;
  TraceSampler sampler(config, clock_);

  TraceChunk plain = MakeChunk(kPriorityUserKeep);
  EXPECT_FALSE(sampler.Sample(plain, 0, "prod", 0).keep);
  EXPECT_EQ(plain.priority(), kPriorityAutoDrop);  // even a user keep is overridden
  EXPECT_FALSE(plain.tags().contains("_dd.p.dm"));

  TraceChunk with_error = MakeChunk(kPriorityAutoDrop);
  with_error.mutable_spans(0)->set_error(1);
  const SamplingDecision decision = sampler.Sample(with_error, 0, "prod", 0);
  EXPECT_TRUE(decision.keep);
  EXPECT_EQ(decision.mechanism, kMechanismError);
  EXPECT_EQ(with_error.priority(), kPriorityAutoKeep);
}

TEST_F(TraceSamplerTest, ErrorTrackingStandaloneKeepsOnlyErrors) {
  SamplerConfig config;
  config.error_tracking_standalone = true;
  TraceSampler sampler(config, clock_);

  TraceChunk plain = MakeChunk(kPriorityUserKeep, 3);
  (*plain.mutable_spans(1)->mutable_metrics())["_dd.span_sampling.mechanism"] = 8;
  EXPECT_FALSE(sampler.Sample(plain, 0, "prod", 0).keep);  // no single span sampling either
  EXPECT_EQ(plain.spans_size(), 3);
  EXPECT_TRUE(plain.droppedtrace());

  TraceChunk exception = MakeChunk(kPriorityAutoDrop, 2);
  (*exception.mutable_spans(1)->mutable_meta())["_dd.span_events.has_exception"] = "true";
  EXPECT_TRUE(sampler.Sample(exception, 0, "prod", 0).keep);
  EXPECT_EQ(exception.tags().at("_dd.error_tracking_standalone.error"), "true");
  EXPECT_DOUBLE_EQ(exception.spans(0).metrics().at("_dd.errors_sr"), 1);
}

TEST_F(TraceSamplerTest, InvalidRootIndexIsRejected) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = MakeChunk(kPriorityAutoKeep);
  EXPECT_FALSE(sampler.Sample(chunk, 3, "prod", 0).keep);
  TraceChunk empty;
  EXPECT_FALSE(sampler.Sample(empty, 0, "prod", 0).keep);
}

// S2 end to end: the clock drives rotations and the response carries the rates.
TEST_F(TraceSamplerTest, PublishesRatesFromPriorityTraffic) {
  SamplerConfig config;
  config.default_env = "prod";
  TraceSampler sampler(config, clock_);
  EXPECT_EQ(sampler.CurrentRates()->body, R"({"rate_by_service":{}})");
  for (int i = 0; i < 501; ++i) {
    TraceChunk chunk = MakeChunk(kPriorityAutoKeep, 1, static_cast<uint64_t>(i) + 1);
    sampler.Sample(chunk, 0, "prod", 0);
    clock_.Advance(milliseconds(10));
  }
  const auto rates = nlohmann::json::parse(sampler.CurrentRates()->body).at("rate_by_service");
  EXPECT_NEAR(rates.at("service:web,env:prod").get<double>(), 0.1, 1e-9);
  EXPECT_NEAR(rates.at("service:web,env:").get<double>(), 0.1, 1e-9);
  EXPECT_TRUE(rates.contains("service:,env:"));
  EXPECT_FALSE(sampler.CurrentRates()->version.empty());
}

}  // namespace
}  // namespace sidecar::apm

namespace sidecar::apm {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::chrono::steady_clock::time_point kNow{std::chrono::hours(1)};

// A priority-0 chunk whose root is top-level with the given resource.
TraceChunk RareCandidate(std::string resource, int32_t priority = kPriorityAutoDrop,
                         std::string service = "web") {
  TraceChunk chunk;
  chunk.set_priority(priority);
  Span* root = chunk.add_spans();
  root->set_service(std::move(service));
  root->set_name("http.request");
  root->set_resource(std::move(resource));
  root->set_traceid(1);
  root->set_spanid(1);
  (*root->mutable_metrics())["_top_level"] = 1;
  return chunk;
}

TEST(RareSamplerTest, KeepsFirstSightingOfAShapeOnly) {
  RareSampler rare;
  TraceChunk first = RareCandidate("GET /");
  EXPECT_TRUE(rare.Sample(kNow, first, "prod"));
  EXPECT_DOUBLE_EQ(first.spans(0).metrics().at("_dd.rare"), 1);
  TraceChunk again = RareCandidate("GET /");
  EXPECT_FALSE(rare.Sample(kNow + seconds(1), again, "prod"));
  EXPECT_FALSE(again.spans(0).metrics().contains("_dd.rare"));
  TraceChunk other_env = RareCandidate("GET /");
  EXPECT_TRUE(rare.Sample(kNow + seconds(1), other_env, "dev"));
  // The 5 min cooldown passes: the shape is rare again.
  TraceChunk later = RareCandidate("GET /");
  EXPECT_TRUE(rare.Sample(kNow + minutes(6), later, "prod"));
}

TEST(RareSamplerTest, ShapesOfKeptPrioritiesAreNotRare) {
  RareSampler rare;
  TraceChunk kept = RareCandidate("GET /", kPriorityAutoKeep);
  EXPECT_FALSE(rare.Sample(kNow, kept, "prod"));
  TraceChunk dropped = RareCandidate("GET /");
  EXPECT_FALSE(rare.Sample(kNow + minutes(9), dropped, "prod"));  // 10 min for P1 shapes
  EXPECT_TRUE(rare.Sample(kNow + minutes(11), dropped, "prod"));
}

TEST(RareSamplerTest, IgnoresSpansThatAreNeitherTopLevelNorMeasured) {
  RareSampler rare;
  TraceChunk chunk = RareCandidate("GET /");
  chunk.mutable_spans(0)->mutable_metrics()->erase("_top_level");
  EXPECT_FALSE(rare.Sample(kNow, chunk, "prod"));
  (*chunk.mutable_spans(0)->mutable_metrics())["_dd.measured"] = 1;
  EXPECT_TRUE(rare.Sample(kNow, chunk, "prod"));
}

TEST(RareSamplerTest, TokenBucketLimitsBurstsThenRefills) {
  RareSampler rare;
  int kept = 0;
  for (int i = 0; i < 80; ++i) {
    TraceChunk chunk =
        RareCandidate("GET /" + std::to_string(i), kPriorityAutoDrop, "svc" + std::to_string(i));
    kept += rare.Sample(kNow, chunk, "prod") ? 1 : 0;
  }
  EXPECT_EQ(kept, 50);
  TraceChunk after = RareCandidate("GET /late");
  EXPECT_TRUE(rare.Sample(kNow + seconds(1), after, "prod"));  // 5 tokens per second
}

TEST(RareSamplerTest, ShardCountIsBounded) {
  RareSampler::Options options;
  options.max_shards = 2;
  RareSampler rare(options);
  for (const char* service : {"a", "b", "c"}) {
    TraceChunk chunk = RareCandidate("GET /", kPriorityAutoDrop, service);
    EXPECT_EQ(rare.Sample(kNow, chunk, "prod"), std::string_view(service) != "c") << service;
  }
  EXPECT_EQ(rare.ShardCount(), 2u);
}

TEST(RareSamplerTest, HighCardinalityServiceFoldsShapes) {
  RareSampler rare;
  int kept = 0;
  // 1000 resources of one service over 2000 s: tokens are not the limit, the 200-shape cap is.
  for (int i = 0; i < 1000; ++i) {
    TraceChunk chunk = RareCandidate("GET /" + std::to_string(i));
    kept += rare.Sample(kNow + seconds(2 * i), chunk, "prod") ? 1 : 0;
  }
  EXPECT_LT(kept, 1000);
  EXPECT_GE(kept, 200);
}

TEST_F(TraceSamplerTest, RareSamplerIsOffByDefault) {
  TraceSampler sampler(SamplerConfig{}, clock_);
  TraceChunk chunk = RareCandidate("GET /");
  EXPECT_FALSE(sampler.Sample(chunk, 0, "prod", 0).keep);
}

TEST_F(TraceSamplerTest, RareSamplerKeepsDroppedChunkWhenEnabled) {
  SamplerConfig config;
  config.rare_sampler_enabled = true;
  TraceSampler sampler(config, clock_);
  TraceChunk chunk = RareCandidate("GET /");
  const SamplingDecision decision = sampler.Sample(chunk, 0, "prod", 0);
  EXPECT_TRUE(decision.keep);
  EXPECT_EQ(decision.mechanism, kMechanismRare);
  EXPECT_FALSE(chunk.droppedtrace());
  EXPECT_EQ(chunk.priority(), kPriorityAutoDrop);
  TraceChunk user_drop = RareCandidate("GET /other", kPriorityUserDrop);
  EXPECT_FALSE(sampler.Sample(user_drop, 0, "prod", 0).keep);  // user drop wins
}

}  // namespace
}  // namespace sidecar::apm
