// Snapshot<T>: read-mostly shared data (task tags, config views) published as an immutable value.
// Writers build a new T and Publish() it; readers Get() a shared_ptr once per batch and read it
// without further locking. The mutex guards only the pointer swap.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace sidecar::common {

template <typename T>
class Snapshot {
 public:
  explicit Snapshot(std::shared_ptr<const T> initial = std::make_shared<const T>())
      : current_(std::move(initial)) {}

  std::shared_ptr<const T> Get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }

  void Publish(std::shared_ptr<const T> next) {
    std::lock_guard lock(mutex_);
    current_.swap(next);
    version_.fetch_add(1, std::memory_order_release);
  }

  // Bumped by every Publish(): lets a reader that caches what it derived from the value check
  // cheaply (one atomic load) whether to derive again.
  uint64_t Version() const { return version_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace sidecar::common
