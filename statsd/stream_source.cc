#include "statsd/stream_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace sidecar::statsd {
namespace {

namespace asio = boost::asio;
using StreamProtocol = asio::local::stream_protocol;

constexpr size_t kLengthPrefix = 4;
// After an accept error (EMFILE, ENFILE, ...) wait this long before accepting again, so the
// listener does not spin.
constexpr std::chrono::milliseconds kAcceptRetry{100};

uint32_t ReadLittleEndian32(const char* data) {
  uint32_t value = 0;
  for (size_t i = 0; i < kLengthPrefix; ++i) {
    value |= static_cast<uint32_t>(static_cast<unsigned char>(data[i])) << (8 * i);
  }
  return value;
}

}  // namespace

struct StreamSource::Listener : std::enable_shared_from_this<StreamSource::Listener> {
  Listener(asio::io_context& ingress, const StreamSourceOptions& options_in, BatchSink sink_in,
           telemetry::Registry& registry)
      : options(options_in),
        acceptor(ingress),
        accept_timer(ingress),
        pool(BatchPool::Create(options.max_batches_in_flight, options.packets_per_batch,
                               CompactBatchBytes(options.buffer_size), options.batch_share)),
        sink(std::move(sink_in)),
        accepted(registry.GetCounter("dogstatsd.uds_stream_connections_accepted")),
        accept_errors(registry.GetCounter("dogstatsd.uds_stream_accept_errors")),
        packets(registry.GetCounter("dogstatsd.uds_stream_packets", {{"state", "ok"}})),
        bytes(registry.GetCounter("dogstatsd.uds_stream_packets_bytes")),
        dropped_too_large(registry.GetCounter("dogstatsd.uds_stream_connections_dropped",
                                              {{"reason", "frame_too_large"}})),
        dropped_read_error(registry.GetCounter("dogstatsd.uds_stream_connections_dropped",
                                               {{"reason", "read_error"}})),
        dropped_truncated(registry.GetCounter("dogstatsd.uds_stream_connections_dropped",
                                              {{"reason", "truncated_frame"}})),
        dropped_limit(registry.GetCounter("dogstatsd.uds_stream_connections_dropped",
                                          {{"reason", "connection_limit"}})) {}

  void Accept();
  void Remove(Connection* connection);
  void Close();

  StreamSourceOptions options;
  StreamProtocol::acceptor acceptor;
  asio::steady_timer accept_timer;
  std::shared_ptr<BatchPool> pool;
  BatchSink sink;
  std::unordered_set<std::shared_ptr<Connection>> connections;
  bool closed = false;
  telemetry::Counter& accepted;
  telemetry::Counter& accept_errors;
  telemetry::Counter& packets;
  telemetry::Counter& bytes;
  telemetry::Counter& dropped_too_large;
  telemetry::Counter& dropped_read_error;
  telemetry::Counter& dropped_truncated;
  telemetry::Counter& dropped_limit;
};

// One client connection: reads into a bounded buffer, cuts frames, copies them into batches.
struct StreamSource::Connection : std::enable_shared_from_this<StreamSource::Connection> {
  Connection(std::shared_ptr<Listener> listener_in, StreamProtocol::socket socket_in)
      : listener(std::move(listener_in)),
        socket(std::move(socket_in)),
        retry(socket.get_executor()),
        // Room for one whole frame beyond a partial one: after Compact() the unread bytes are
        // less than one frame, so a read always has at least 4 + buffer_size bytes of space.
        buffer(2 * (kLengthPrefix + listener->options.buffer_size)) {}

  void Read() {
    socket.async_read_some(asio::buffer(buffer.data() + end, buffer.size() - end),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const boost::system::error_code& ec, size_t n) {
    if (closed) {
      return;
    }
    if (ec) {
      if (ec == asio::error::eof) {
        if (end > begin) {
          Drop(listener->dropped_truncated);  // The client went away inside a frame.
        } else {
          Finish();
        }
      } else if (ec != asio::error::operation_aborted) {
        Drop(listener->dropped_read_error);
      }
      return;
    }
    end += n;
    Process();
  }

  // Cuts every complete frame out of the buffer, then reads again (or waits for a free batch).
  void Process() {
    BatchPool::Handle batch(nullptr, [](PacketBatch*) {});
    while (end - begin >= kLengthPrefix) {
      const uint32_t length = ReadLittleEndian32(buffer.data() + begin);
      if (length > listener->options.buffer_size) {
        Send(batch);
        Drop(listener->dropped_too_large);  // B10.
        return;
      }
      if (end - begin - kLengthPrefix < length) {
        break;  // Incomplete frame: read more.
      }
      if (length > 0) {
        const std::string_view frame(buffer.data() + begin + kLengthPrefix, length);
        if (batch != nullptr && !batch->Append(frame)) {
          Send(batch);
        }
        if (batch == nullptr) {
          batch = listener->pool->Acquire();
          if (batch == nullptr) {
            WaitForBatch();  // Frames stay in the buffer; nothing is lost.
            return;
          }
          batch->set_transport(Transport::kUdsStream);
          batch->Append(frame);  // Always fits an empty batch: length <= buffer_size.
        }
        listener->packets.Add();
        listener->bytes.Add(length);
      }
      begin += kLengthPrefix + length;
    }
    Send(batch);
    Compact();
    Read();
  }

  void Send(BatchPool::Handle& batch) {
    if (batch != nullptr && batch->size() > 0) {
      listener->sink(std::move(batch));
    }
    batch = BatchPool::Handle(nullptr, [](PacketBatch*) {});
  }

  void WaitForBatch() {
    retry.expires_after(listener->options.backpressure_retry);
    retry.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->closed) {
        self->Process();
      }
    });
  }

  void Compact() {
    if (begin == 0) {
      return;
    }
    std::memmove(buffer.data(), buffer.data() + begin, end - begin);
    end -= begin;
    begin = 0;
  }

  void Drop(telemetry::Counter& reason) {
    reason.Add();
    Finish();
  }

  // Closes the socket and forgets the connection (its pending handlers see `closed`).
  void Finish() {
    Close();
    listener->Remove(this);
  }

  void Close() {
    closed = true;
    boost::system::error_code ignored;
    socket.close(ignored);
    retry.cancel();
  }

  std::shared_ptr<Listener> listener;
  StreamProtocol::socket socket;
  asio::steady_timer retry;
  std::vector<char> buffer;
  size_t begin = 0;  // First unread byte.
  size_t end = 0;    // One past the last received byte.
  bool closed = false;
};

