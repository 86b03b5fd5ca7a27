#include "apm/score_sampler.h"

#include <chrono>
#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace sidecar::apm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

// A bucket boundary: 3600 s is a multiple of 5 s.
constexpr TimePoint kStart{std::chrono::hours(1)};

Span MakeSpan(std::string service, std::string name, std::string resource, int32_t error = 0) {
  Span span;
  span.set_service(std::move(service));
  span.set_name(std::move(name));
  span.set_resource(std::move(resource));
  span.set_error(error);
  span.set_traceid(1);
  span.set_spanid(1);
  return span;
}

TEST(Fnv1a32Test, MatchesReferenceValues) {
  EXPECT_EQ(Fnv1a32(""), 0x811c9dc5u);
  EXPECT_EQ(Fnv1a32("a"), 0xe40c292cu);
  // Continuing a hash equals hashing the concatenation.
  EXPECT_EQ(Fnv1a32("b", Fnv1a32("a")), Fnv1a32("ab"));
}

TEST(ServiceSignatureTest, HashesServiceCommaEnv) {
  EXPECT_EQ(ComputeServiceSignature("web", "prod"), Fnv1a32("web,prod"));
  EXPECT_NE(ComputeServiceSignature("web", "prod"), ComputeServiceSignature("web", "dev"));
}

TEST(TraceSignatureTest, DuplicateSpanShapesCountOnce) {
  TraceChunk one;
  *one.add_spans() = MakeSpan("web", "http.request", "GET /");
  *one.add_spans() = MakeSpan("db", "query", "SELECT 1");
  TraceChunk two = one;
  *two.add_spans() = MakeSpan("db", "query", "SELECT 2");  // same shape: resource ignored
  EXPECT_EQ(ComputeTraceSignature(one, one.spans(0), "prod"),
            ComputeTraceSignature(two, two.spans(0), "prod"));
}

TEST(TraceSignatureTest, RootResourceErrorStatusAndEnvMatter) {
  TraceChunk base;
  *base.add_spans() = MakeSpan("web", "http.request", "GET /");
  const Signature reference = ComputeTraceSignature(base, base.spans(0), "prod");
  EXPECT_NE(ComputeTraceSignature(base, base.spans(0), "dev"), reference);

  TraceChunk other_resource = base;
  other_resource.mutable_spans(0)->set_resource("GET /users");
  EXPECT_NE(ComputeTraceSignature(other_resource, other_resource.spans(0), "prod"), reference);

  TraceChunk with_error = base;
  with_error.mutable_spans(0)->set_error(1);
  EXPECT_NE(ComputeTraceSignature(with_error, with_error.spans(0), "prod"), reference);

  TraceChunk with_status = base;
  (*with_status.mutable_spans(0)->mutable_meta())["http.status_code"] = "500";
  EXPECT_NE(ComputeTraceSignature(with_status, with_status.spans(0), "prod"), reference);
}

// S5: keep iff (trace_id × 1111111111111111111) mod 2^64 < rate × 2^64.
TEST(SampleByRateTest, KnuthHashAtHalfRate) {
  EXPECT_TRUE(SampleByRate(1, 0.5));   // 1111111111111111111 < 2^63
  EXPECT_TRUE(SampleByRate(8, 0.5));   // 8888888888888888888 < 2^63
  EXPECT_FALSE(SampleByRate(9, 0.5));  // 9999999999999999999 ≥ 2^63
  EXPECT_TRUE(SampleByRate(17, 0.5));  // wraps to 442144815179337271
}

TEST(SampleByRateTest, RateOneKeepsAndZeroDrops) {
  EXPECT_TRUE(SampleByRate(9, 1.0));
  EXPECT_TRUE(SampleByRate(9, 3.0));
  EXPECT_FALSE(SampleByRate(1, 0.0));
  EXPECT_TRUE(SampleByRate(9, 0.9999999999999999));
}

TEST(RootWeightTest, InvertsClientAndPreSamplerRates) {
  Span root;
  EXPECT_DOUBLE_EQ(RootWeight(root), 1);
  (*root.mutable_metrics())["_sample_rate"] = 0.25;
  EXPECT_DOUBLE_EQ(RootWeight(root), 4);
  (*root.mutable_metrics())["_dd1.sr.rapre"] = 0.5;
  EXPECT_DOUBLE_EQ(RootWeight(root), 8);
  (*root.mutable_metrics())["_sample_rate"] = 0;  // invalid: ignored
  EXPECT_DOUBLE_EQ(RootWeight(root), 2);
  (*root.mutable_metrics())["_sample_rate"] = 2;  // invalid: ignored
  EXPECT_DOUBLE_EQ(RootWeight(root), 2);
}

TEST(TpsPerSignatureTest, SpreadsLeftoverOfQuietSignatures) {
  EXPECT_DOUBLE_EQ(ComputeTpsPerSignature(10, {100}), 10);
  EXPECT_DOUBLE_EQ(ComputeTpsPerSignature(10, {20, 20}), 5);
  EXPECT_DOUBLE_EQ(ComputeTpsPerSignature(10, {1, 100}), 9);
  EXPECT_DOUBLE_EQ(ComputeTpsPerSignature(10, {100, 2, 1}), 7);
}

// Feeds `per_second` chunks of weight 1 per second for `duration`, evenly spaced.
TimePoint Feed(CoreSampler& core, Signature signature, TimePoint now, int per_second,
               seconds duration) {
  const auto step = std::chrono::nanoseconds(seconds(1)) / per_second;
  for (int64_t i = 0; i < per_second * duration.count(); ++i) {
    core.CountWeighted(now, signature, 1);
    now += step;
  }
  return now;
}

