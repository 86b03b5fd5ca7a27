// BatchPool: receive batches are created on demand up to their count and charged to their share of
// the memory pool for as long as the pool keeps them.
#include "statsd/packet_batch.h"

#include <gtest/gtest.h>

#include <vector>

#include "agent/runtime/memory_account.h"

namespace sidecar::statsd {
namespace {

TEST(BatchPoolTest, BatchesAreChargedToTheirShareAndNoneIsCreatedWhenItIsFull) {
  runtime::MemoryAccount account(0);
  constexpr uint64_t kBatchBytes = 4 * 1024;  // 4 packets of 1 KiB.
  runtime::MemoryShare& share = account.AddShare("dogstatsd.batches", 2 * kBatchBytes);
  {
    std::shared_ptr<BatchPool> pool = BatchPool::Create(8, 4, 1024, &share);
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
