#include "agent/forwarder/circuit_breaker.h"

#include <gtest/gtest.h>

#include "tests/testing/manual_clock.h"

namespace sidecar::forwarder {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using State = CircuitBreaker::State;

constexpr std::string_view kSeries = "https://7-60-1-app.agent.datadoghq.com/api/v2/series";
constexpr std::string_view kSketches = "https://7-60-1-app.agent.datadoghq.com/api/beta/sketches";

class CircuitBreakerTest : public ::testing::Test {
 protected:
  // The uniform source at 0 makes every delay the low end: backoff(n) = 2^n seconds.
  testing::ManualClock clock_;
  Backoff backoff_{BackoffParams{}, [] { return 0.0; }};
  CircuitBreaker breaker_{backoff_, clock_};

  // Waits out the block, claims the probe and fails it.
  void FailProbe(std::string_view url) {
    clock_.Advance(breaker_.BlockedUntil(url) - clock_.SteadyNow());
    ASSERT_TRUE(breaker_.AllowSend(url));
    breaker_.RecordError(url);
  }
};

TEST_F(CircuitBreakerTest, UnknownTargetIsUnblocked) {
  EXPECT_EQ(breaker_.StateOf(kSeries), State::kUnblocked);
  EXPECT_TRUE(breaker_.AllowSend(kSeries));
  EXPECT_EQ(breaker_.ErrorCount(kSeries), 0);
}

TEST_F(CircuitBreakerTest, FirstErrorBlocksUntilTheOneErrorBackoffPasses) {
  // H09: endpoint blocked 2-4 s after the first error.
  breaker_.RecordError(kSeries);
  EXPECT_EQ(breaker_.StateOf(kSeries), State::kBlocked);
  EXPECT_EQ(breaker_.ErrorCount(kSeries), 1);
  clock_.Advance(milliseconds(1999));
  EXPECT_FALSE(breaker_.WouldAllow(kSeries));
  EXPECT_FALSE(breaker_.AllowSend(kSeries));
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(breaker_.WouldAllow(kSeries));
}

TEST_F(CircuitBreakerTest, ExpiredBlockAllowsExactlyOneProbe) {
  breaker_.RecordError(kSeries);
  clock_.Advance(seconds(2));
  EXPECT_TRUE(breaker_.AllowSend(kSeries));
  EXPECT_EQ(breaker_.StateOf(kSeries), State::kHalfOpen);
  EXPECT_FALSE(breaker_.AllowSend(kSeries));
  EXPECT_FALSE(breaker_.WouldAllow(kSeries));
}

TEST_F(CircuitBreakerTest, FailedProbeBlocksAgainWithOneMoreError) {
  breaker_.RecordError(kSeries);
  FailProbe(kSeries);
  EXPECT_EQ(breaker_.StateOf(kSeries), State::kBlocked);
  EXPECT_EQ(breaker_.ErrorCount(kSeries), 2);
  EXPECT_EQ(breaker_.BlockedUntil(kSeries), clock_.SteadyNow() + seconds(4));  // H09: then 4-8 s.
}

TEST_F(CircuitBreakerTest, SuccessfulProbeSubtractsTheRecoveryIntervalAndUnblocks) {
  // H10: error count -2 on probe success; still usable while errors remain.
  breaker_.RecordError(kSeries);
  FailProbe(kSeries);
  FailProbe(kSeries);
  ASSERT_EQ(breaker_.ErrorCount(kSeries), 3);
  clock_.Advance(seconds(8));
  ASSERT_TRUE(breaker_.AllowSend(kSeries));
  breaker_.RecordSuccess(kSeries);
  EXPECT_EQ(breaker_.StateOf(kSeries), State::kUnblocked);
  EXPECT_EQ(breaker_.ErrorCount(kSeries), 1);
  EXPECT_TRUE(breaker_.AllowSend(kSeries));
  // The next error backs off from the remaining count.
  breaker_.RecordError(kSeries);
  EXPECT_EQ(breaker_.ErrorCount(kSeries), 2);
  EXPECT_EQ(breaker_.BlockedUntil(kSeries), clock_.SteadyNow() + seconds(4));
}

TEST_F(CircuitBreakerTest, SuccessesWhileUnblockedKeepDecayingTheCount) {
  breaker_.RecordError(kSeries);
  FailProbe(kSeries);
  FailProbe(kSeries);
  clock_.Advance(seconds(8));
  ASSERT_TRUE(breaker_.AllowSend(kSeries));
  breaker_.RecordSuccess(kSeries);
  breaker_.RecordSuccess(kSeries);
  EXPECT_EQ(breaker_.ErrorCount(kSeries), 0);
}

TEST_F(CircuitBreakerTest, ResultsArrivingWhileBlockedAreIgnored) {
  breaker_.RecordError(kSeries);
  const auto until = breaker_.BlockedUntil(kSeries);
  clock_.Advance(milliseconds(500));
  breaker_.RecordError(kSeries);  // Sent before the block; must not extend it.
  breaker_.RecordSuccess(kSeries);
  EXPECT_EQ(breaker_.StateOf(kSeries), State::kBlocked);
  EXPECT_EQ(breaker_.ErrorCount(kSeries), 1);
  EXPECT_EQ(breaker_.BlockedUntil(kSeries), until);
}

TEST_F(CircuitBreakerTest, EachFullUrlHasItsOwnBreaker) {
  breaker_.RecordError(kSeries);
  EXPECT_FALSE(breaker_.AllowSend(kSeries));
  EXPECT_TRUE(breaker_.AllowSend(kSketches));
  EXPECT_EQ(breaker_.StateOf(kSketches), State::kUnblocked);
}

TEST_F(CircuitBreakerTest, ErrorCountStopsAtMaxErrorsAndDelayAtMax) {
  breaker_.RecordError(kSeries);
  for (int i = 0; i < 10; ++i) {
    FailProbe(kSeries);
  }
  EXPECT_EQ(breaker_.ErrorCount(kSeries), 6);
  EXPECT_EQ(breaker_.BlockedUntil(kSeries), clock_.SteadyNow() + seconds(64));
}

}  // namespace
}  // namespace sidecar::forwarder
