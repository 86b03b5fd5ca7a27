#include "statsd/datagram_source.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace sidecar::statsd {
namespace {

namespace asio = boost::asio;

// At most this many recvmmsg batches per wake-up, so one busy socket cannot starve the other
// listeners sharing the ingress thread; pending data re-arms the wait at once.
constexpr int kMaxBatchesPerWakeup = 8;
// How long the Unix socket is left unread while memory is under pressure before looking again.
constexpr auto kPressurePause = std::chrono::milliseconds(20);
// How long a socket is left unread when every batch is in flight (the compute strand returns
// them within microseconds to milliseconds; a flush of 10k contexts takes 5-15 ms).
constexpr auto kPoolExhaustedPause = std::chrono::milliseconds(1);
// recvmmsg calls at most when a socket closes (each up to a batch): far more than any receive
// buffer holds, so only a sender still flooding at that moment can end the drain early.
constexpr size_t kMaxCloseRounds = 4096;

// Ancillary space for one SCM_CREDENTIALS message; anything more a sender attaches is cut
// (MSG_CTRUNC) and ignored, as the Agent does.
constexpr size_t kCredentialsSpace = CMSG_SPACE(sizeof(ucred));
// Ancillary space for the kernel's SO_RXQ_OVFL count of datagrams it dropped at a UDP socket whose
// receive buffer was full.
constexpr size_t kOverflowSpace = CMSG_SPACE(sizeof(uint32_t));

// The sender pid in a received message's ancillary data; 0 when there is none.
int32_t SenderPid(msghdr& message) {
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_CREDENTIALS &&
        header->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      ucred credentials{};
      std::memcpy(&credentials, CMSG_DATA(header), sizeof(credentials));
      return credentials.pid;
    }
  }
  return 0;
}

// The socket's running count of overflow drops attached to a received UDP datagram, if any (the
// kernel attaches it once the count is non-zero).
std::optional<uint32_t> OverflowCount(msghdr& message) {
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SO_RXQ_OVFL &&
        header->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
      uint32_t count = 0;
      std::memcpy(&count, CMSG_DATA(header), sizeof(count));
      return count;
    }
  }
  return std::nullopt;
}

}  // namespace

// One recvmmsg call's receive slots, DD_DOGSTATSD_BUFFER_SIZE bytes each, reused for every read;
// what arrives is copied on into compact pooled batches. Datagrams [next, count) are not handed
// on yet: a reader that runs out of batches keeps them here until one is free.
struct ReceiveArea {
  // `control_bytes_in`: ancillary space per slot (0: none).
  ReceiveArea(size_t slots, size_t slot_bytes_in, size_t control_bytes_in)
      : slot_bytes(slot_bytes_in),
        control_bytes(control_bytes_in),
        storage(std::make_unique_for_overwrite<char[]>(slots * slot_bytes_in)),
        lengths(slots, 0),
        pids(slots, 0),
        headers(slots),
        iovecs(slots) {
    // uint64_t keeps cmsghdr alignment.
    const size_t control_words = (control_bytes + sizeof(uint64_t) - 1) / sizeof(uint64_t);
    control.resize(slots * control_words);
    for (size_t i = 0; i < slots; ++i) {
      iovecs[i] = {storage.get() + i * slot_bytes, slot_bytes};
      std::memset(&headers[i], 0, sizeof(headers[i]));
      headers[i].msg_hdr.msg_iov = &iovecs[i];
      headers[i].msg_hdr.msg_iovlen = 1;
      if (control_bytes > 0) {
        headers[i].msg_hdr.msg_control = control.data() + i * control_words;
      }
    }
  }

  size_t capacity() const { return lengths.size(); }
  bool carried() const { return next < count; }
  std::string_view Packet(size_t i) const {
    return std::string_view(storage.get() + i * slot_bytes, lengths[i]);
  }

  size_t slot_bytes;
  size_t control_bytes;
  // Not zero-filled: only the bytes datagrams land on are touched.
  std::unique_ptr<char[]> storage;
  std::vector<uint32_t> lengths;
  std::vector<int32_t> pids;
  std::vector<mmsghdr> headers;  // Point at the slots for good; recvmmsg fills in lengths.
  std::vector<iovec> iovecs;
  std::vector<uint64_t> control;  // Ancillary buffers, control_bytes per slot.
  size_t count = 0;
  size_t next = 0;
};

