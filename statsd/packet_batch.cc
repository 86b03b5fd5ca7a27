#include "statsd/packet_batch.h"

#include <functional>

namespace sidecar::statsd {

std::shared_ptr<BatchPool> BatchPool::Create(size_t max_batches, size_t packets_per_batch,
                                             size_t batch_bytes, runtime::MemoryShare* share) {
  return std::shared_ptr<BatchPool>(
      new BatchPool(max_batches, packets_per_batch, batch_bytes, share));
}

BatchPool::~BatchPool() {
  if (share_ != nullptr) {
    share_->Release(created_ * BatchBytes());
  }
}

BatchPool::Handle BatchPool::Acquire() {
  std::unique_ptr<PacketBatch> batch;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      batch = std::move(free_.back());
      free_.pop_back();
    } else if (created_ < max_batches_ && (share_ == nullptr || share_->TryCharge(BatchBytes()))) {
      ++created_;
    } else {
      return Handle(nullptr, [](PacketBatch*) {});
    }
    ++in_flight_;
  }
  if (batch == nullptr) {
    // Allocated outside the lock.
    batch = std::make_unique<PacketBatch>(packets_per_batch_, batch_bytes_);
  }
  batch->Clear();
  std::weak_ptr<BatchPool> weak = weak_from_this();
  return Handle(batch.release(), [weak](PacketBatch* released) {
    if (auto pool = weak.lock()) {
      pool->Release(released);
    } else {
      delete released;
    }
  });
}

void BatchPool::Release(PacketBatch* batch) {
  std::lock_guard lock(mutex_);
  free_.emplace_back(batch);
  --in_flight_;
}

size_t BatchPool::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

}  // namespace sidecar::statsd
