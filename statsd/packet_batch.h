// PacketBatch: datagrams read in one recvmmsg call, stored back to back in one buffer, handed from
// the ingress thread to the compute strand by move. BatchPool recycles batches and bounds how many
// are in flight, which bounds DogStatsD's receive memory: when every batch is busy, the source
// reads and drops (counted) rather than queueing without limit.
//
// With UDS origin detection (DD_DOGSTATSD_ORIGIN_DETECTION) each Unix datagram also carries its
// sender's pid from SCM_CREDENTIALS; has_pids() says whether the reader recorded them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "agent/runtime/memory_account.h"

namespace sidecar::statsd {

// kUdsStream: frames of the Unix stream socket (statsd/stream_source.h), one frame per packet.
enum class Transport : uint8_t { kUdp, kUds, kUdsStream };

class PacketBatch {
 public:
  PacketBatch(size_t max_packets, size_t packet_buffer_size)
      : buffer_size_(packet_buffer_size),
        storage_(max_packets * packet_buffer_size),
        lengths_(max_packets, 0),
        pids_(max_packets, 0) {}

  size_t capacity() const { return lengths_.size(); }
  size_t buffer_size() const { return buffer_size_; }
  size_t size() const { return count_; }
  Transport transport() const { return transport_; }
  void set_transport(Transport transport) { transport_ = transport; }

  // Slot i's receive buffer (buffer_size() bytes), for the reader to fill.
  char* SlotData(size_t i) { return storage_.data() + i * buffer_size_; }
  void SetFilled(size_t count) { count_ = count; }
  void SetLength(size_t i, uint32_t length) { lengths_[i] = length; }
  std::string_view Packet(size_t i) const {
    return std::string_view(storage_.data() + i * buffer_size_, lengths_[i]);
  }
  void Clear() {
    count_ = 0;
    has_pids_ = false;
  }

  // Sender pid of slot i as the kernel reported it in our PID namespace; 0 = unknown (no
  // credentials, or a sender outside the namespace). Meaningful only when has_pids().
  void SetPid(size_t i, int32_t pid) { pids_[i] = pid; }
  int32_t Pid(size_t i) const { return pids_[i]; }
  bool has_pids() const { return has_pids_; }
  void set_has_pids(bool has_pids) { has_pids_ = has_pids; }

 private:
  size_t buffer_size_;
  std::vector<char> storage_;
  std::vector<uint32_t> lengths_;
  std::vector<int32_t> pids_;
  size_t count_ = 0;
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
                                           size_t packet_buffer_size,
                                           runtime::MemoryShare* share = nullptr);
  ~BatchPool();
  BatchPool(const BatchPool&) = delete;
  BatchPool& operator=(const BatchPool&) = delete;

  // A free batch, or nullptr when all `max_batches` are in flight.
  Handle Acquire();
  size_t in_flight() const;

 private:
  BatchPool(size_t max_batches, size_t packets_per_batch, size_t packet_buffer_size,
            runtime::MemoryShare* share)
      : max_batches_(max_batches),
        packets_per_batch_(packets_per_batch),
        packet_buffer_size_(packet_buffer_size),
        share_(share) {}
  uint64_t BatchBytes() const { return uint64_t{packets_per_batch_} * packet_buffer_size_; }
  void Release(PacketBatch* batch);

  const size_t max_batches_;
  const size_t packets_per_batch_;
  const size_t packet_buffer_size_;
  runtime::MemoryShare* const share_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<PacketBatch>> free_;
  size_t created_ = 0;
  size_t in_flight_ = 0;
};

}  // namespace sidecar::statsd