// One socket's read loop. Generic over the socket type through its native handle: recvmmsg works
// the same on UDP and Unix datagram sockets.
struct DatagramSource::Reader : std::enable_shared_from_this<DatagramSource::Reader> {
  template <typename Socket>
  Reader(Socket socket_in, Transport transport_in, std::shared_ptr<BatchPool> pool_in,
         BatchSink sink_in, const DatagramSourceOptions& options, telemetry::Registry& registry,
         const std::string& name)
      : transport(transport_in),
        pool(std::move(pool_in)),
        sink(std::move(sink_in)),
        pass_credentials(options.origin_detection && transport_in == Transport::kUds),
        area(options.packets_per_batch, options.buffer_size,
             pass_credentials                  ? kCredentialsSpace
             : transport_in == Transport::kUdp ? kOverflowSpace
                                               : 0),
        linger(options.linger),
        under_memory_pressure(options.under_memory_pressure),
        packets(registry.GetCounter(fmt::format("dogstatsd.{}_packets", name), {{"state", "ok"}})),
        packet_errors(
            registry.GetCounter(fmt::format("dogstatsd.{}_packets", name), {{"state", "error"}})),
        bytes(registry.GetCounter(fmt::format("dogstatsd.{}_packets_bytes", name))),
        dropped(registry.GetCounter("dogstatsd.packets_dropped",
                                    {{"reason", "backpressure"}, {"transport", name}})),
        truncated(registry.GetCounter("dogstatsd.packets_truncated", {{"transport", name}})),
        memory_dropped(registry.GetCounter("dogstatsd.packets_dropped",
                                           {{"reason", "memory_pressure"}, {"transport", name}})),
        overflow_dropped(registry.GetCounter(
            "dogstatsd.packets_dropped", {{"reason", "socket_buffer_full"}, {"transport", name}})) {
    if constexpr (std::is_same_v<Socket, asio::ip::udp::socket>) {
      udp = std::make_unique<asio::ip::udp::socket>(std::move(socket_in));
      // Datagrams the kernel drops at a full receive buffer are counted there; this makes the
      // count visible to us (see OverflowCount), so that no loss goes uncounted.
      const int on = 1;
      count_overflow =
          setsockopt(udp->native_handle(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on)) == 0;
    } else {
      uds = std::make_unique<asio::local::datagram_protocol::socket>(std::move(socket_in));
    }
    linger_timer =
        std::make_unique<asio::steady_timer>(udp ? udp->get_executor() : uds->get_executor());
    pressure_timer =
        std::make_unique<asio::steady_timer>(udp ? udp->get_executor() : uds->get_executor());
  }

  int NativeHandle() { return udp ? udp->native_handle() : uds->native_handle(); }

  void Arm() {
    auto self = shared_from_this();
    auto on_ready = [self](const boost::system::error_code& ec) {
      if (!ec) {
        self->Drain();
      }
    };
    if (udp) {
      udp->async_wait(asio::socket_base::wait_read, on_ready);
    } else {
      uds->async_wait(asio::socket_base::wait_read, on_ready);
    }
  }

