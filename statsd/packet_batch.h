// PacketBatch: datagrams read by recvmmsg, copied back to back into one buffer and handed from the
// ingress thread to the compute strand by move. BatchPool recycles batches and bounds how many
// are in flight, which bounds DogStatsD's receive memory: when every batch is busy, the source
// stops reading (the kernel's socket queue holds what arrives) rather than queueing without limit.
//
// Batches hold the bytes that arrived, not a receive slot per datagram: recvmmsg needs a slot of
// DD_DOGSTATSD_BUFFER_SIZE (8 KiB) for each datagram it may return, but clients send ~1.4 KiB, so
// batches of slots left most of their memory idle (32 batches x 32 slots x 8 KiB = 8 MiB, a third
// of the process's resident size under load). Each reader keeps one set of slots and copies what
// arrived into a compact batch (kCompactBatchBytes).
//
// With UDS origin detection (DD_DOGSTATSD_ORIGIN_DETECTION) each Unix datagram also carries its
// sender's pid from SCM_CREDENTIALS; has_pids() says whether the reader recorded them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "agent/runtime/memory_account.h"

namespace sidecar::statsd {

// kUdsStream: frames of the Unix stream socket (statsd/stream_source.h), one frame per packet.
enum class Transport : uint8_t { kUdp, kUds, kUdsStream };

// Bytes per pooled batch: 32 datagrams of a typical 1,432 bytes fit; one of the largest readable
// datagram (buffer_size) always does.
constexpr size_t kCompactBatchBytes = 64 * 1024;
inline size_t CompactBatchBytes(size_t buffer_size) {
  return buffer_size > kCompactBatchBytes ? buffer_size : kCompactBatchBytes;
}

class PacketBatch {
 public:
  // Not zero-filled: pages are touched only as datagrams are copied in.
  PacketBatch(size_t max_packets, size_t byte_capacity)
      : max_packets_(max_packets),
        byte_capacity_(byte_capacity),
        storage_(std::make_unique_for_overwrite<char[]>(byte_capacity)) {
    ends_.reserve(max_packets);
  }

  size_t size() const { return ends_.size(); }
  size_t max_packets() const { return max_packets_; }
  size_t byte_capacity() const { return byte_capacity_; }
  bool full() const { return ends_.size() == max_packets_; }
  Transport transport() const { return transport_; }
  void set_transport(Transport transport) { transport_ = transport; }

  // Copies `packet` in after the others; false (and nothing copied) when the batch has no room
  // left for it, by count or by bytes.
  bool Append(std::string_view packet, int32_t pid = 0) {
    const size_t begin = ends_.empty() ? 0 : ends_.back();
    if (full() || packet.size() > byte_capacity_ - begin) {
      return false;
    }
    std::memcpy(storage_.get() + begin, packet.data(), packet.size());
    ends_.push_back(static_cast<uint32_t>(begin + packet.size()));
    if (has_pids_) {
      pids_.push_back(pid);
    }
    return true;
  }
  std::string_view Packet(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(storage_.get() + begin, ends_[i] - begin);
  }
  void Clear() {
    ends_.clear();
    pids_.clear();
    has_pids_ = false;
  }

  // Sender pid of packet i as the kernel reported it in our PID namespace; 0 = unknown (no
  // credentials, or a sender outside the namespace). Meaningful only when has_pids(), which must
  // be set before the first Append.
  int32_t Pid(size_t i) const { return pids_[i]; }
  bool has_pids() const { return has_pids_; }
  void set_has_pids(bool has_pids) {
    has_pids_ = has_pids;
    if (has_pids && pids_.capacity() < max_packets_) {
      pids_.reserve(max_packets_);
    }
  }

 private:
  size_t max_packets_;
  size_t byte_capacity_;
  std::unique_ptr<char[]> storage_;
  std::vector<uint32_t> ends_;  // ends_[i]: one past packet i's last byte.
  std::vector<int32_t> pids_;
  Transport transport_ = Transport::kUdp;
  bool has_pids_ = false;
};

class BatchPool : public std::enable_shared_from_this<BatchPool> {
 public:
  // A batch returns itself to the pool when its owner lets go of it.
  using Handle = std::unique_ptr<PacketBatch, std::function<void(PacketBatch*)>>;

  // Batches are created on demand, up to `max_batches`, each charged to `share` (may be null) of
  // the memory pool (agent/runtime/memory_account.h) for as long as the pool keeps it; when the
  // share refuses, Acquire finds the pool exhausted.
  static std::shared_ptr<BatchPool> Create(size_t max_batches, size_t packets_per_batch,
                                           size_t batch_bytes,
                                           runtime::MemoryShare* share = nullptr);
  ~BatchPool();
  BatchPool(const BatchPool&) = delete;
  BatchPool& operator=(const BatchPool&) = delete;

  // A free batch, or nullptr when all `max_batches` are in flight.
  Handle Acquire();
  size_t in_flight() const;

 private:
  BatchPool(size_t max_batches, size_t packets_per_batch, size_t batch_bytes,
            runtime::MemoryShare* share)
      : max_batches_(max_batches),
        packets_per_batch_(packets_per_batch),
        batch_bytes_(batch_bytes),
        share_(share) {}
  uint64_t BatchBytes() const { return batch_bytes_; }
  void Release(PacketBatch* batch);

  const size_t max_batches_;
  const size_t packets_per_batch_;
  const size_t batch_bytes_;
  runtime::MemoryShare* const share_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<PacketBatch>> free_;
  size_t created_ = 0;
  size_t in_flight_ = 0;
};

}  // namespace sidecar::statsd
