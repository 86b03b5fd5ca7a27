// File: statsd/stream_source.h
//
// StreamSource: the DogStatsD Unix stream socket (`dogstatsd_stream_socket`, env
// DD_DOGSTATSD_STREAM_SOCKET, default off; spec ../shared/spec/dogstatsd.md §1 "UDS stream",
// case B10). Each message on a connection is a 4-byte little-endian length followed by that many
// bytes; every frame becomes one packet of a PacketBatch (transport kUdsStream) handed to the same
// sink as DatagramSource's batches.
//
//   StreamSource source(ingress, {.socket_path = "/var/run/datadog/dsd-stream.socket"}, sink,
//                       registry);
//   SIDECAR_RETURN_IF_ERROR(source.Start());
//   ...
//   source.Stop();
//
// Bounds: at most `max_connections` connections (more are accepted and closed at once), one
// receive buffer of 2 x (4 + buffer_size) bytes per connection, `max_batches_in_flight` batches.
// A frame longer than `buffer_size` (DD_DOGSTATSD_BUFFER_SIZE) or a read error drops that
// connection only, counted as `dogstatsd.uds_stream_connections_dropped{reason}` (reason
// `frame_too_large`, `read_error`, `truncated_frame` for EOF inside a frame, `connection_limit`).
// When every batch is in flight, a connection stops reading and retries shortly: the kernel
// buffer then pushes back on the client instead of frames being dropped.
//
// Async callbacks on the ingress io_context (no coroutines: Boost 1.74's do not build with
// clang 14). Start/Stop from any thread; everything else runs on the ingress thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "agent/common/asio.h"
#include "agent/telemetry/registry.h"
#include "statsd/packet_batch.h"

namespace sidecar::statsd {

struct StreamSourceOptions {
  std::string socket_path;    // "" disables (DD_DOGSTATSD_STREAM_SOCKET).
  size_t buffer_size = 8192;  // Largest frame (DD_DOGSTATSD_BUFFER_SIZE).
  int so_rcvbuf = 0;          // DD_DOGSTATSD_SO_RCVBUF, per accepted connection; 0 = OS default.
  size_t max_connections = 64;
  size_t packets_per_batch = 32;
  size_t max_batches_in_flight = 8;
  runtime::MemoryShare* batch_share = nullptr;  // As DatagramSourceOptions::batch_share.
  // How long a connection waits for a free batch before trying again.
  std::chrono::milliseconds backpressure_retry{2};
};

class StreamSource {
 public:
  using BatchSink = std::function<void(BatchPool::Handle)>;

  StreamSource(boost::asio::io_context& ingress, StreamSourceOptions options, BatchSink sink,
               telemetry::Registry& registry);
  ~StreamSource();
  StreamSource(const StreamSource&) = delete;
  StreamSource& operator=(const StreamSource&) = delete;

  // Binds the socket (a stale socket file is replaced, any other file is an error; mode 0722) and
  // starts accepting. No-op when socket_path is empty. Errors name the variable.
  absl::Status Start();
  // Closes the listener and every connection (posted to the ingress thread) and removes the
  // socket file.
  void Stop();

 private:
  struct Listener;
  struct Connection;

  boost::asio::io_context& ingress_;
  StreamSourceOptions options_;
  BatchSink sink_;
  telemetry::Registry& registry_;
  std::shared_ptr<Listener> listener_;
};

}  // namespace sidecar::statsd
