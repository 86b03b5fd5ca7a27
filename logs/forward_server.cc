#include "logs/forward_server.h"

#include <unistd.h>

#include <deque>
#include <unordered_set>
#include <utility>
#include <vector>

#include "agent/common/status_macros.h"
#include "fmt/format.h"
#include "logs/stream_listener.h"
#include "spdlog/spdlog.h"

namespace sidecar::logs {
namespace {

namespace asio = boost::asio;
using Socket = StreamListener::Socket;

constexpr const char* kPrefix = "datadog.logs.forward.";

const common::SystemClock kSystemClock;

}  // namespace

struct ForwardServer::State : std::enable_shared_from_this<ForwardServer::State> {
  struct Connection;

  State(asio::any_io_executor executor_in, const ForwardServerOptions& options_in, LogSink& sink_in,
        telemetry::Registry& registry)
      : executor(std::move(executor_in)),
        options(options_in),
        clock(options.clock != nullptr ? *options.clock : kSystemClock),
        sink(sink_in),
        connections_total(registry.GetCounter(fmt::format("{}connections", kPrefix))),
        connections_rejected(registry.GetCounter(fmt::format("{}connections_rejected", kPrefix))),
        records_received(registry.GetCounter(fmt::format("{}records_received", kPrefix))),
        malformed(registry.GetCounter(fmt::format("{}malformed_frames", kPrefix),
                                      {{"reason", "malformed"}})),
        too_large(registry.GetCounter(fmt::format("{}malformed_frames", kPrefix),
                                      {{"reason", "too_large"}})),
        bad_compression(registry.GetCounter(fmt::format("{}malformed_frames", kPrefix),
                                            {{"reason", "bad_compression"}})),
        acks_sent(registry.GetCounter(fmt::format("{}acks_sent", kPrefix))),
        backpressure_pauses(registry.GetCounter(fmt::format("{}backpressure_pauses", kPrefix))),
        partial_overflows(registry.GetCounter(fmt::format("{}partial_overflows", kPrefix))),
        partial_stale(registry.GetCounter(fmt::format("{}partial_stale_flushes", kPrefix))) {}

  absl::Status Listen();
  void Adopt(Socket socket, StreamListener::Slot slot);
  void Remove(Connection* connection);
  void Close();

  telemetry::Counter& MalformedCounter(ForwardError error) {
    switch (error) {
      case ForwardError::kTooLarge:
        return too_large;
      case ForwardError::kBadCompression:
        return bad_compression;
      default:
        return malformed;
    }
  }

  asio::any_io_executor executor;
  ForwardServerOptions options;
  const common::Clock& clock;
  LogSink& sink;
  std::shared_ptr<StreamListener> listener;
  std::unordered_set<std::shared_ptr<Connection>> connections;
  bool closed = false;

