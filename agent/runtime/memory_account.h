// MemoryAccount: the one pool that the sidecar's large buffers draw from (issue #9). Each buffer is
// a named MemoryShare with its own cap (a share of the limit, memory_budget.h); a charge succeeds
// only when both the share's cap and the pool's capacity allow it, so the caps together can never
// add up to more than the pool, whatever the traffic mix. A refused charge is the buffer's signal
// to apply its backpressure or drop (and count) what it was given. The pool's capacity is the
// soft mark minus what the process holds when idle (memory_budget.h: AccountCapacity), so a full
// pool leaves the resident size near the soft mark, and MemoryGuard's resident-size watch only
// has to catch what no share sees (allocator slack, flush scratch).
//
//   MemoryAccount account(budget.AccountCapacity(idle_rss));
//   MemoryShare& inflight = account.AddShare("apm.inflight", budget.ApmInflightBytes(64 << 20));
//   if (!inflight.TryCharge(body_bytes)) return Refuse();   // any thread
//   ...; inflight.Release(body_bytes);
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace sidecar::runtime {

class MemoryAccount;

// A named consumer's draw on the pool. Thread-safe; lives as long as its account.
class MemoryShare {
 public:
  MemoryShare(const MemoryShare&) = delete;
  MemoryShare& operator=(const MemoryShare&) = delete;

  // Charges `bytes` when this share's cap and the pool both have room; otherwise charges nothing,
  // counts a refusal and returns false.
  bool TryCharge(uint64_t bytes);
  // Charges memory that is already held and cannot be refused (it still counts against the pool,
  // so the other shares see less room).
  void ForceCharge(uint64_t bytes);
  void Release(uint64_t bytes);

  const std::string& name() const { return name_; }
  uint64_t cap() const { return cap_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
  uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

 private:
  friend class MemoryAccount;
  MemoryShare(MemoryAccount& account, std::string name, uint64_t cap)
      : account_(account), name_(std::move(name)), cap_(cap) {}
  void NotePeak(uint64_t used);

  MemoryAccount& account_;
  const std::string name_;
  const uint64_t cap_;
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> peak_{0};
  std::atomic<uint64_t> refusals_{0};
};

class MemoryAccount {
 public:
  // `capacity` 0: no pool limit; charges are still counted and only the shares' caps apply.
  explicit MemoryAccount(uint64_t capacity) : capacity_(capacity) {}
  MemoryAccount(const MemoryAccount&) = delete;
  MemoryAccount& operator=(const MemoryAccount&) = delete;

  // Adds a share (the returned reference lives as long as the account). `cap` 0: no cap of its
  // own. Shares are added at start-up; adding while others charge is safe.
  MemoryShare& AddShare(std::string name, uint64_t cap);

  uint64_t capacity() const { return capacity_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
  // The shares in the order they were added, for status.
  std::vector<const MemoryShare*> shares() const;

 private:
  friend class MemoryShare;
  bool TryCharge(uint64_t bytes);
  void ForceCharge(uint64_t bytes);
  void Release(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  const uint64_t capacity_;
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> peak_{0};
  mutable absl::Mutex mutex_;
  std::vector<std::unique_ptr<MemoryShare>> shares_ ABSL_GUARDED_BY(mutex_);
};

// Keeps a share charged for what a single-threaded owner needs, in whole chunks, so that a hot
// path growing one item at a time pays one comparison per item and touches the shared atomics
// once per chunk. Without a share every Ensure succeeds.
class ChunkedCharge {
 public:
  ChunkedCharge(MemoryShare* share, uint64_t chunk_bytes) : share_(share), chunk_(chunk_bytes) {}
  ~ChunkedCharge();
  ChunkedCharge(const ChunkedCharge&) = delete;
  ChunkedCharge& operator=(const ChunkedCharge&) = delete;

  // True when `needed_bytes` is covered by the charge, growing it when the share allows.
  bool Ensure(uint64_t needed_bytes) { return needed_bytes <= charged_ || Grow(needed_bytes); }
  // Gives back the whole chunks above `needed_bytes`.
  void Shrink(uint64_t needed_bytes);
  uint64_t charged() const { return charged_; }

 private:
  bool Grow(uint64_t needed_bytes);
  uint64_t RoundUp(uint64_t bytes) const { return (bytes + chunk_ - 1) / chunk_ * chunk_; }

  MemoryShare* share_;
  uint64_t chunk_;
  uint64_t charged_ = 0;
};

}  // namespace sidecar::runtime