void StreamSource::Listener::Accept() {
  acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec,
                                                    StreamProtocol::socket socket) {
    if (self->closed) {
      return;
    }
    if (ec) {
      if (ec == asio::error::operation_aborted) {
        return;
      }
      self->accept_errors.Add();
      spdlog::warn("Cannot accept a DogStatsD stream connection: {}.", ec.message());
      self->accept_timer.expires_after(kAcceptRetry);
      self->accept_timer.async_wait([self](const boost::system::error_code& timer_ec) {
        if (!timer_ec && !self->closed) {
          self->Accept();
        }
      });
      return;
    }
    if (self->connections.size() >= self->options.max_connections) {
      self->dropped_limit.Add();
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      self->accepted.Add();
      if (self->options.so_rcvbuf > 0) {
        boost::system::error_code ignored;
        socket.set_option(asio::socket_base::receive_buffer_size(self->options.so_rcvbuf), ignored);
      }
      auto connection = std::make_shared<Connection>(self, std::move(socket));
      self->connections.insert(connection);
      connection->Read();
    }
    self->Accept();
  });
}

void StreamSource::Listener::Remove(Connection* connection) {
  // Keep it alive until this call returns: the caller is one of its member functions.
  for (auto it = connections.begin(); it != connections.end(); ++it) {
    if (it->get() == connection) {
      std::shared_ptr<Connection> keep = *it;
      connections.erase(it);
      return;
    }
  }
}

void StreamSource::Listener::Close() {
  closed = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  accept_timer.cancel();
  // Breaks the listener <-> connection cycle so nothing outlives the source.
  std::unordered_set<std::shared_ptr<Connection>> open;
  open.swap(connections);
  for (const auto& connection : open) {
    connection->Close();
  }
}

StreamSource::StreamSource(asio::io_context& ingress, StreamSourceOptions options, BatchSink sink,
                           telemetry::Registry& registry)
    : ingress_(ingress),
      options_(std::move(options)),
      sink_(std::move(sink)),
      registry_(registry) {}

StreamSource::~StreamSource() {
  if (listener_ != nullptr) {
    listener_->Close();
    ::unlink(options_.socket_path.c_str());
  }
}

absl::Status StreamSource::Start() {
  const std::string& path = options_.socket_path;
  if (path.empty()) {
    return absl::OkStatus();
  }
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return absl::FailedPreconditionError(fmt::format(
          "DD_DOGSTATSD_STREAM_SOCKET={} exists and is not a socket; refusing to replace it.",
          path));
    }
    ::unlink(path.c_str());  // A stale socket from a previous run.
  }
  auto listener = std::make_shared<Listener>(ingress_, options_, sink_, registry_);
  boost::system::error_code ec;
  listener->acceptor.open(StreamProtocol(), ec);
  if (!ec) {
    listener->acceptor.bind(StreamProtocol::endpoint(path), ec);
  }
  if (!ec) {
    listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return absl::UnavailableError(fmt::format(
        "Cannot listen for DogStatsD on the Unix stream socket {} (DD_DOGSTATSD_STREAM_SOCKET): {}",
        path, ec.message()));
  }
  ::chmod(path.c_str(), 0722);  // As the datagram socket: anyone may write.
  listener_ = std::move(listener);
  listener_->Accept();
  return absl::OkStatus();
}

void StreamSource::Stop() {
  if (listener_ == nullptr) {
    return;
  }
  asio::post(ingress_, [listener = listener_] { listener->Close(); });
  ::unlink(options_.socket_path.c_str());
}

}  // namespace sidecar::statsd