  telemetry::Counter& connections_total;
  telemetry::Counter& connections_rejected;
  telemetry::Counter& records_received;
  telemetry::Counter& malformed;
  telemetry::Counter& too_large;
  telemetry::Counter& bad_compression;
  telemetry::Counter& acks_sent;
  telemetry::Counter& backpressure_pauses;
  telemetry::Counter& partial_overflows;
  telemetry::Counter& partial_stale;
};

// One client: read → decode → reassemble → offer to the sink → ack, in that order.
struct ForwardServer::State::Connection
    : std::enable_shared_from_this<ForwardServer::State::Connection> {
  // Records of one message (or of a flush of held partial lines), and the ack owed for them.
  struct Batch {
    std::vector<LogRecord> records;
    std::optional<std::string> ack;
  };

  Connection(std::shared_ptr<State> state_in, Socket socket_in, StreamListener::Slot slot_in)
      : state(std::move(state_in)),
        socket(std::move(socket_in)),
        slot(std::move(slot_in)),
        retry_timer(socket.get_executor()),
        stale_timer(socket.get_executor()),
        decoder(state->options.limits),
        partials(state->options.partial_limits),
        buffer(std::max<size_t>(1, state->options.read_buffer_bytes)) {}

  void Read() {
    reading = true;
    socket.async_read_some(asio::buffer(buffer),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const boost::system::error_code& ec, size_t n) {
    reading = false;
    if (closed) {
      return;
    }
    if (ec) {
      // EOF or a reset: deliver what is held, then go.
      ending = true;
      FlushPartials(/*all=*/true);
      Pump();
      return;
    }
    std::vector<ForwardMessage> messages;
    const absl::Status status = decoder.Feed(std::string_view(buffer.data(), n), messages);
    const auto now = state->clock.SteadyNow();
    for (ForwardMessage& message : messages) {
      Batch batch;
      batch.ack = std::move(message.ack_chunk);
      state->records_received.Add(message.records.size());
      for (LogRecord& record : message.records) {
        partials.Add(std::move(record), now, batch.records);
      }
      pending.push_back(std::move(batch));
    }
    SyncPartialStats();
    if (!status.ok()) {
      state->MalformedCounter(decoder.error()).Add();
      SPDLOG_DEBUG("Closing a Fluent Forward connection: {}", std::string(status.message()));
      ending = true;
      FlushPartials(/*all=*/true);
      boost::system::error_code ignored;
      socket.shutdown(asio::socket_base::shutdown_receive, ignored);
    }
    Pump();
  }

  // Offers pending batches in order; stops at the first refusal and retries it later.
  void Pump() {
    if (closed || paused) {
      return;
    }
    while (!pending.empty()) {
      Batch& batch = pending.front();
      if (!batch.records.empty() && !state->sink.TryAccept(batch.records)) {
        state->backpressure_pauses.Add();
        WaitAndRetry();
        return;
      }
      if (batch.ack.has_value()) {
        Write(EncodeAck(*batch.ack));
      }
      pending.pop_front();
    }
    if (ending) {
      if (!writing) {
        Finish();
      }
      return;
    }
    ArmStaleTimer();
    if (!reading) {
      Read();
    }
  }

  void WaitAndRetry() {
    paused = true;
    retry_timer.expires_after(state->options.backpressure_retry);
    retry_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->paused = false;
      if (!ec) {
        self->Pump();
      }
    });
  }

  void ArmStaleTimer() {
    if (partials.empty() || stale_armed) {
      return;
    }
    stale_armed = true;
    const auto deadline = partials.NextDeadline();
    const auto wait = std::max(deadline - state->clock.SteadyNow(),
                               std::chrono::steady_clock::duration(std::chrono::milliseconds(1)));
    stale_timer.expires_after(wait);
    stale_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->stale_armed = false;
      if (ec || self->closed || self->ending) {
        return;
      }
      self->FlushPartials(/*all=*/false);
      if (self->pending.empty()) {
        self->ArmStaleTimer();  // Nothing was stale yet: the clock may be manual.
      } else {
        self->Pump();  // Delivers now unless paused (then the retry does); re-arms the timer.
      }
    });
  }

  void FlushPartials(bool all) {
    Batch batch;
    if (all) {
      partials.FlushAll(batch.records);
    } else {
      partials.FlushStale(state->clock.SteadyNow(), batch.records);
    }
    SyncPartialStats();
    if (!batch.records.empty()) {
      pending.push_back(std::move(batch));
    }
  }

  void SyncPartialStats() {
    const PartialStats& stats = partials.stats();
    state->partial_overflows.Add(stats.overflow_flushes - seen_overflows);
    state->partial_stale.Add(stats.stale_flushes - seen_stale);
    seen_overflows = stats.overflow_flushes;
    seen_stale = stats.stale_flushes;
  }

  void Write(std::string bytes) {
    writes.push_back(std::move(bytes));
    if (!writing) {
      WriteNext();
    }
  }

  void WriteNext() {
    writing = true;
    asio::async_write(socket, asio::buffer(writes.front()),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        self->writing = false;
                        if (self->closed) {
                          return;
                        }
                        if (ec) {
                          self->ending = true;
                          self->Pump();
                          return;
                        }
                        self->state->acks_sent.Add();
                        self->writes.pop_front();
                        if (!self->writes.empty()) {
                          self->WriteNext();
                        } else if (self->ending && self->pending.empty()) {
                          self->Finish();
                        }
                      });
  }

  // Shutdown path: one last offer of what is held, then close.
  void Drain() {
    FlushPartials(/*all=*/true);
    while (!pending.empty()) {
      Batch& batch = pending.front();
      if (!batch.records.empty() && !state->sink.TryAccept(batch.records)) {
        break;
      }
      pending.pop_front();
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
    stale_timer.cancel();
    slot.Release();
  }

  std::shared_ptr<State> state;
  Socket socket;
  StreamListener::Slot slot;
  asio::steady_timer retry_timer;
  asio::steady_timer stale_timer;
  ForwardDecoder decoder;
  PartialReassembler partials;
  std::vector<char> buffer;
  std::deque<Batch> pending;
  std::deque<std::string> writes;
  uint64_t seen_overflows = 0;
  uint64_t seen_stale = 0;
  bool reading = false;
  bool paused = false;  // The sink refused; retry_timer will offer again.
  bool writing = false;
  bool stale_armed = false;
  bool ending = false;  // No more reads: deliver what is pending, then close.
  bool closed = false;
};

