// Snapshot<T>: read-mostly shared data (task tags, config views) published as an immutable value.
// Writers build a new T and Publish() it; readers Get() a shared_ptr once per batch and read it
// without further locking. The mutex guards only the pointer swap.
#pragma once

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
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
};

}  // namespace sidecar::common
