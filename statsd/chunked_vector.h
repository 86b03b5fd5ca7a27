// File: statsd/chunked_vector.h
//
// A grow-only array indexed by dense ids (context ids) that allocates fixed chunks instead of
// doubling one block. The aggregation state of 10k contexts lives in a few of these; a doubling
// vector would keep up to half of each unused, and hold the old and the new block at once while it
// grows, and that transient sets the process's peak RSS under a burst of new contexts. Elements
// never move once created, so references stay valid as the array grows.
//
//   ChunkedVector<Slot> slots;
//   slots.resize(id_bound);   // default-constructs the new elements
//   Slot& slot = slots[id];
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace sidecar::statsd {

template <typename T, size_t kChunkBits = 10>
class ChunkedVector {
 public:
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t index) { return chunks_[index >> kChunkBits][index & kIndexMask]; }
  const T& operator[](size_t index) const {
    return chunks_[index >> kChunkBits][index & kIndexMask];
  }

  // Grows to `count` elements (default-constructed); never shrinks: ids are reused instead.
  void resize(size_t count) {
    while (chunks_.size() * kChunkSize < count) {
      chunks_.push_back(std::make_unique<T[]>(kChunkSize));
    }
    if (count > size_) {
      size_ = count;
    }
  }

 private:
  static constexpr size_t kIndexMask = kChunkSize - 1;

  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

}  // namespace sidecar::statsd
