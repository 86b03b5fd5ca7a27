#include "apm/priority_sampler.h"

#include <atomic>
#include <chrono>
#include <limits>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/manual_clock.h"

namespace sidecar::apm {
namespace {

using std::chrono::seconds;

TraceChunk MakeChunk(std::string service, int32_t priority, uint64_t trace_id = 1) {
  TraceChunk chunk;
  chunk.set_priority(priority);
  Span* root = chunk.add_spans();
  root->set_service(std::move(service));
  root->set_name("http.request");
  root->set_traceid(trace_id);
  root->set_spanid(trace_id);
  return chunk;
}

class PrioritySamplerTest : public ::testing::Test {
 protected:
  // Sends `per_second` chunks per second for `duration`, evenly spaced on the manual clock.
  void Feed(PrioritySampler& sampler, const std::string& service, const std::string& env,
            int per_second, seconds duration, double dropped_p0_weight = 0) {
    const auto step = std::chrono::nanoseconds(seconds(1)) / per_second;
    for (int64_t i = 0; i < per_second * duration.count(); ++i) {
      SampleOne(sampler, service, env, kPriorityAutoKeep, dropped_p0_weight);
      clock_.Advance(step);
    }
  }

  bool SampleOne(PrioritySampler& sampler, const std::string& service, const std::string& env,
                 int32_t priority, double dropped_p0_weight = 0) {
    TraceChunk chunk = MakeChunk(service, priority, ++trace_id_);
    return sampler.Sample(clock_.SteadyNow(), chunk, *chunk.mutable_spans(0), env,
                          dropped_p0_weight);
  }

  static nlohmann::json Rates(const PrioritySampler& sampler) {
    nlohmann::json body = nlohmann::json::parse(sampler.CurrentRates()->body);
    return body.at("rate_by_service");
  }

