#include "agent/runtime/memory_account.h"

namespace sidecar::runtime {
namespace {

void RaisePeak(std::atomic<uint64_t>& peak, uint64_t value) {
  uint64_t seen = peak.load(std::memory_order_relaxed);
  while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

}  // namespace

bool MemoryShare::TryCharge(uint64_t bytes) {
  const uint64_t before = used_.fetch_add(bytes, std::memory_order_relaxed);
  if ((cap_ != 0 && before + bytes > cap_) || !account_.TryCharge(bytes)) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
    refusals_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  NotePeak(before + bytes);
  return true;
}

void MemoryShare::ForceCharge(uint64_t bytes) {
  const uint64_t before = used_.fetch_add(bytes, std::memory_order_relaxed);
  account_.ForceCharge(bytes);
  NotePeak(before + bytes);
}

void MemoryShare::Release(uint64_t bytes) {
  used_.fetch_sub(bytes, std::memory_order_relaxed);
  account_.Release(bytes);
}

void MemoryShare::NotePeak(uint64_t used) { RaisePeak(peak_, used); }

MemoryShare& MemoryAccount::AddShare(std::string name, uint64_t cap) {
  absl::MutexLock lock(&mutex_);
  // The constructor is private to MemoryAccount, so make_unique cannot reach it.
  shares_.push_back(std::unique_ptr<MemoryShare>(new MemoryShare(*this, std::move(name), cap)));
  return *shares_.back();
}

std::vector<const MemoryShare*> MemoryAccount::shares() const {
  absl::MutexLock lock(&mutex_);
  std::vector<const MemoryShare*> out;
  out.reserve(shares_.size());
  for (const auto& share : shares_) {
    out.push_back(share.get());
  }
  return out;
}

bool MemoryAccount::TryCharge(uint64_t bytes) {
  const uint64_t before = used_.fetch_add(bytes, std::memory_order_relaxed);
  if (capacity_ != 0 && before + bytes > capacity_) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
    return false;
  }
  RaisePeak(peak_, before + bytes);
  return true;
}

void MemoryAccount::ForceCharge(uint64_t bytes) {
  RaisePeak(peak_, used_.fetch_add(bytes, std::memory_order_relaxed) + bytes);
}

ChunkedCharge::~ChunkedCharge() {
  if (share_ != nullptr && charged_ > 0) {
    share_->Release(charged_);
  }
}

bool ChunkedCharge::Grow(uint64_t needed_bytes) {
  if (share_ == nullptr) {
    charged_ = needed_bytes;
    return true;
  }
  const uint64_t target = RoundUp(needed_bytes);
  if (!share_->TryCharge(target - charged_)) {
    return false;
  }
  charged_ = target;
  return true;
}

void ChunkedCharge::Shrink(uint64_t needed_bytes) {
  const uint64_t target = RoundUp(needed_bytes);
  if (target >= charged_) {
    return;
  }
  if (share_ != nullptr) {
    share_->Release(charged_ - target);
  }
  charged_ = target;
}

}  // namespace sidecar::runtime
