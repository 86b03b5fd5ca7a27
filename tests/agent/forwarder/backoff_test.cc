#include "agent/forwarder/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace sidecar::forwarder {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Bounds {
  int errors;
  milliseconds low;   // Delay with the uniform source at 0.
  milliseconds high;  // Delay with the uniform source at 1.
};

class BackoffBoundsTest : public ::testing::TestWithParam<Bounds> {};

// dogstatsd.md §10 / H09: n=1 2-4 s, 2: 4-8 s, 3: 8-16 s, 4: 16-32 s, 5: 32-64 s, 6+: 64 s.
TEST_P(BackoffBoundsTest, JitterSpansHalfToFullExponentialDelayCappedAtMax) {
  const Bounds& b = GetParam();
  EXPECT_EQ(Backoff({}, [] { return 0.0; }).Delay(b.errors), b.low);
  EXPECT_EQ(Backoff({}, [] { return 1.0; }).Delay(b.errors), b.high);
}

INSTANTIATE_TEST_SUITE_P(
    AgentDefaults, BackoffBoundsTest,
    ::testing::Values(Bounds{1, seconds(2), seconds(4)}, Bounds{2, seconds(4), seconds(8)},
                      Bounds{3, seconds(8), seconds(16)}, Bounds{4, seconds(16), seconds(32)},
                      Bounds{5, seconds(32), seconds(64)}, Bounds{6, seconds(64), seconds(64)},
                      Bounds{7, seconds(64), seconds(64)}),
    [](const auto& param_info) { return "n" + std::to_string(param_info.param.errors); });

TEST(BackoffTest, MidpointOfTheSourceLandsMidInterval) {
  EXPECT_EQ(Backoff({}, [] { return 0.5; }).Delay(1), milliseconds(3000));
}

TEST(BackoffTest, NoErrorsMeansNoDelay) {
  EXPECT_EQ(Backoff({}, [] { return 1.0; }).Delay(0), milliseconds(0));
}

TEST(BackoffTest, MaxErrorsIsSixWithAgentDefaults) {
  Backoff backoff({}, [] { return 0.0; });
  EXPECT_EQ(backoff.MaxErrors(), 6);
  EXPECT_EQ(backoff.IncrementErrors(5), 6);
  EXPECT_EQ(backoff.IncrementErrors(6), 6);
}

TEST(BackoffTest, SuccessRecoversByTheRecoveryInterval) {
  Backoff backoff({}, [] { return 0.0; });
  EXPECT_EQ(backoff.DecrementErrors(5), 3);  // H10: error count -2.
  EXPECT_EQ(backoff.DecrementErrors(1), 0);
}

TEST(BackoffTest, RecoveryResetClearsAllErrors) {
  BackoffParams params;
  params.recovery_reset = true;
  EXPECT_EQ(Backoff(params, [] { return 0.0; }).DecrementErrors(5), 0);
}

TEST(BackoffTest, CustomParametersChangeRangeAndMaxErrors) {
  BackoffParams params;
  params.base = seconds(1);
  params.max = seconds(120);
  Backoff backoff(params, [] { return 0.0; });
  EXPECT_EQ(backoff.MaxErrors(), 7);  // floor(log2(120)) + 1
  EXPECT_EQ(backoff.Delay(3), seconds(4));
  EXPECT_EQ(backoff.Delay(7), seconds(120));
}

TEST(BackoffTest, DefaultUniformSourceStaysWithinTheUnitInterval) {
  UniformSource uniform = DefaultUniformSource();
  double low = 1.0;
  double high = 0.0;
  for (int i = 0; i < 1000; ++i) {
    const double u = uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LE(u, 1.0);
    low = std::min(low, u);
    high = std::max(high, u);
  }
  EXPECT_LT(low, 0.1);  // Spread over the interval, not a constant.
  EXPECT_GT(high, 0.9);
}

}  // namespace
}  // namespace sidecar::forwarder
