// In-memory queue of transactions waiting for a retry, capped by payload bytes like the Agent's
// transaction_retry_queue.go (forwarder_retry_queue_payloads_max_size, 15 MiB; H11). With a
// memory limit the queue's bytes are also charged to its share of the sidecar's one memory pool
// (agent/runtime/memory_account.h): when the pool has no room, the queue evicts as if it were full.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "agent/forwarder/transaction.h"
#include "agent/runtime/memory_account.h"

namespace sidecar::forwarder {

class RetryQueue {
 public:
  static constexpr size_t kDefaultMaxBytes = size_t{15} * 1024 * 1024;

  explicit RetryQueue(size_t max_bytes = kDefaultMaxBytes, runtime::MemoryShare* share = nullptr)
      : max_bytes_(max_bytes), share_(share) {}
  ~RetryQueue();
  RetryQueue(const RetryQueue&) = delete;
  RetryQueue& operator=(const RetryQueue&) = delete;

  // Queues `transaction`, then evicts lowest priority first, oldest first, until the queue fits
  // its budget (and its share of the memory pool has room for it). Returns the evicted transactions
  // (possibly `transaction` itself) so the caller counts them as dropped with reason
  // "retry_queue_full".
  [[nodiscard]] std::vector<Transaction> Add(Transaction transaction);

  // Removes everything, high priority first, then newest first: the order the Agent retries in,
  // so fresh data wins when the outage ends.
  std::vector<Transaction> TakeAll();

  // Removes the next transactions to evict (lowest priority, oldest first) until at least
  // `bytes` of payload left the queue or it is empty. Lets the forwarder spill a large batch to
  // disk at once instead of one file per overflowing transaction.
  std::vector<Transaction> TakeOldest(size_t bytes);

  size_t Bytes() const { return bytes_; }
  size_t size() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }

 private:
  using Key = std::pair<Priority, uint64_t>;  // (priority, sequence)
  // Descending on both: begin() is the next to retry, the last element the next to evict.
  std::map<Key, Transaction, std::greater<>> queue_;
  // Brings the share's charge to bytes_, evicting (into `evicted`) while the pool refuses.
  void SettleCharge(std::vector<Transaction>* evicted);
  Transaction PopLast();

  size_t max_bytes_;
  runtime::MemoryShare* share_;
  size_t bytes_ = 0;
  size_t charged_ = 0;  // What share_ holds for this queue.
};

}  // namespace sidecar::forwarder
