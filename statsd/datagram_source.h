// DatagramSource: the DogStatsD listeners (spec dogstatsd.md §1). UDP on 127.0.0.1 (or every
// interface with DD_DOGSTATSD_NON_LOCAL_TRAFFIC) and a Unix datagram socket, both drained with
// recvmmsg and copied into pooled PacketBatches on the ingress thread and handed to `sink` (which
// posts them to the compute strand). When every batch is in flight a socket is left unread until
// one comes back, so a flood costs bounded memory: Unix socket senders block or see EAGAIN, UDP
// datagrams wait in the socket's receive buffer, and what overflows it the kernel drops and we
// count (packets_dropped{reason:socket_buffer_full}, from SO_RXQ_OVFL).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "agent/common/asio.h"
#include "agent/telemetry/registry.h"
#include "statsd/packet_batch.h"

namespace sidecar::statsd {

struct DatagramSourceOptions {
  std::string bind_address = "127.0.0.1";  // "0.0.0.0" with DD_DOGSTATSD_NON_LOCAL_TRAFFIC.
  uint16_t udp_port = 8125;                // 0 disables UDP (DD_DOGSTATSD_PORT).
  std::string socket_path;                 // "" disables UDS (DD_DOGSTATSD_SOCKET).
  size_t buffer_size = 8192;               // DD_DOGSTATSD_BUFFER_SIZE: largest datagram read whole.
  int so_rcvbuf = 0;                       // DD_DOGSTATSD_SO_RCVBUF; 0 keeps the OS default.
  size_t packets_per_batch = 32;
  // How long a partly filled batch may wait for more datagrams before it is handed over (the socket
  // keeps being read meanwhile; only the hand-over to the compute strand waits).
  std::chrono::microseconds linger{2000};
  // 32 x 64 KiB (kCompactBatchBytes) = 2 MiB worst case; with the kernel socket buffer that
  // absorbs ~15 ms of a 1 M lines/s burst while the compute strand catches up.
  size_t max_batches_in_flight = 32;
  // The batches' share of the memory pool (packet_batch.h); null: only the count above bounds them.
  runtime::MemoryShare* batch_share = nullptr;
  // DD_DOGSTATSD_ORIGIN_DETECTION (default false, Unix socket only): SO_PASSCRED on the socket, and
  // each datagram's sender pid recorded in its batch slot (PacketBatch::Pid). Off costs nothing.
  bool origin_detection = false;
  // True while the process is over its memory soft mark (agent/runtime/memory_guard.h); null never.
  // The Unix socket then stops being read (senders block or see EAGAIN: backpressure); UDP, which
  // has no backpressure, is read and dropped, counted as packets_dropped{reason:memory_pressure}.
  std::function<bool()> under_memory_pressure;
};

class DatagramSource {
 public:
  using BatchSink = std::function<void(BatchPool::Handle)>;

  DatagramSource(boost::asio::io_context& ingress, DatagramSourceOptions options, BatchSink sink,
                 telemetry::Registry& registry);
  ~DatagramSource();
  DatagramSource(const DatagramSource&) = delete;
  DatagramSource& operator=(const DatagramSource&) = delete;

  // Binds the enabled sockets and starts reading. Errors name the variable to change.
  absl::Status Start();
  uint16_t UdpPort() const { return udp_port_; }
  // Closes the sockets (posted to the ingress thread). The destructor does the same when the
  // ingress loop has not stopped, and removes the socket file.
  void Stop();

 private:
  struct Reader;
  absl::Status StartUdp();
  absl::Status StartUds();

  boost::asio::io_context& ingress_;
  DatagramSourceOptions options_;
  std::shared_ptr<BatchPool> pool_;
  std::shared_ptr<Reader> udp_reader_;
  std::shared_ptr<Reader> uds_reader_;
  uint16_t udp_port_ = 0;
  BatchSink sink_;
  telemetry::Registry& registry_;
};

}  // namespace sidecar::statsd