absl::Status ForwardServer::State::Listen() {
  StreamListenerOptions listen;
  listen.tcp_port = options.tcp_port;
  listen.tcp_address = options.tcp_address;
  listen.unix_path = options.unix_path;
  listen.max_connections = options.max_connections;
  listen.name = "Fluent Forward";
  listen.listen_what = "Fluent Forward";
  listen.tcp_setting = "DD_LOGS_FORWARD_PORT";
  listen.unix_setting = "DD_LOGS_FORWARD_SOCKET";
  listener = std::make_shared<StreamListener>(executor, std::move(listen), connections_total,
                                              connections_rejected);
  // Weak: the listener's handler must not keep the state (and its connections) alive.
  return listener->Listen([weak = weak_from_this()](Socket socket, StreamListener::Slot slot) {
    if (auto self = weak.lock()) {
      self->Adopt(std::move(socket), std::move(slot));
    }
  });
}

void ForwardServer::State::Adopt(Socket socket, StreamListener::Slot slot) {
  auto connection =
      std::make_shared<Connection>(shared_from_this(), std::move(socket), std::move(slot));
  connections.insert(connection);
  connection->Read();
}

void ForwardServer::State::Remove(Connection* connection) {
  for (auto it = connections.begin(); it != connections.end(); ++it) {
    if (it->get() == connection) {
      std::shared_ptr<Connection> keep = *it;  // The caller is a member of it.
      connections.erase(it);
      return;
    }
  }
}

void ForwardServer::State::Close() {
  if (closed) {
    return;
  }
  closed = true;
  if (listener != nullptr) {
    listener->Close();
  }
  // Breaks the state <-> connection cycle so nothing outlives the server.
  std::unordered_set<std::shared_ptr<Connection>> open;
  open.swap(connections);
  for (const auto& connection : open) {
    connection->Drain();
  }
}

ForwardServer::ForwardServer(asio::any_io_executor executor, ForwardServerOptions options,
                             LogSink& sink, telemetry::Registry& registry)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      sink_(sink),
      registry_(registry) {}

ForwardServer::~ForwardServer() { Close(); }

absl::Status ForwardServer::Start() {
  auto state = std::make_shared<State>(executor_, options_, sink_, registry_);
  SIDECAR_RETURN_IF_ERROR(state->Listen());
  bound_tcp_port_ = state->listener->tcp_port();
  state_ = std::move(state);
  return absl::OkStatus();
}

void ForwardServer::Close() {
  if (state_ == nullptr) {
    return;
  }
  asio::post(executor_, [state = std::move(state_)] { state->Close(); });
  state_ = nullptr;
  if (!options_.unix_path.empty()) {
    ::unlink(options_.unix_path.c_str());
  }
}

}  // namespace sidecar::logs
