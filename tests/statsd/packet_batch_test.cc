// PacketBatch holds copied datagrams back to back, bounded by count and bytes. BatchPool: receive
// batches are created on demand up to their count and charged to their share of the memory pool
// for as long as the pool keeps them.
#include "statsd/packet_batch.h"

#include <gtest/gtest.h>

#include <vector>

#include "agent/runtime/memory_account.h"

namespace sidecar::statsd {
namespace {

TEST(PacketBatchTest, PacketsArePackedBackToBackUntilCountOrBytesRunOut) {
  PacketBatch batch(3, 10);
  EXPECT_TRUE(batch.Append("abcd"));
  EXPECT_TRUE(batch.Append("efgh"));
  EXPECT_FALSE(batch.Append("ijk"));  // 8 + 3 bytes > 10.
  EXPECT_EQ(batch.size(), 2u);
  EXPECT_FALSE(batch.full());
  EXPECT_TRUE(batch.Append("ij"));  // Exactly the 10 bytes.
  EXPECT_TRUE(batch.full());
  EXPECT_FALSE(batch.Append(""));  // Three packets already.
  EXPECT_EQ(batch.Packet(0), "abcd");
  EXPECT_EQ(batch.Packet(1), "efgh");
  EXPECT_EQ(batch.Packet(2), "ij");
  batch.Clear();
  EXPECT_EQ(batch.size(), 0u);
  EXPECT_TRUE(batch.Append("0123456789"));
  EXPECT_EQ(batch.Packet(0), "0123456789");
}

TEST(PacketBatchTest, SenderPidsAreKeptPerPacketWhenAsked) {
  PacketBatch batch(4, 64);
  batch.set_has_pids(true);
  ASSERT_TRUE(batch.Append("a:1|c", 42));
  ASSERT_TRUE(batch.Append("b:1|c", 0));
  EXPECT_TRUE(batch.has_pids());
  EXPECT_EQ(batch.Pid(0), 42);
  EXPECT_EQ(batch.Pid(1), 0);
  batch.Clear();
  EXPECT_FALSE(batch.has_pids());  // A reused batch starts without them.
}

TEST(BatchPoolTest, BatchesAreChargedToTheirShareAndNoneIsCreatedWhenItIsFull) {
  runtime::MemoryAccount account(0);
  constexpr uint64_t kBatchBytes = 4 * 1024;
  runtime::MemoryShare& share = account.AddShare("dogstatsd.batches", 2 * kBatchBytes);
  {
    std::shared_ptr<BatchPool> pool = BatchPool::Create(8, 4, kBatchBytes, &share);
    std::vector<BatchPool::Handle> held;
    held.push_back(pool->Acquire());
    held.push_back(pool->Acquire());
    ASSERT_NE(held[0], nullptr);
    ASSERT_NE(held[1], nullptr);
    EXPECT_EQ(share.used(), 2 * kBatchBytes);
    EXPECT_EQ(pool->Acquire(), nullptr);  // Under the count of 8, but the share is full.
    EXPECT_EQ(share.refusals(), 1u);
    held.pop_back();  // Back to the pool, still charged: it is kept for reuse.
    EXPECT_EQ(share.used(), 2 * kBatchBytes);
    BatchPool::Handle again = pool->Acquire();
    EXPECT_NE(again, nullptr);
    EXPECT_EQ(pool->in_flight(), 2u);
  }
  EXPECT_EQ(share.used(), 0u);  // The pool gave back all it had created.
}

TEST(BatchPoolTest, WithoutAShareOnlyTheCountBounds) {
  std::shared_ptr<BatchPool> pool = BatchPool::Create(2, 4, 1024);
  BatchPool::Handle a = pool->Acquire();
  BatchPool::Handle b = pool->Acquire();
  EXPECT_NE(a, nullptr);
  EXPECT_NE(b, nullptr);
  EXPECT_EQ(pool->Acquire(), nullptr);
}

}  // namespace
}  // namespace sidecar::statsd