  testing::ManualClock clock_;  // steady time starts on a 5 s bucket boundary
  uint64_t trace_id_ = 0;
};

TEST_F(PrioritySamplerTest, EmptyMapBeforeFirstRotation) {
  PrioritySampler sampler(10, "none", clock_);
  EXPECT_EQ(sampler.CurrentRates()->body, R"({"rate_by_service":{}})");
  EXPECT_EQ(sampler.CurrentRates()->version, "");
}

// S2: 100 chunks/s of one service at TargetTPS 10 ⇒ rate 0.1 after a rotation.
TEST_F(PrioritySamplerTest, SteadyTrafficConvergesToTargetShare) {
  PrioritySampler sampler(10, "none", clock_);
  Feed(sampler, "web", "prod", 100, seconds(5));
  SampleOne(sampler, "web", "prod", kPriorityAutoKeep);  // rotation
  const nlohmann::json rates = Rates(sampler);
  EXPECT_NEAR(rates.at("service:web,env:prod").get<double>(), 0.1, 1e-9);
  EXPECT_NEAR(rates.at("service:,env:").get<double>(), 0.1, 1e-9);
  EXPECT_FALSE(rates.contains("service:web,env:"));  // agent env differs
  EXPECT_EQ(rates.size(), 2u);
}

// S2: services of the agent env are also published under an empty env.
TEST_F(PrioritySamplerTest, AgentEnvServicesAlsoPublishedWithEmptyEnv) {
  PrioritySampler sampler(10, "prod", clock_);
  Feed(sampler, "web", "prod", 100, seconds(5));
  SampleOne(sampler, "web", "prod", kPriorityAutoKeep);
  const nlohmann::json rates = Rates(sampler);
  EXPECT_NEAR(rates.at("service:web,env:prod").get<double>(), 0.1, 1e-9);
  EXPECT_NEAR(rates.at("service:web,env:").get<double>(), 0.1, 1e-9);
  EXPECT_TRUE(rates.contains("service:,env:"));
}

TEST_F(PrioritySamplerTest, TracerWithoutEnvSharesAgentEnvRates) {
  PrioritySampler sampler(10, "prod", clock_);
  Feed(sampler, "web", "", 100, seconds(5));
  SampleOne(sampler, "web", "", kPriorityAutoKeep);
  const nlohmann::json rates = Rates(sampler);
  EXPECT_NEAR(rates.at("service:web,env:prod").get<double>(), 0.1, 1e-9);
}

// S3: once the busy buckets leave the 30 s window, each rotation raises the rate ×1.2 at most.
TEST_F(PrioritySamplerTest, RateRecoversByTwentyPercentSteps) {
  PrioritySampler sampler(10, "none", clock_);
  Feed(sampler, "web", "prod", 100, seconds(10));
  std::vector<double> published;
  for (int i = 0; i < 60; ++i) {
    Feed(sampler, "web", "prod", 1, seconds(1));
    const double rate = Rates(sampler).at("service:web,env:prod").get<double>();
    if (published.empty() || published.back() != rate) {
      published.push_back(rate);
    }
  }
  ASSERT_GE(published.size(), 4u);
  EXPECT_NEAR(published[0], 0.1, 1e-9);
  EXPECT_NEAR(published[1], 0.12, 1e-9);
  EXPECT_NEAR(published[2], 0.144, 1e-9);
  EXPECT_NEAR(published[3], 0.1728, 1e-9);
}

// R17 / §1.5: a version per change of the map; an unchanged map keeps its version.
TEST_F(PrioritySamplerTest, VersionChangesOnlyWithTheRates) {
  PrioritySampler sampler(10, "none", clock_);
  Feed(sampler, "web", "prod", 100, seconds(6));  // rotation at 5 s
  const std::string first = sampler.CurrentRates()->version;
  EXPECT_EQ(first, "6553f105-1");  // unix 1700000005 in hex, first change

  Feed(sampler, "web", "prod", 100, seconds(9));  // same traffic: same rates at 10 s
  EXPECT_EQ(sampler.CurrentRates()->version, first);

  Feed(sampler, "api", "prod", 100, seconds(10));  // a second service changes the map
  EXPECT_NE(sampler.CurrentRates()->version, first);
  EXPECT_TRUE(Rates(sampler).contains("service:api,env:prod"));
}

// R17: the client's current version gets "{}", any other the full map.
TEST_F(PrioritySamplerTest, RatesBodyForHonoursClientVersion) {
  PrioritySampler sampler(10, "none", clock_);
  EXPECT_EQ(RatesBodyFor(*sampler.CurrentRates(), ""), R"({"rate_by_service":{}})");
  Feed(sampler, "web", "prod", 100, seconds(5));
  SampleOne(sampler, "web", "prod", kPriorityAutoKeep);
  const auto rates = sampler.CurrentRates();
  EXPECT_EQ(RatesBodyFor(*rates, rates->version), "{}");
  EXPECT_EQ(RatesBodyFor(*rates, "0-0"), rates->body);
  EXPECT_EQ(RatesBodyFor(*rates, ""), rates->body);
}

TEST(RenderRatesBodyTest, SortedKeysEscapedAndClamped) {
  const std::string body = RenderRatesBody(
      {{"service:b,env:x", 1.5}, {"service:a\"q,env:", 0.25}, {"service:,env:", -1}});
  EXPECT_EQ(body, R"({"rate_by_service":{"service:,env:":0,"service:a\"q,env:":0.25,)"
                  R"("service:b,env:x":1}})");
}

// S1: only priorities 0 and 1 feed the loop.
TEST_F(PrioritySamplerTest, UserPrioritiesAreNotCounted) {
  PrioritySampler sampler(10, "none", clock_);
  EXPECT_TRUE(SampleOne(sampler, "web", "prod", kPriorityUserKeep));
  EXPECT_FALSE(SampleOne(sampler, "web", "prod", kPriorityUserDrop));
  clock_.Advance(seconds(10));
  EXPECT_TRUE(SampleOne(sampler, "web", "prod", kPriorityUserKeep));
  EXPECT_EQ(sampler.Core().Size(), 0u);
  EXPECT_EQ(sampler.CurrentRates()->version, "");
}

TEST_F(PrioritySamplerTest, DecisionFollowsTracerPriority) {
  PrioritySampler sampler(10, "none", clock_);
  EXPECT_TRUE(SampleOne(sampler, "web", "prod", kPriorityAutoKeep));
  EXPECT_FALSE(SampleOne(sampler, "web", "prod", kPriorityAutoDrop));
  EXPECT_EQ(sampler.Core().Size(), 1u);
}

TEST_F(PrioritySamplerTest, KeptRootWithoutTracerRateGetsAgentRate) {
  PrioritySampler sampler(10, "none", clock_);
  TraceChunk kept = MakeChunk("web", kPriorityAutoKeep);
  sampler.Sample(clock_.SteadyNow(), kept, *kept.mutable_spans(0), "prod", 0);
  EXPECT_DOUBLE_EQ(kept.spans(0).metrics().at("_sampling_priority_rate_v1"), 1);

  TraceChunk dropped = MakeChunk("web", kPriorityAutoDrop);
  sampler.Sample(clock_.SteadyNow(), dropped, *dropped.mutable_spans(0), "prod", 0);
  EXPECT_FALSE(dropped.spans(0).metrics().contains("_sampling_priority_rate_v1"));

  TraceChunk tracer_rate = MakeChunk("web", kPriorityAutoKeep);
  (*tracer_rate.mutable_spans(0)->mutable_metrics())["_dd.agent_psr"] = 0.5;
  sampler.Sample(clock_.SteadyNow(), tracer_rate, *tracer_rate.mutable_spans(0), "prod", 0);
  EXPECT_FALSE(tracer_rate.spans(0).metrics().contains("_sampling_priority_rate_v1"));

  TraceChunk not_root = MakeChunk("web", kPriorityAutoKeep);
  not_root.mutable_spans(0)->set_parentid(99);
  sampler.Sample(clock_.SteadyNow(), not_root, *not_root.mutable_spans(0), "prod", 0);
  EXPECT_FALSE(not_root.spans(0).metrics().contains("_sampling_priority_rate_v1"));
}

// §4: ClientDroppedP0s / #chunks adds to each chunk's weight.
TEST_F(PrioritySamplerTest, ClientDroppedP0sCountTowardRates) {
  PrioritySampler sampler(10, "none", clock_);
  Feed(sampler, "web", "prod", 20, seconds(5), /*dropped_p0_weight=*/4);
  SampleOne(sampler, "web", "prod", kPriorityAutoKeep);
  EXPECT_NEAR(Rates(sampler).at("service:web,env:prod").get<double>(), 0.1, 1e-9);
}

TEST_F(PrioritySamplerTest, BogusDroppedP0WeightIsIgnored) {
  PrioritySampler sampler(10, "none", clock_);
  Feed(sampler, "web", "prod", 100, seconds(5), std::numeric_limits<double>::infinity());
  Feed(sampler, "web", "prod", 1, seconds(1), -50);
  EXPECT_NEAR(Rates(sampler).at("service:web,env:prod").get<double>(), 0.1, 1e-9);
}

TEST_F(PrioritySamplerTest, ClientSampleRateWeightsChunks) {
  PrioritySampler sampler(10, "none", clock_);
  const auto step = std::chrono::milliseconds(40);  // 25 chunks/s, each worth 4
  for (int i = 0; i < 125; ++i) {
    TraceChunk chunk = MakeChunk("web", kPriorityAutoKeep);
    (*chunk.mutable_spans(0)->mutable_metrics())["_sample_rate"] = 0.25;
    sampler.Sample(clock_.SteadyNow(), chunk, *chunk.mutable_spans(0), "prod", 0);
    clock_.Advance(step);
  }
  SampleOne(sampler, "web", "prod", kPriorityAutoKeep);
  EXPECT_NEAR(Rates(sampler).at("service:web,env:prod").get<double>(), 0.1, 1e-9);
}

TEST_F(PrioritySamplerTest, CatalogEvictsLeastRecentlyUsed) {
  PrioritySampler sampler(10, "none", clock_, /*max_catalog_entries=*/2);
  SampleOne(sampler, "a", "prod", kPriorityAutoKeep);
  SampleOne(sampler, "b", "prod", kPriorityAutoKeep);
  SampleOne(sampler, "a", "prod", kPriorityAutoKeep);
  SampleOne(sampler, "c", "prod", kPriorityAutoKeep);  // evicts b, the stalest
  EXPECT_EQ(sampler.CatalogSize(), 2u);
  EXPECT_EQ(sampler.CatalogEvictions(), 1u);
  EXPECT_EQ(sampler.Core().Size(), 2u);
  clock_.Advance(seconds(5));
  SampleOne(sampler, "a", "prod", kPriorityAutoKeep);
  const nlohmann::json rates = Rates(sampler);
  EXPECT_TRUE(rates.contains("service:a,env:prod"));
  EXPECT_TRUE(rates.contains("service:c,env:prod"));
  EXPECT_FALSE(rates.contains("service:b,env:prod"));
}

// §1.5: the catalog holds at most 5000 (service, env) entries.
TEST_F(PrioritySamplerTest, CatalogIsCappedAtFiveThousand) {
  PrioritySampler sampler(10, "none", clock_);
  for (int i = 0; i < 5100; ++i) {
    SampleOne(sampler, "svc" + std::to_string(i), "prod", kPriorityAutoKeep);
  }
  EXPECT_EQ(sampler.CatalogSize(), kMaxCatalogEntries);
  EXPECT_EQ(sampler.CatalogEvictions(), 100u);
  EXPECT_LE(sampler.Core().Size(), kMaxCatalogEntries);
}

TEST_F(PrioritySamplerTest, CurrentRatesIsSafeFromAnotherThread) {
  PrioritySampler sampler(10, "none", clock_);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<bool> empty_snapshot{false};
  // do-while: at least one read even when the writer finishes before the thread starts.
  std::thread reader([&] {
    do {
      const auto rates = sampler.CurrentRates();
      if (rates == nullptr || rates->body.empty()) {
        empty_snapshot.store(true);
        return;
      }
      reads.fetch_add(1);
    } while (!done.load());
  });
  Feed(sampler, "web", "prod", 100, seconds(20));
  done.store(true);
  reader.join();
  EXPECT_FALSE(empty_snapshot.load());
  EXPECT_GT(reads.load(), 0);
  EXPECT_NEAR(Rates(sampler).at("service:web,env:prod").get<double>(), 0.1, 1e-9);
}

}  // namespace
}  // namespace sidecar::apm
