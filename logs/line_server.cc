#include "logs/line_server.h"

#include <algorithm>
#include <unordered_set>
#include <utility>
#include <vector>

#include "agent/common/status_macros.h"
#include "fmt/format.h"
#include "logs/stream_listener.h"

namespace sidecar::logs {
namespace {

namespace asio = boost::asio;
using Socket = StreamListener::Socket;

constexpr const char* kPrefix = "datadog.logs.tcp.";

const common::SystemClock kSystemClock;

}  // namespace

struct LineServer::State : std::enable_shared_from_this<LineServer::State> {
  struct Connection;

  State(asio::any_io_executor executor_in, const LineServerOptions& options_in, LogSink& sink_in,
        telemetry::Registry& registry)
      : executor(std::move(executor_in)),
        options(options_in),
        clock(options.clock != nullptr ? *options.clock : kSystemClock),
        sink(sink_in),
        connections_total(registry.GetCounter(fmt::format("{}connections", kPrefix))),
        connections_rejected(registry.GetCounter(fmt::format("{}connections_rejected", kPrefix))),
        records_received(registry.GetCounter(fmt::format("{}records_received", kPrefix))),
        lines_cut(registry.GetCounter(fmt::format("{}lines_cut", kPrefix))),
        backpressure_pauses(registry.GetCounter(fmt::format("{}backpressure_pauses", kPrefix))) {}

  absl::Status Listen();
  void Adopt(Socket socket, StreamListener::Slot slot);
  void Remove(Connection* connection);
  void Close();

  asio::any_io_executor executor;
  LineServerOptions options;
  const common::Clock& clock;
  LogSink& sink;
  std::shared_ptr<StreamListener> listener;
  std::unordered_set<std::shared_ptr<Connection>> connections;
  bool closed = false;

  telemetry::Counter& connections_total;
  telemetry::Counter& connections_rejected;
  telemetry::Counter& records_received;
  telemetry::Counter& lines_cut;
  telemetry::Counter& backpressure_pauses;
};

struct LineServer::State::Connection : std::enable_shared_from_this<LineServer::State::Connection> {
  Connection(std::shared_ptr<State> state_in, Socket socket_in, StreamListener::Slot slot_in)
      : state(std::move(state_in)),
        socket(std::move(socket_in)),
        slot(std::move(slot_in)),
        retry_timer(socket.get_executor()),
        framer(state->options.max_line_bytes),
        buffer(std::max<size_t>(1, state->options.read_buffer_bytes)) {}

  void Read() {
    socket.async_read_some(asio::buffer(buffer),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const boost::system::error_code& ec, size_t n) {
    if (closed) {
      return;
    }
    std::vector<std::string> lines;
    if (ec) {
      ending = true;
      framer.Finish(lines);  // The last line may lack its newline.
    } else {
      const uint64_t cut_before = framer.cut_lines();
      framer.Feed(std::string_view(buffer.data(), n), lines);
      state->lines_cut.Add(framer.cut_lines() - cut_before);
    }
    const auto now = state->clock.SystemNow();
    const int64_t ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    pending.reserve(pending.size() + lines.size());
    for (std::string& line : lines) {
      LogRecord record;
      record.source = LogSource::kTcpLine;
      record.timestamp_ns = ns;
      record.message = std::move(line);
      pending.push_back(std::move(record));
    }
    state->records_received.Add(lines.size());
    Pump();
  }

  void Pump() {
    if (closed) {
      return;
    }
    if (!pending.empty()) {
      if (!state->sink.TryAccept(pending)) {
        state->backpressure_pauses.Add();
        retry_timer.expires_after(state->options.backpressure_retry);
        retry_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
          if (!ec) {
            self->Pump();
          }
        });
        return;
      }
      pending.clear();
    }
    if (ending) {
      Finish();
    } else {
      Read();
    }
  }

  void Drain() {
    std::vector<std::string> lines;
    framer.Finish(lines);
    for (std::string& line : lines) {
      LogRecord record;
      record.source = LogSource::kTcpLine;
      record.timestamp_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                state->clock.SystemNow().time_since_epoch())
                                .count();
      record.message = std::move(line);
      pending.push_back(std::move(record));
    }
    if (!pending.empty()) {
      state->sink.TryAccept(pending);
    }
    Close();
  }

  void Finish() {
    Close();
    state->Remove(this);
  }

  void Close() {
    closed = true;
    boost::system::error_code ignored;
    socket.close(ignored);
    retry_timer.cancel();
    slot.Release();
  }

  std::shared_ptr<State> state;
  Socket socket;
  StreamListener::Slot slot;
  asio::steady_timer retry_timer;
  LineFramer framer;
  std::vector<char> buffer;
  std::vector<LogRecord> pending;
  bool ending = false;
  bool closed = false;
};

absl::Status LineServer::State::Listen() {
  StreamListenerOptions listen;
  listen.tcp_port = options.tcp_port;
  listen.tcp_address = options.tcp_address;
  listen.max_connections = options.max_connections;
  listen.name = "TCP log";
  listen.listen_what = "TCP log lines";
  listen.tcp_setting = "DD_LOGS_TCP_PORT";
  listener = std::make_shared<StreamListener>(executor, std::move(listen), connections_total,
                                              connections_rejected);
  // Weak: the listener's handler must not keep the state (and its connections) alive.
  return listener->Listen([weak = weak_from_this()](Socket socket, StreamListener::Slot slot) {
    if (auto self = weak.lock()) {
      self->Adopt(std::move(socket), std::move(slot));
    }
  });
}

void LineServer::State::Adopt(Socket socket, StreamListener::Slot slot) {
  auto connection =
      std::make_shared<Connection>(shared_from_this(), std::move(socket), std::move(slot));
  connections.insert(connection);
  connection->Read();
}

void LineServer::State::Remove(Connection* connection) {
  for (auto it = connections.begin(); it != connections.end(); ++it) {
    if (it->get() == connection) {
      std::shared_ptr<Connection> keep = *it;  // The caller is a member of it.
      connections.erase(it);
      return;
    }
  }
}

void LineServer::State::Close() {
  if (closed) {
    return;
  }
  closed = true;
  if (listener != nullptr) {
    listener->Close();
  }
  std::unordered_set<std::shared_ptr<Connection>> open;
  open.swap(connections);
  for (const auto& connection : open) {
    connection->Drain();
  }
}

LineServer::LineServer(asio::any_io_executor executor, LineServerOptions options, LogSink& sink,
                       telemetry::Registry& registry)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      sink_(sink),
      registry_(registry) {}

LineServer::~LineServer() { Close(); }

absl::Status LineServer::Start() {
  if (!options_.tcp_port.has_value()) {
    return absl::OkStatus();
  }
  auto state = std::make_shared<State>(executor_, options_, sink_, registry_);
  SIDECAR_RETURN_IF_ERROR(state->Listen());
  bound_tcp_port_ = state->listener->tcp_port();
  state_ = std::move(state);
  return absl::OkStatus();
}

void LineServer::Close() {
  if (state_ == nullptr) {
    return;
  }
  asio::post(executor_, [state = std::move(state_)] { state->Close(); });
  state_ = nullptr;
}

}  // namespace sidecar::logs
