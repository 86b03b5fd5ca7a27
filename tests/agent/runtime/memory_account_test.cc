// MemoryAccount / MemoryShare / ChunkedCharge: one pool that every buffer's share draws from
// (issue #9 item 1), and its telemetry.
#include "agent/runtime/memory_account.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "agent/runtime/memory_account_telemetry.h"
#include "agent/telemetry/registry.h"

namespace sidecar::runtime {
namespace {

TEST(MemoryAccountTest, AShareIsRefusedPastItsOwnCapAndKeepsNothingOfARefusedCharge) {
  MemoryAccount account(1000);
  MemoryShare& share = account.AddShare("apm.inflight", 100);
  EXPECT_TRUE(share.TryCharge(60));
  EXPECT_FALSE(share.TryCharge(41));
  EXPECT_EQ(share.used(), 60u);
  EXPECT_EQ(account.used(), 60u);
  EXPECT_EQ(share.refusals(), 1u);
  EXPECT_TRUE(share.TryCharge(40));
  EXPECT_EQ(share.used(), 100u);
}

TEST(MemoryAccountTest, ThePoolBindsAcrossSharesWhoseCapsAddUpToMore) {
  MemoryAccount account(150);
  MemoryShare& apm = account.AddShare("apm", 100);
  MemoryShare& logs = account.AddShare("logs", 100);
  EXPECT_TRUE(apm.TryCharge(100));
  EXPECT_FALSE(logs.TryCharge(51));  // Under its own cap, but the pool has 50 left.
  EXPECT_EQ(logs.used(), 0u);
  EXPECT_EQ(account.used(), 100u);
  EXPECT_TRUE(logs.TryCharge(50));
  EXPECT_FALSE(logs.TryCharge(1));
  apm.Release(30);
  EXPECT_TRUE(logs.TryCharge(30));
  EXPECT_EQ(account.used(), 150u);
  EXPECT_EQ(account.peak(), 150u);
  EXPECT_EQ(apm.peak(), 100u);
  EXPECT_EQ(logs.peak(), 80u);
}

TEST(MemoryAccountTest, AForcedChargeMayOverrunThePoolAndLeavesNoRoomForOthers) {
  MemoryAccount account(100);
  MemoryShare& pending = account.AddShare("logs.pending", 0);
  MemoryShare& queue = account.AddShare("retry", 0);
  pending.ForceCharge(120);
  EXPECT_EQ(account.used(), 120u);
  EXPECT_FALSE(queue.TryCharge(1));
  pending.Release(120);
  EXPECT_TRUE(queue.TryCharge(100));
  EXPECT_EQ(account.peak(), 120u);
}

TEST(MemoryAccountTest, WithoutCapacityOrCapOnlyWhatIsSetApplies) {
  MemoryAccount unlimited(0);
  MemoryShare& capped = unlimited.AddShare("capped", 10);
  MemoryShare& free = unlimited.AddShare("free", 0);
  EXPECT_TRUE(free.TryCharge(uint64_t{1} << 40));
  EXPECT_FALSE(capped.TryCharge(11));
  EXPECT_TRUE(capped.TryCharge(10));
  EXPECT_EQ(unlimited.used(), (uint64_t{1} << 40) + 10);
}

TEST(MemoryAccountTest, SharesAreListedInTheOrderTheyWereAdded) {
  MemoryAccount account(0);
  account.AddShare("b", 0);
  account.AddShare("a", 5);
  const auto shares = account.shares();
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_EQ(shares[0]->name(), "b");
  EXPECT_EQ(shares[1]->name(), "a");
  EXPECT_EQ(shares[1]->cap(), 5u);
}

TEST(MemoryAccountTest, ConcurrentChargesNeverTakeThePoolPastItsCapacity) {
  constexpr uint64_t kCapacity = 10'000;
  MemoryAccount account(kCapacity);
  std::vector<MemoryShare*> shares;
  for (int i = 0; i < 4; ++i) {
    shares.push_back(&account.AddShare("s", 6'000));
  }
  std::atomic<uint64_t> granted{0};
  std::vector<std::thread> threads;
  for (MemoryShare* share : shares) {
    threads.emplace_back([share, &granted] {
      for (int round = 0; round < 20'000; ++round) {
        const uint64_t bytes = 1 + static_cast<uint64_t>(round % 97);
        if (share->TryCharge(bytes)) {
          granted.fetch_add(1);
          share->Release(bytes);
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_GT(granted.load(), 0u);
  EXPECT_LE(account.peak(), kCapacity);
  EXPECT_EQ(account.used(), 0u);
  for (const MemoryShare* share : shares) {
    EXPECT_LE(share->peak(), 6'000u);
  }
}

TEST(ChunkedChargeTest, GrowsAndShrinksInWholeChunks) {
  MemoryAccount account(0);
  MemoryShare& share = account.AddShare("contexts", 0);
  {
    ChunkedCharge charge(&share, 100);
    EXPECT_TRUE(charge.Ensure(1));
    EXPECT_EQ(share.used(), 100u);
    EXPECT_TRUE(charge.Ensure(100));
    EXPECT_EQ(share.used(), 100u);
    EXPECT_TRUE(charge.Ensure(250));
    EXPECT_EQ(share.used(), 300u);
    charge.Shrink(101);
    EXPECT_EQ(share.used(), 200u);
    charge.Shrink(150);  // Still within the two chunks it holds.
    EXPECT_EQ(share.used(), 200u);
    charge.Shrink(0);
    EXPECT_EQ(share.used(), 0u);
    EXPECT_TRUE(charge.Ensure(10));
  }
  EXPECT_EQ(share.used(), 0u);  // The destructor gave its chunk back.
}

TEST(ChunkedChargeTest, FailsWhenTheShareHasNoRoomForTheNextChunk) {
  MemoryAccount account(250);
  MemoryShare& share = account.AddShare("values", 0);
  ChunkedCharge charge(&share, 100);
  EXPECT_TRUE(charge.Ensure(200));
  EXPECT_FALSE(charge.Ensure(201));
  EXPECT_EQ(charge.charged(), 200u);
  EXPECT_EQ(share.refusals(), 1u);
}

TEST(ChunkedChargeTest, WithoutAShareEverythingFits) {
  ChunkedCharge charge(nullptr, 100);
  EXPECT_TRUE(charge.Ensure(uint64_t{1} << 50));
  charge.Shrink(0);
  EXPECT_EQ(charge.charged(), 0u);
}

TEST(MemoryAccountTelemetryTest, PublishesThePoolEachShareAndRefusalsAsDeltas) {
  telemetry::Registry registry;
  MemoryAccount account(1000);
  MemoryAccountTelemetry telemetry(account, registry);
  MemoryShare& share = account.AddShare("apm.inflight", 300);
  ASSERT_TRUE(share.TryCharge(200));
  EXPECT_FALSE(share.TryCharge(200));
  telemetry.Publish();
  const telemetry::Tags tags{{"share", "apm.inflight"}};
  EXPECT_EQ(registry.GetGauge("memory.pool.capacity_bytes").Value(), 1000);
  EXPECT_EQ(registry.GetGauge("memory.pool.used_bytes").Value(), 200);
  EXPECT_EQ(registry.GetGauge("memory.pool.share_bytes", tags).Value(), 200);
  EXPECT_EQ(registry.GetGauge("memory.pool.share_cap_bytes", tags).Value(), 300);
  EXPECT_EQ(registry.GetCounter("memory.pool.refusals", tags).Value(), 1u);
  EXPECT_FALSE(share.TryCharge(200));
  share.Release(200);
  telemetry.Publish();
  EXPECT_EQ(registry.GetCounter("memory.pool.refusals", tags).Value(), 2u);
  EXPECT_EQ(registry.GetGauge("memory.pool.share_bytes", tags).Value(), 0);
  EXPECT_EQ(registry.GetGauge("memory.pool.share_peak_bytes", tags).Value(), 200);
}

}  // namespace
}  // namespace sidecar::runtime
