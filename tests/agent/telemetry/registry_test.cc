#include "agent/telemetry/registry.h"

#include <gtest/gtest.h>

namespace sidecar::telemetry {
namespace {

TEST(RegistryTest, CounterReferenceIsStableAndShared) {
  Registry registry;
  Counter& first = registry.GetCounter("dropped", {{"reason", "queue_full"}});
  first.Add(3);
  Counter& again = registry.GetCounter("dropped", {{"reason", "queue_full"}});
  EXPECT_EQ(&first, &again);
  again.Add();
  EXPECT_EQ(registry.ValueOf("dropped", {{"reason", "queue_full"}}), 4);
}

TEST(RegistryTest, TagOrderDoesNotMatter) {
  Registry registry;
  registry.GetCounter("x", {{"b", "2"}, {"a", "1"}}).Add(5);
  EXPECT_EQ(registry.ValueOf("x", {{"a", "1"}, {"b", "2"}}), 5);
}

TEST(RegistryTest, SumOfAddsEveryTagSetOfOneNameOnly) {
  Registry registry;
  registry.GetCounter("dropped", {{"reason", "a"}}).Add(2);
  registry.GetCounter("dropped", {{"reason", "b"}}).Add(3);
  registry.GetCounter("dropped_other").Add(100);
  registry.GetCounter("drop").Add(50);
  EXPECT_EQ(registry.SumOf("dropped"), 5);
}

TEST(RegistryTest, GaugeSetsAndCollectReportsKinds) {
  Registry registry;
  registry.GetGauge("queue_bytes").Set(42);
  registry.GetCounter("sent").Add(1);
  auto values = registry.Collect();
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0].name, "queue_bytes");
  EXPECT_EQ(values[0].kind, MetricKind::kGauge);
  EXPECT_EQ(values[0].value, 42);
  EXPECT_EQ(values[1].kind, MetricKind::kCounter);
}

TEST(RegistryTest, AllReadyNeedsEveryComponentReady) {
  Registry registry;
  EXPECT_FALSE(registry.AllReady());
  registry.SetHealth("dsd_udp_in", HealthState::kReady);
  registry.SetHealth("dd_out", HealthState::kStarting);
  EXPECT_FALSE(registry.AllReady());
  registry.SetHealth("dd_out", HealthState::kReady);
  EXPECT_TRUE(registry.AllReady());
  registry.SetHealth("dd_out", HealthState::kFailed, "boom");
  EXPECT_FALSE(registry.AllReady());
}

}  // namespace
}  // namespace sidecar::telemetry
