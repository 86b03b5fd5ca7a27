#include "tests/soak/fault_schedule.h"

#include <gtest/gtest.h>

namespace sidecar::soak {
namespace {

using std::chrono::milliseconds;

TEST(FaultScheduleTest, RepeatsTheCycleAndLeavesTheLastTenthQuiet) {
  const auto events = BuildFaultSchedule(milliseconds(600'000), milliseconds(200'000), false);
  // Six faults per cycle; the third cycle's ECS outage would start at 540 s, inside the quiet end.
  ASSERT_EQ(events.size(), 17u);
  for (const FaultEvent& event : events) {
    EXPECT_LT(event.at, milliseconds(540'000));
  }
  EXPECT_EQ(events[0].kind, FaultKind::kIntake503);
  EXPECT_EQ(events[0].at, milliseconds(20'000));
  EXPECT_EQ(events[0].length, milliseconds(20'000));
  EXPECT_EQ(events[1].kind, FaultKind::kSlowIntake);
  EXPECT_EQ(events[1].delay, milliseconds(2'000));
  EXPECT_EQ(events[1].length, milliseconds(30'000));
  EXPECT_EQ(events[6].at, milliseconds(220'000));  // Second cycle.
}

TEST(FaultScheduleTest, SmokeRunShrinksWindowsAndSkipsTheStall) {
  const auto events = BuildFaultSchedule(milliseconds(20'000), milliseconds(200'000), true);
  ASSERT_EQ(events.size(), 5u);
  for (const FaultEvent& event : events) {
    EXPECT_NE(event.kind, FaultKind::kIntakeStall);
    EXPECT_LE(event.length, milliseconds(4'000));
    EXPECT_LT(event.at, milliseconds(18'000));
  }
  EXPECT_EQ(events[1].delay, milliseconds(1'000));
  EXPECT_EQ(events[2].kind, FaultKind::kIntake413);
  EXPECT_EQ(events[2].count, 1);
}

}  // namespace
}  // namespace sidecar::soak
