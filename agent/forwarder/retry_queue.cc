#include "agent/forwarder/retry_queue.h"

#include <iterator>

namespace sidecar::forwarder {

std::vector<Transaction> RetryQueue::Add(Transaction transaction) {
  std::vector<Transaction> evicted;
  if (transaction.Bytes() > max_bytes_) {
    // It could never fit; evicting others first would lose them for nothing.
    evicted.push_back(std::move(transaction));
    return evicted;
  }
  bytes_ += transaction.Bytes();
  Key key{transaction.priority(), transaction.sequence};
  queue_.insert_or_assign(key, std::move(transaction));  // Sequences are unique per forwarder.
  while (bytes_ > max_bytes_ && !queue_.empty()) {
    evicted.push_back(PopLast());
  }
  SettleCharge(&evicted);
  return evicted;
}

RetryQueue::~RetryQueue() {
  if (share_ != nullptr && charged_ > 0) {
    share_->Release(charged_);
  }
}

Transaction RetryQueue::PopLast() {
  auto last = std::prev(queue_.end());
  bytes_ -= last->second.Bytes();
  Transaction transaction = std::move(last->second);
  queue_.erase(last);
  return transaction;
}

void RetryQueue::SettleCharge(std::vector<Transaction>* evicted) {
  if (share_ == nullptr) {
    return;
  }
  while (bytes_ > charged_) {
    if (share_->TryCharge(bytes_ - charged_)) {
      charged_ = bytes_;
      return;
    }
    evicted->push_back(PopLast());
  }
  if (charged_ > bytes_) {
    share_->Release(charged_ - bytes_);
    charged_ = bytes_;
  }
}

std::vector<Transaction> RetryQueue::TakeAll() {
  std::vector<Transaction> out;
  out.reserve(queue_.size());
  for (auto& [key, transaction] : queue_) {
    out.push_back(std::move(transaction));
  }
  queue_.clear();
  bytes_ = 0;
  SettleCharge(nullptr);
  return out;
}

std::vector<Transaction> RetryQueue::TakeOldest(size_t bytes) {
  std::vector<Transaction> out;
  size_t taken = 0;
  while (taken < bytes && !queue_.empty()) {
    out.push_back(PopLast());
    taken += out.back().Bytes();
  }
  SettleCharge(nullptr);
  return out;
}

}  // namespace sidecar::forwarder
