#include "logs/line_server.h"

#include <algorithm>
#include <unordered_set>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace sidecar::logs {
namespace {

namespace asio = boost::asio;
using Tcp = asio::ip::tcp;

constexpr std::chrono::milliseconds kAcceptRetry{100};
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
        acceptor(executor),
        connections_total(registry.GetCounter(fmt::format("{}connections", kPrefix))),
        connections_rejected(registry.GetCounter(fmt::format("{}connections_rejected", kPrefix))),
        records_received(registry.GetCounter(fmt::format("{}records_received", kPrefix))),
        lines_cut(registry.GetCounter(fmt::format("{}lines_cut", kPrefix))),
        backpressure_pauses(registry.GetCounter(fmt::format("{}backpressure_pauses", kPrefix))) {}

  void Accept();
  void Remove(Connection* connection);
  void Close();

  asio::any_io_executor executor;
  LineServerOptions options;
  const common::Clock& clock;
  LogSink& sink;
  Tcp::acceptor acceptor;
  std::unordered_set<std::shared_ptr<Connection>> connections;
  bool closed = false;

  telemetry::Counter& connections_total;
  telemetry::Counter& connections_rejected;
  telemetry::Counter& records_received;
  telemetry::Counter& lines_cut;
  telemetry::Counter& backpressure_pauses;
};

struct LineServer::State::Connection : std::enable_shared_from_this<LineServer::State::Connection> {
  Connection(std::shared_ptr<State> state_in, Tcp::socket socket_in)
      : state(std::move(state_in)),
        socket(std::move(socket_in)),
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
  }

  std::shared_ptr<State> state;
  Tcp::socket socket;
  asio::steady_timer retry_timer;
  LineFramer framer;
  std::vector<char> buffer;
  std::vector<LogRecord> pending;
  bool ending = false;
  bool closed = false;
};

void LineServer::State::Accept() {
  acceptor.async_accept(
      [self = shared_from_this()](const boost::system::error_code& ec, Tcp::socket socket) {
        if (self->closed) {
          return;
        }
        if (ec) {
          if (ec == asio::error::operation_aborted) {
            return;
          }
          spdlog::warn("Cannot accept a TCP log connection: {}.", ec.message());
          auto timer = std::make_shared<asio::steady_timer>(self->executor, kAcceptRetry);
          timer->async_wait([self, timer](const boost::system::error_code& timer_ec) {
            if (!timer_ec && !self->closed) {
              self->Accept();
            }
          });
          return;
        }
        if (self->connections.size() >= self->options.max_connections) {
          self->connections_rejected.Add();
          boost::system::error_code ignored;
          socket.close(ignored);
        } else {
          self->connections_total.Add();
          auto connection = std::make_shared<Connection>(self, std::move(socket));
          self->connections.insert(connection);
          connection->Read();
        }
        self->Accept();
      });
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
  boost::system::error_code ignored;
  acceptor.close(ignored);
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
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.tcp_address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("Invalid TCP log listen address {}: {}", options_.tcp_address, ec.message()));
  }
  const Tcp::endpoint endpoint(address, *options_.tcp_port);
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    state->acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return absl::UnavailableError(
        fmt::format("Cannot listen for TCP log lines on {}:{} (DD_LOGS_TCP_PORT): {}",
                    options_.tcp_address, *options_.tcp_port, ec.message()));
  }
  bound_tcp_port_ = state->acceptor.local_endpoint(ec).port();
  state_ = std::move(state);
  asio::post(executor_, [state = state_] { state->Accept(); });
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