  // Reads until the socket would block. Datagrams accumulate in `pending` until it is full or has
  // waited `linger`: each hand-over to the compute strand wakes another thread, and at a million
  // lines per second that wake-up, not parsing, was the largest cost when every wake-up posted
  // whatever one recvmmsg returned. Aggregation is per 10 s, so a few milliseconds cost nothing.
  void Drain() {
    if (under_memory_pressure && under_memory_pressure()) {
      DrainUnderPressure();
      return;
    }
    for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
      if (!area.carried() && Receive() == 0) {
        break;
      }
      if (!Deliver()) {
        // Every batch is in flight: keep what was read and leave the rest in the kernel queue
        // rather than read and drop it. A Unix socket's sender blocks or sees EAGAIN, as with the
        // Agent; UDP datagrams wait in the socket's receive buffer, which absorbs a flush's stall
        // when DD_DOGSTATSD_SO_RCVBUF makes it large, and what overflows it is counted
        // (socket_buffer_full).
        Pause(kPoolExhaustedPause);
        return;
      }
      if (area.count < area.capacity()) {
        break;
      }
    }
    if (pending != nullptr && pending->size() > 0) {
      if (std::chrono::steady_clock::now() - pending_since >= linger) {
        Post();
      } else {
        ArmLingerTimer();
      }
    }
    if (!closed) {
      Arm();
    }
  }

  // Stops reading for a moment: what arrives meanwhile waits in the kernel queue.
  void Pause(std::chrono::milliseconds pause) {
    pressure_timer->expires_after(pause);
    pressure_timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->closed) {
        self->Arm();
      }
    });
  }

  void DrainUnderPressure() {
    if (transport == Transport::kUds) {
      Pause(kPressurePause);
      return;
    }
    for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
      const size_t received = Receive();
      DropUndelivered(memory_dropped);
      if (received < area.capacity()) {
        break;
      }
    }
    if (!closed) {
      Arm();
    }
  }

  // Copies the received datagrams on into pending batches, posting each batch that fills. False
  // when every batch is in flight before all were copied; area.next says where to resume.
  bool Deliver() {
    while (area.carried()) {
      if (pending == nullptr) {
        pending = pool->Acquire();
        if (pending == nullptr) {
          return false;
        }
        pending->set_has_pids(pass_credentials);
      }
      if (pending->size() == 0) {
        pending_since = std::chrono::steady_clock::now();
      }
      if (!pending->Append(area.Packet(area.next), area.pids[area.next])) {
        if (pending->size() == 0) {
          // Only a pool built with batches smaller than one datagram slot gets here.
          dropped.Add();
          ++area.next;
          continue;
        }
        Post();  // No room for this datagram's bytes: it starts the next batch.
        continue;
      }
      ++area.next;
      if (pending->full()) {
        Post();
      }
    }
    return true;
  }

  void DropUndelivered(telemetry::Counter& reason) {
    reason.Add(area.count - area.next);
    area.next = area.count;
  }

  void Post() {
    pending->set_transport(transport);
    sink(std::move(pending));
    pending = nullptr;
  }

  void ArmLingerTimer() {
    if (linger_armed) {
      return;
    }
    linger_armed = true;
    linger_timer->expires_after(linger);
    linger_timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->linger_armed = false;
      if (!ec && self->pending != nullptr && self->pending->size() > 0) {
        self->Post();
      }
    });
  }

  // Receives into every slot of the area, replacing what it held; returns how many arrived.
  size_t Receive() {
    area.count = 0;
    area.next = 0;
    if (area.control_bytes > 0) {
      for (mmsghdr& header : area.headers) {
        header.msg_hdr.msg_controllen = area.control_bytes;  // recvmmsg shrinks it to what came.
      }
    }
    const int count = recvmmsg(NativeHandle(), area.headers.data(),
                               static_cast<unsigned>(area.capacity()), MSG_DONTWAIT, nullptr);
    if (count <= 0) {
      if (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        packet_errors.Add();
      }
      return 0;
    }
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
      mmsghdr& header = area.headers[i];
      area.lengths[i] = header.msg_len;
      total_bytes += header.msg_len;
      if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        truncated.Add();
      }
      area.pids[i] = pass_credentials ? SenderPid(header.msg_hdr) : 0;
      if (count_overflow) {
        if (const std::optional<uint32_t> overflow = OverflowCount(header.msg_hdr)) {
          // A running count that wraps at 2^32: the difference is what was dropped since.
          overflow_dropped.Add(static_cast<uint32_t>(*overflow - last_overflow_count));
          last_overflow_count = *overflow;
        }
      }
    }
    area.count = static_cast<size_t>(count);
    packets.Add(area.count);
    bytes.Add(total_bytes);
    return area.count;
  }

  void Close() {
    if (closed) {
      return;  // Stop() and the destructor may both have asked.
    }
    closed = true;
    linger_timer->cancel();
    pressure_timer->cancel();
    // A datagram in the kernel queue was accepted by the sender's send(): read everything queued
    // before closing, so SIGTERM loses nothing that arrived before the socket closed. Bounded by
    // the socket's receive buffer; batches go on to the compute strand as usual.
    for (size_t round = 0; round < kMaxCloseRounds; ++round) {
      if (!area.carried() && Receive() == 0) {
        break;
      }
      if (!Deliver()) {
        DropUndelivered(dropped);
      }
    }
    // Whatever was read is accepted: hand it over so the final flush counts it.
    if (pending != nullptr && pending->size() > 0) {
      Post();
    }
    boost::system::error_code ignored;
    if (udp) {
      udp->close(ignored);
    }
    if (uds) {
      uds->close(ignored);
    }
  }

  Transport transport;
  std::shared_ptr<BatchPool> pool;
  BatchSink sink;
  bool pass_credentials;
  ReceiveArea area;
  std::unique_ptr<asio::ip::udp::socket> udp;
  std::unique_ptr<asio::local::datagram_protocol::socket> uds;
  BatchPool::Handle pending{nullptr, [](PacketBatch*) {}};
  std::chrono::steady_clock::time_point pending_since;
  std::chrono::microseconds linger;
  std::unique_ptr<asio::steady_timer> linger_timer;
  bool linger_armed = false;
  std::function<bool()> under_memory_pressure;
  std::unique_ptr<asio::steady_timer> pressure_timer;
  bool closed = false;
  telemetry::Counter& packets;
  telemetry::Counter& packet_errors;
  telemetry::Counter& bytes;
  telemetry::Counter& dropped;
  telemetry::Counter& truncated;
  telemetry::Counter& memory_dropped;
  telemetry::Counter& overflow_dropped;
  bool count_overflow = false;       // SO_RXQ_OVFL is on (UDP).
  uint32_t last_overflow_count = 0;  // The socket's overflow count when last seen.
};

