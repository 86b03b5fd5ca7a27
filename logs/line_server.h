// LineServer: raw newline-delimited log lines over TCP (DD_LOGS_TCP_PORT, default off), like the
// Agent's `type: tcp` logs source (ecs-logs.md B4 table). One LogRecord per line, source
// kTcpLine, timestamp = receive time, empty tag and attributes.
//
//   LineServer server(io.get_executor(), {.tcp_port = 10518}, sink, registry);
//   SIDECAR_RETURN_IF_ERROR(server.Start());
//
// Lines longer than max_line_bytes are cut (LineFramer). When the sink refuses, the connection
// stops reading and offers the same lines again every backpressure_retry. Counters:
// datadog.logs.tcp.{connections, connections_rejected, records_received, lines_cut,
// backpressure_pauses}. Threading and lifetime as ForwardServer.
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
#include "logs/line_framer.h"
#include "logs/log_sink.h"

namespace sidecar::logs {

struct LineServerOptions {
  // nullopt = off (map DD_LOGS_TCP_PORT=0 to nullopt); 0 = any free port (tests).
  std::optional<uint16_t> tcp_port{};
  std::string tcp_address = "127.0.0.1";
  size_t max_connections = 64;
  size_t read_buffer_bytes = 64 * 1024;
  size_t max_line_bytes = LineFramer::kDefaultMaxLineBytes;
  std::chrono::milliseconds backpressure_retry{50};
  // Wall time for the records' timestamps; nullptr = the system clock.
  const common::Clock* clock = nullptr;
};

class LineServer {
 public:
  LineServer(boost::asio::any_io_executor executor, LineServerOptions options, LogSink& sink,
             telemetry::Registry& registry);
  ~LineServer();
  LineServer(const LineServer&) = delete;
  LineServer& operator=(const LineServer&) = delete;

  // Binds and starts accepting; no-op when tcp_port is nullopt. Bind errors name DD_LOGS_TCP_PORT.
  absl::Status Start();
  // Stops accepting and closes every connection (pending lines are offered once). Idempotent.
  void Close();

  uint16_t tcp_port() const { return bound_tcp_port_; }

  struct State;

 private:
  boost::asio::any_io_executor executor_;
  LineServerOptions options_;
  LogSink& sink_;
  telemetry::Registry& registry_;
  std::shared_ptr<State> state_;
  uint16_t bound_tcp_port_ = 0;
};

}  // namespace sidecar::logs
