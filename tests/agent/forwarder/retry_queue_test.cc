#include "agent/forwarder/retry_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sidecar::forwarder {
namespace {

using ::testing::ElementsAre;

uint64_t next_sequence = 0;

Transaction Make(std::string body, Priority priority = Priority::kNormal) {
  auto payload = std::make_shared<Payload>();
  payload->body = std::move(body);
  payload->priority = priority;
  payload->item_count = 1;
  Transaction transaction;
  transaction.payload = std::move(payload);
  transaction.sequence = next_sequence++;
  return transaction;
}

std::vector<std::string> Bodies(const std::vector<Transaction>& transactions) {
  std::vector<std::string> out;
  for (const Transaction& transaction : transactions) {
    out.push_back(transaction.payload->body);
  }
  return out;
}

TEST(RetryQueueTest, DefaultBudgetIsFifteenMebibytes) {
  EXPECT_EQ(RetryQueue::kDefaultMaxBytes, 15u * 1024 * 1024);  // §10 retry queue
}

TEST(RetryQueueTest, TakeAllReturnsHighPriorityFirstThenNewestFirst) {
  RetryQueue queue(1000);
  EXPECT_TRUE(queue.Add(Make("n-old")).empty());
  EXPECT_TRUE(queue.Add(Make("h-old", Priority::kHigh)).empty());
  EXPECT_TRUE(queue.Add(Make("n-new")).empty());
  EXPECT_TRUE(queue.Add(Make("h-new", Priority::kHigh)).empty());
  EXPECT_THAT(Bodies(queue.TakeAll()), ElementsAre("h-new", "h-old", "n-new", "n-old"));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.Bytes(), 0u);
}

TEST(RetryQueueTest, OverflowEvictsTheOldestUntilItFits) {
  // H11: oldest transactions dropped once queued payload bytes exceed the cap.
  RetryQueue queue(250);
  EXPECT_TRUE(queue.Add(Make(std::string(100, 'a'))).empty());
  EXPECT_TRUE(queue.Add(Make(std::string(100, 'b'))).empty());
  EXPECT_EQ(queue.Bytes(), 200u);
  std::vector<Transaction> evicted = queue.Add(Make(std::string(100, 'c')));
  EXPECT_THAT(Bodies(evicted), ElementsAre(std::string(100, 'a')));
  EXPECT_EQ(queue.Bytes(), 200u);
  EXPECT_EQ(queue.size(), 2u);
}

TEST(RetryQueueTest, OverflowEvictsLowPriorityBeforeOlderHighPriority) {
  RetryQueue queue(250);
  EXPECT_TRUE(queue.Add(Make(std::string(100, 'H'), Priority::kHigh)).empty());
  EXPECT_TRUE(queue.Add(Make(std::string(100, 'n'))).empty());
  std::vector<Transaction> evicted = queue.Add(Make(std::string(100, 'h'), Priority::kHigh));
  EXPECT_THAT(Bodies(evicted), ElementsAre(std::string(100, 'n')));
  EXPECT_THAT(Bodies(queue.TakeAll()), ElementsAre(std::string(100, 'h'), std::string(100, 'H')));
}

TEST(RetryQueueTest, TransactionBiggerThanTheBudgetIsDroppedAlone) {
  RetryQueue queue(250);
  EXPECT_TRUE(queue.Add(Make(std::string(100, 'a'))).empty());
  // Evicting 'a' could never make room for it, so only the newcomer goes.
  std::vector<Transaction> evicted = queue.Add(Make(std::string(300, 'x')));
  EXPECT_THAT(Bodies(evicted), ElementsAre(std::string(300, 'x')));
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.Bytes(), 100u);
}

TEST(RetryQueueTest, WhenThePoolHasNoRoomTheOldestAreEvictedAsIfTheQueueWereFull) {
  runtime::MemoryAccount account(25);  // Room for two 10-byte bodies besides what others hold.
  runtime::MemoryShare& share = account.AddShare("forwarder.retry_queue", 0);
  runtime::MemoryShare& other = account.AddShare("apm.inflight", 0);
  {
    RetryQueue queue(1000, &share);
    EXPECT_TRUE(queue.Add(Make("aaaaaaaaaa")).empty());
    EXPECT_TRUE(queue.Add(Make("bbbbbbbbbb")).empty());
    EXPECT_EQ(share.used(), 20u);
    EXPECT_THAT(Bodies(queue.Add(Make("cccccccccc"))), ElementsAre("aaaaaaaaaa"));
    EXPECT_EQ(share.used(), 20u);
    // Another share takes the rest of the pool: the queue gives up its oldest to stay in it.
    ASSERT_TRUE(other.TryCharge(5));
    EXPECT_THAT(Bodies(queue.Add(Make("dddddddddd"))), ElementsAre("bbbbbbbbbb"));
    EXPECT_EQ(account.used(), 25u);
    EXPECT_EQ(queue.Bytes(), 20u);
    EXPECT_THAT(Bodies(queue.TakeOldest(1)), ElementsAre("cccccccccc"));
    EXPECT_EQ(share.used(), 10u);
    EXPECT_TRUE(queue.Add(Make("eeeeeeeeee")).empty());
    EXPECT_EQ(queue.TakeAll().size(), 2u);
    EXPECT_EQ(share.used(), 0u);
    EXPECT_TRUE(queue.Add(Make("ffffffffff")).empty());
  }
  EXPECT_EQ(share.used(), 0u);  // The destructor gives back what the queue held.
}

TEST(RetryQueueTest, TakeOldestRemovesInEvictionOrderUntilEnoughBytes) {
  RetryQueue queue(1000);
  EXPECT_THAT(queue.Add(Make("h1", Priority::kHigh)), ::testing::IsEmpty());
  EXPECT_THAT(queue.Add(Make("n1")), ::testing::IsEmpty());
  EXPECT_THAT(queue.Add(Make("n2")), ::testing::IsEmpty());
  // Lowest priority, oldest first; stops once 3 bytes left (two 2-byte bodies).
  EXPECT_THAT(Bodies(queue.TakeOldest(3)), ElementsAre("n1", "n2"));
  EXPECT_EQ(queue.Bytes(), 2u);
  EXPECT_THAT(Bodies(queue.TakeOldest(100)), ElementsAre("h1"));
  EXPECT_TRUE(queue.empty());
  EXPECT_THAT(queue.TakeOldest(1), ::testing::IsEmpty());
}

}  // namespace
}  // namespace sidecar::forwarder