DatagramSource::DatagramSource(asio::io_context& ingress, DatagramSourceOptions options,
                               BatchSink sink, telemetry::Registry& registry)
    : ingress_(ingress),
      options_(std::move(options)),
      pool_(BatchPool::Create(options_.max_batches_in_flight, options_.packets_per_batch,
                              CompactBatchBytes(options_.buffer_size), options_.batch_share)),
      sink_(std::move(sink)),
      registry_(registry) {}

DatagramSource::~DatagramSource() {
  // The readers belong to the ingress thread. While its loop may still run there, closing them
  // here would race with a read in progress, so the close is posted and the readers outlive this
  // object inside the handler; once the loop has stopped nothing else touches them.
  if (ingress_.stopped()) {
    for (auto* reader : {udp_reader_.get(), uds_reader_.get()}) {
      if (reader != nullptr) {
        reader->Close();
      }
    }
  } else {
    Stop();
  }
  if (!options_.socket_path.empty() && uds_reader_ != nullptr) {
    ::unlink(options_.socket_path.c_str());
  }
}

absl::Status DatagramSource::Start() {
  if (options_.udp_port != 0) {
    if (absl::Status status = StartUdp(); !status.ok()) {
      return status;
    }
  }
  if (!options_.socket_path.empty()) {
    if (absl::Status status = StartUds(); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status DatagramSource::StartUdp() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.bind_address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("Invalid DogStatsD bind address {}", options_.bind_address));
  }
  asio::ip::udp::socket socket(ingress_);
  const asio::ip::udp::endpoint endpoint(address, options_.udp_port);
  socket.open(endpoint.protocol(), ec);
  if (!ec && options_.so_rcvbuf > 0) {
    socket.set_option(asio::socket_base::receive_buffer_size(options_.so_rcvbuf), ec);
  }
  if (!ec) {
    socket.bind(endpoint, ec);
  }
  if (!ec) {
    socket.non_blocking(true, ec);
  }
  if (ec) {
    return absl::UnavailableError(
        fmt::format("Cannot listen for DogStatsD on UDP {}:{} (DD_DOGSTATSD_PORT): {}",
                    options_.bind_address, options_.udp_port, ec.message()));
  }
  udp_port_ = socket.local_endpoint().port();
  udp_reader_ = std::make_shared<Reader>(std::move(socket), Transport::kUdp, pool_, sink_, options_,
                                         registry_, "udp");
  udp_reader_->Arm();
  return absl::OkStatus();
}

absl::Status DatagramSource::StartUds() {
  const std::string& path = options_.socket_path;
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return absl::FailedPreconditionError(fmt::format(
          "DD_DOGSTATSD_SOCKET={} exists and is not a socket; refusing to replace it.", path));
    }
    ::unlink(path.c_str());  // A stale socket from a previous run.
  }
  boost::system::error_code ec;
  asio::local::datagram_protocol::socket socket(ingress_);
  socket.open(asio::local::datagram_protocol(), ec);
  if (!ec && options_.so_rcvbuf > 0) {
    socket.set_option(asio::socket_base::receive_buffer_size(options_.so_rcvbuf), ec);
  }
  if (!ec && options_.origin_detection) {
    // The kernel then attaches every sender's credentials, whether or not it sent any.
    const int on = 1;
    if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }
  if (!ec) {
    socket.bind(asio::local::datagram_protocol::endpoint(path), ec);
  }
  if (!ec) {
    socket.non_blocking(true, ec);
  }
  if (ec) {
    return absl::UnavailableError(
        fmt::format("Cannot listen for DogStatsD on the Unix socket {} (DD_DOGSTATSD_SOCKET): {}",
                    path, ec.message()));
  }
  // The Agent's mode: anyone may write, only the owner may read or list.
  ::chmod(path.c_str(), 0722);
  uds_reader_ = std::make_shared<Reader>(std::move(socket), Transport::kUds, pool_, sink_, options_,
                                         registry_, "uds");
  uds_reader_->Arm();
  return absl::OkStatus();
}

void DatagramSource::Stop() {
  asio::post(ingress_, [udp = udp_reader_, uds = uds_reader_] {
    if (udp) {
      udp->Close();
    }
    if (uds) {
      uds->Close();
    }
  });
}

}  // namespace sidecar::statsd
