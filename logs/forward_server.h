// ForwardServer: the Fluent Forward receiver FireLens and the Docker fluentd log driver write to
// (ecs-logs.md B4.1-B4.3; settings DD_LOGS_FORWARD_PORT and DD_LOGS_FORWARD_SOCKET in
// architecture.md "Names of our own settings").
//
//   ForwardServer server(io.get_executor(),
//                        {.tcp_port = 24224, .unix_path = "/var/run/fluent.sock"}, sink, registry);
//   SIDECAR_RETURN_IF_ERROR(server.Start());
//   ...
//   server.Close();
//
// Each connection owns a ForwardDecoder and a PartialReassembler (Docker splits long lines into
// 16 KiB pieces on the same connection); decoded records go to the LogSink one message at a time,
// and the `{"ack": chunk}` reply is written only after the sink accepted that message's records.
// When the sink refuses, the connection stops reading and offers the same records again every
// `backpressure_retry`. A protocol violation closes the connection (records decoded before it
// are still delivered). Counters: datadog.logs.forward.{connections, records_received,
// malformed_frames{reason: malformed|too_large|bad_compression}, acks_sent, backpressure_pauses,
// connections_rejected, partial_overflows, partial_stale_flushes}.
//
// Callback-style Asio on one executor (Boost 1.74's coroutines do not build with clang 14).
// Start/Close from any thread; the rest runs on the executor. The sink and the registry must
// outlive the executor's handlers (run the io_context until idle, or destroy it, after Close).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "agent/common/asio.h"
#include "agent/common/clock.h"
#include "agent/telemetry/registry.h"
#include "logs/forward_decoder.h"
#include "logs/log_sink.h"
#include "logs/partial_reassembler.h"

namespace sidecar::logs {

struct ForwardServerOptions {
  // TCP port on tcp_address; nullopt = off (map DD_LOGS_FORWARD_PORT=0 to nullopt), 0 = any free
  // port (tests; read it back with tcp_port()).
  std::optional<uint16_t> tcp_port{};
  std::string tcp_address = "127.0.0.1";
  // Unix stream socket; "" = off. A stale socket file is replaced; mode 0666 so the Docker daemon
  // can write to it.
  std::string unix_path{};
  // More connections are accepted and closed at once (counted).
  size_t max_connections = 64;
  size_t read_buffer_bytes = 64 * 1024;
  ForwardLimits limits{};
  PartialLimits partial_limits{};
  std::chrono::milliseconds backpressure_retry{50};
  // Steady time for partial-message ages; nullptr = the system clock.
  const common::Clock* clock = nullptr;
};

class ForwardServer {
 public:
  ForwardServer(boost::asio::any_io_executor executor, ForwardServerOptions options, LogSink& sink,
                telemetry::Registry& registry);
  ~ForwardServer();
  ForwardServer(const ForwardServer&) = delete;
  ForwardServer& operator=(const ForwardServer&) = delete;

  // Binds every enabled listener and starts accepting. Bind errors are returned, naming the
  // setting. Call once.
  absl::Status Start();
  // Stops accepting and closes every connection (held partial lines are offered to the sink
  // once); removes the socket file. Idempotent.
  void Close();

  // The bound TCP port, 0 when TCP is off or not started.
  uint16_t tcp_port() const { return bound_tcp_port_; }

  struct State;

 private:
  boost::asio::any_io_executor executor_;
  ForwardServerOptions options_;
  LogSink& sink_;
  telemetry::Registry& registry_;
  std::shared_ptr<State> state_;
  uint16_t bound_tcp_port_ = 0;
};

}  // namespace sidecar::logs