TEST(CoreSamplerTest, NoRatesBeforeFirstRotation) {
  CoreSampler core(10);
  Feed(core, 7, kStart, 100, seconds(4));
  EXPECT_TRUE(core.Rates().empty());
  // Unknown signatures get target / seen = 10 / (400 / 5).
  EXPECT_DOUBLE_EQ(core.DefaultRate(), 10.0 / 80.0);
}

TEST(CoreSamplerTest, RateIsTargetOverBusiestBucket) {
  CoreSampler core(10);
  TimePoint now = Feed(core, 7, kStart, 100, seconds(5));
  EXPECT_TRUE(core.CountWeighted(now, 7, 1));  // first count of the next bucket rotates
  EXPECT_DOUBLE_EQ(core.SignatureRate(7), 0.1);
  EXPECT_DOUBLE_EQ(core.DefaultRate(), 0.1);
  EXPECT_FALSE(core.CountWeighted(now + milliseconds(10), 7, 1));
}

TEST(CoreSamplerTest, QuietSignatureIsNotSampled) {
  CoreSampler core(10);
  TimePoint now = Feed(core, 1, kStart, 100, seconds(5));
  Feed(core, 2, kStart, 2, seconds(5));
  core.CountWeighted(now, 1, 1);
  EXPECT_DOUBLE_EQ(core.SignatureRate(2), 1);
  EXPECT_DOUBLE_EQ(core.SignatureRate(1), 0.08);  // 10 − 2 TPS left for the busy one
}

TEST(CoreSamplerTest, RateRisesAtMostTwentyPercentPerRotation) {
  CoreSampler core(10);
  TimePoint now = Feed(core, 7, kStart, 100, seconds(5));
  now = Feed(core, 7, now, 1, seconds(30));  // the 100/s bucket leaves the 30 s window
  double previous = 0.1;
  for (int rotation = 0; rotation < 5; ++rotation) {
    now = Feed(core, 7, now, 1, seconds(5));
    const double rate = core.SignatureRate(7);
    EXPECT_LE(rate, previous * kMaxRateIncrease + 1e-12);
    previous = rate;
  }
  EXPECT_GT(previous, 0.2);
}

TEST(CoreSamplerTest, IdleSignatureIsForgottenAfterTheWindow) {
  CoreSampler core(10);
  TimePoint now = Feed(core, 1, kStart, 1, seconds(5));
  EXPECT_EQ(core.Size(), 1u);
  // Only signature 2 from now on; signature 1 had rate 1 and no traffic for a full window.
  now = Feed(core, 2, now, 1, seconds(40));
  EXPECT_EQ(core.Size(), 1u);
  EXPECT_FALSE(core.Rates().contains(1));
  EXPECT_TRUE(core.Rates().contains(2));
}

TEST(CoreSamplerTest, ZeroTargetGivesZeroRates) {
  CoreSampler core(0);
  TimePoint now = Feed(core, 1, kStart, 10, seconds(5));
  core.CountWeighted(now, 1, 1);
  EXPECT_DOUBLE_EQ(core.SignatureRate(1), 0);
  EXPECT_DOUBLE_EQ(core.DefaultRate(), 0);
}

// S5: a new signature starts at rate 1, so no-priority chunks are kept and marked.
TEST(ScoreSamplerTest, KeepsAtRateOneAndMarksRoot) {
  ScoreSampler sampler(10, "_dd.no_p_sr", /*disabled=*/false);
  TraceChunk chunk;
  *chunk.add_spans() = MakeSpan("web", "http.request", "GET /");
  EXPECT_TRUE(sampler.Sample(kStart, chunk, *chunk.mutable_spans(0), "prod"));
  EXPECT_DOUBLE_EQ(chunk.spans(0).metrics().at("_dd.no_p_sr"), 1);
}

// S5: the tracer's _sample_rate compounds with the sampler rate in the keep formula.
TEST(ScoreSamplerTest, ClientSampleRateScalesTheDecision) {
  ScoreSampler sampler(10, "_dd.no_p_sr", /*disabled=*/false);
  for (uint64_t trace_id : {1, 9}) {
    TraceChunk chunk;
    *chunk.add_spans() = MakeSpan("web", "http.request", "GET /");
    chunk.mutable_spans(0)->set_traceid(trace_id);
    (*chunk.mutable_spans(0)->mutable_metrics())["_sample_rate"] = 0.5;
    const bool kept = sampler.Sample(kStart, chunk, *chunk.mutable_spans(0), "prod");
    EXPECT_EQ(kept, trace_id == 1) << trace_id;
    EXPECT_EQ(chunk.spans(0).metrics().contains("_dd.no_p_sr"), kept);
  }
}

TEST(ScoreSamplerTest, DisabledNeverKeeps) {
  ScoreSampler sampler(0, "_dd.errors_sr", /*disabled=*/true);
  TraceChunk chunk;
  *chunk.add_spans() = MakeSpan("web", "http.request", "GET /", 1);
  EXPECT_FALSE(sampler.Sample(kStart, chunk, *chunk.mutable_spans(0), "prod"));
  EXPECT_EQ(sampler.Core().Size(), 0u);
}

TEST(ScoreSamplerTest, SignatureCardinalityIsBounded) {
  ScoreSampler sampler(10, "_dd.no_p_sr", /*disabled=*/false);
  for (int i = 0; i < 5000; ++i) {
    TraceChunk chunk;
    *chunk.add_spans() = MakeSpan("web", "http.request", "GET /" + std::to_string(i));
    sampler.Sample(kStart, chunk, *chunk.mutable_spans(0), "prod");
  }
  EXPECT_LE(sampler.Core().Size(), 200u);
  EXPECT_GE(sampler.Core().Size(), 100u);
}

}  // namespace
}  // namespace sidecar::apm
