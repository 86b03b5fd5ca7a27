#include "apm/receiver.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>

#include "agent/common/beast.h"
#include "agent/common/version.h"
#include "apm/request_headers.h"
#include "apm/trace_decoder.h"
#include "spdlog/spdlog.h"

namespace sidecar::apm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr std::string_view kOk = "OK\n";
// The smallest real span (v0.5, small ids) takes ~37 bytes; a body claiming more spans than one per
// 32 bytes is hostile, and refusing it bounds the decoded size to ~6x the body.
constexpr uint64_t kBytesPerSpan = 32;
constexpr uint64_t kMinSpanBudget = 1000;
// Beast reads a body in pieces no larger than the free capacity of the read buffer (at least 512
// bytes): left at its header size, a 100 KiB body took ~200 recvmsg calls, each with its own timer
// update and handler round trip. 64 KiB is the most Beast asks for in one read.
constexpr uint64_t kBodyReadBufferBytes = 64 * 1024;

enum class RouteKind { kTraces, kServices, kInfo, kClientStats, kNotFound };

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  TraceApiVersion version = TraceApiVersion::kV04;
  std::string_view label;  // endpoint tag for self-telemetry
};

// apm.md §1.1. Go's ServeMux: no method restriction; unknown paths are 404.
Route RouteFor(std::string_view path) {
  if (path == "/v0.4/traces") return {RouteKind::kTraces, TraceApiVersion::kV04, "v0.4"};
  if (path == "/v0.5/traces") return {RouteKind::kTraces, TraceApiVersion::kV05, "v0.5"};
  if (path == "/v0.3/traces") return {RouteKind::kTraces, TraceApiVersion::kV03, "v0.3"};
  if (path == "/v0.7/traces") return {RouteKind::kTraces, TraceApiVersion::kV07, "v0.7"};
  if (path == "/v0.2/traces") return {RouteKind::kTraces, TraceApiVersion::kV02, "v0.2"};
  if (path == "/info") return {RouteKind::kInfo, TraceApiVersion::kV04, "info"};
  if (path == "/v0.6/stats") return {RouteKind::kClientStats, TraceApiVersion::kV04, "v0.6/stats"};
  for (std::string_view services :
       {"/services", "/v0.1/services", "/v0.2/services", "/v0.3/services", "/v0.4/services"}) {
    if (path == services) return {RouteKind::kServices, TraceApiVersion::kV04, "services"};
  }
  return {};
}

bool RepliesWithRates(TraceApiVersion version) {
  return version == TraceApiVersion::kV04 || version == TraceApiVersion::kV05 ||
         version == TraceApiVersion::kV07;
}

struct ReceiverCounters {
  explicit ReceiverCounters(telemetry::Registry& registry)
      : payload_accepted(registry.GetCounter("datadog.trace_agent.receiver.payload_accepted")),
        payload_refused(registry.GetCounter("datadog.trace_agent.receiver.payload_refused")),
        memory_refusals(registry.GetCounter("memory.pressure_refusals", {{"signal", "apm"}})),
        traces_received(registry.GetCounter("datadog.trace_agent.receiver.traces_received")),
        spans_received(registry.GetCounter("datadog.trace_agent.receiver.spans_received")),
        traces_bytes(registry.GetCounter("datadog.trace_agent.receiver.traces_bytes")),
        connections_refused(
            registry.GetCounter("datadog.trace_agent.receiver.connections_refused")),
        stats_accepted(registry.GetCounter("datadog.trace_agent.receiver.stats_payload_accepted")),
        stats_rejected(registry.GetCounter("datadog.trace_agent.receiver.stats_payload_rejected",
                                           {{"reason", "decode"}})),
        registry_(registry) {}

  // A refused request (status >= 400): one count by reason, plus the traces it said it carried.
  void Rejected(std::string_view reason, int64_t trace_count) {
    registry_.GetCounter("datadog.trace_agent.receiver.error", {{"reason", std::string(reason)}})
        .Add();
    if (trace_count > 0) {
      registry_
          .GetCounter("datadog.trace_agent.receiver.traces_dropped",
                      {{"reason", std::string(reason)}})
          .Add(static_cast<uint64_t>(trace_count));
    }
  }

  telemetry::Counter& payload_accepted;
  telemetry::Counter& payload_refused;
  telemetry::Counter& memory_refusals;
  telemetry::Counter& traces_received;
  telemetry::Counter& spans_received;
  telemetry::Counter& traces_bytes;
  telemetry::Counter& connections_refused;
  telemetry::Counter& stats_accepted;
  telemetry::Counter& stats_rejected;

 private:
  telemetry::Registry& registry_;
};

}  // namespace

// Shared state of every session: decoder slots (ingress thread only), the in-flight byte budget and
// the connection count (atomic).
class Receiver::Impl : public std::enable_shared_from_this<Receiver::Impl> {
 public:
  Impl(asio::io_context& ingress, asio::thread_pool& compute, ReceiverOptions options,
       InfoDocument info, TraceConsumer& consumer, telemetry::Registry& registry)
      : ingress_(ingress),
        compute_(compute),
        options_(std::move(options)),
        info_(std::move(info)),
        consumer_(consumer),
        counters_(registry),
        free_slots_(options_.decoders),
        tcp_acceptor_(ingress),
        unix_acceptor_(ingress) {}

  absl::Status Listen(uint16_t& bound_port);
  void Close();

  // Decoder slots (§1.2 step 5). `granted(true)` once a slot is free, `granted(false)` after
  // decoder_timeout. Ingress thread.
  void AcquireSlot(std::function<void(bool)> granted);
  // Any thread.
  void ReleaseSlot();

  // In-flight body budget.
  // Atomic: the last reference to a session may drop on a compute thread.
  bool ReserveBytes(uint64_t bytes) {
    if (inflight_bytes_.fetch_add(bytes) + bytes > options_.max_inflight_bytes) {
      inflight_bytes_.fetch_sub(bytes);
      return false;
    }
    if (options_.inflight_share != nullptr && !options_.inflight_share->TryCharge(bytes)) {
      inflight_bytes_.fetch_sub(bytes);
      return false;
    }
    return true;
  }
  void ReleaseBytes(uint64_t bytes) {
    inflight_bytes_.fetch_sub(bytes);
    if (options_.inflight_share != nullptr) {
      options_.inflight_share->Release(bytes);
    }
  }
  bool UnderMemoryPressure() const {
    return options_.under_memory_pressure && options_.under_memory_pressure();
  }

  const ReceiverOptions& options() const { return options_; }
  const InfoDocument& info() const { return info_; }
  TraceConsumer& consumer() { return consumer_; }
  ReceiverCounters& counters() { return counters_; }
  asio::io_context& ingress() { return ingress_; }
  asio::thread_pool& compute() { return compute_; }
  void SessionEnded() { --connections_; }

 private:
  template <typename Acceptor>
  void Accept(Acceptor& acceptor);

  struct Waiter {
    std::function<void(bool)> granted;
    std::shared_ptr<asio::steady_timer> timer;
  };

  asio::io_context& ingress_;
  asio::thread_pool& compute_;
  ReceiverOptions options_;
  InfoDocument info_;
  TraceConsumer& consumer_;
  ReceiverCounters counters_;
  int free_slots_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
  std::atomic<uint64_t> inflight_bytes_{0};
  std::atomic<uint32_t> connections_{0};
  asio::ip::tcp::acceptor tcp_acceptor_;
  asio::local::stream_protocol::acceptor unix_acceptor_;
};

namespace {

// One connection. Stream is beast::tcp_stream or a basic_stream over a Unix socket.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(typename Stream::socket_type socket, std::shared_ptr<Receiver::Impl> receiver)
      : stream_(std::move(socket)), receiver_(std::move(receiver)) {}

  ~Session() {
    receiver_->ReleaseBytes(reserved_bytes_);
    receiver_->SessionEnded();
  }

  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(receiver_->options().max_request_bytes);
    stream_.expires_after(receiver_->options().read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

 private:
  std::string_view Header(std::string_view name) const {
    const auto& request = parser_->get();
    const auto it = request.find(beast::string_view(name.data(), name.size()));
    if (it == request.end()) {
      return {};
    }
    return std::string_view(it->value().data(), it->value().size());
  }

  void OnHeader(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::body_limit) {  // R1: a Content-Length over the limit
        receiver_->counters().Rejected("payload_too_large", 0);
        Respond(http::status::payload_too_large, "payload-too-large\n", "text/plain", true);
      } else if (ec == http::error::header_limit) {
        Respond(http::status::request_header_fields_too_large, "header too large\n", "text/plain",
                /*close=*/true);
      } else {
        Close();  // idle keep-alive timeout, client gone, or garbage before a request line
      }
      return;
    }
    const auto target = parser_->get().target();
    std::string_view path(target.data(), target.size());
    path = path.substr(0, path.find('?'));
    route_ = RouteFor(path);
    trace_count_ = ParseTraceCount(Header("X-Datadog-Trace-Count")).value_or(0);

    if (route_.kind == RouteKind::kTraces) {
      const bool msgpack = EncodingForContentType(Header("Content-Type")) == BodyEncoding::kMsgpack;
      if (route_.version == TraceApiVersion::kV02 && msgpack) {  // R2
        receiver_->counters().Rejected("unsupported_media_type", trace_count_);
        Respond(http::status::unsupported_media_type,
                "unsupported media type: \"application/msgpack\"\n", "text/plain", true);
        return;
      }
      if (Header("Sec-Fetch-Site") == "cross-site") {  // R5
        receiver_->counters().Rejected("cross_site", trace_count_);
        Respond(http::status::forbidden, "cross-site request rejected\n", "text/plain", true);
        return;
      }
    }
    const auto length = parser_->content_length();
    const uint64_t max = receiver_->options().max_request_bytes;
    if (length.has_value() && *length > max) {  // R1
      receiver_->counters().Rejected("payload_too_large", trace_count_);
      Respond(http::status::payload_too_large, "payload-too-large\n", "text/plain", true);
      return;
    }
    const uint64_t reserve = length.value_or(max);
    if (receiver_->UnderMemoryPressure()) {
      receiver_->counters().payload_refused.Add();
      receiver_->counters().memory_refusals.Add();
      RespondOverloaded(/*close=*/true);
      return;
    }
    if (!receiver_->ReserveBytes(reserve)) {
      receiver_->counters().payload_refused.Add();
      RespondOverloaded(/*close=*/true);
      return;
    }
    reserved_bytes_ = reserve;
    buffer_.reserve(static_cast<size_t>(std::min(reserve, kBodyReadBufferBytes)));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code read_ec, size_t) {
                       self->OnBody(read_ec);
                     });
  }

  void OnBody(beast::error_code ec) {
    // An idle keep-alive connection keeps no body-sized read buffer (pipelined bytes are kept).
    buffer_.shrink_to_fit();
    if (ec == http::error::body_limit) {
      receiver_->counters().Rejected("payload_too_large", trace_count_);
      Respond(http::status::payload_too_large, "payload-too-large\n", "text/plain", true);
      return;
    }
    if (ec == beast::error::timeout) {
      receiver_->counters().Rejected("timeout", trace_count_);
      Respond(http::status::request_timeout, "timeout\n", "text/plain", true);
      return;
    }
    if (ec == http::error::partial_message || ec == asio::error::eof) {  // R6
      receiver_->counters().Rejected("unexpected_eof", trace_count_);
      Respond(http::status::bad_request, "unexpected-eof\n", "text/plain", true);
      return;
    }
    if (ec) {
      Close();
      return;
    }
    switch (route_.kind) {
      case RouteKind::kTraces:
        StartDecode();
        return;
      case RouteKind::kClientStats:
        StartClientStats();
        return;
      case RouteKind::kInfo:
        // /info has no state header (it is the state).
        Respond(http::status::ok, receiver_->info().body, "text/plain; charset=utf-8", false,
                /*state_headers=*/false);
        return;
      case RouteKind::kServices:
        Respond(http::status::ok, std::string(kOk), "text/plain", false);
        return;
      case RouteKind::kNotFound:
        Respond(http::status::not_found, "404 page not found\n", "text/plain; charset=utf-8",
                false);
        return;
    }
  }

  void StartDecode() {
    receiver_->AcquireSlot([self = this->shared_from_this()](bool granted) {
      if (!granted) {
        self->receiver_->counters().payload_refused.Add();
        self->RespondOverloaded(/*close=*/false);
        return;
      }
      self->Decode();
    });
  }

  // Runs on the compute pool; the response is written back on the session's executor.
  void Decode() {
    asio::post(receiver_->compute(), [self = this->shared_from_this()] {
      auto& request = self->parser_->get();
      const TracerInfo info = ReadTracerInfo(
          [&self](std::string_view name) -> std::string_view { return self->Header(name); });
      const BodyEncoding encoding = (self->route_.version == TraceApiVersion::kV05 ||
                                     self->route_.version == TraceApiVersion::kV07)
                                        ? BodyEncoding::kMsgpack
                                        : EncodingForContentType(self->Header("Content-Type"));
      ArenaPayload payload;
      DecodeLimits limits;
      limits.max_spans = std::max<uint64_t>(kMinSpanBudget, request.body().size() / kBytesPerSpan);
      const absl::Status decoded =
          DecodeTraces(self->route_.version, encoding, request.body(), *payload, limits);
      const size_t body_size = request.body().size();
      std::string().swap(request.body());  // free the body before the payload is processed
      if (!decoded.ok()) {
        self->receiver_->ReleaseSlot();
        asio::post(self->stream_.get_executor(), [self, decoded, body_size] {
          self->receiver_->ReleaseBytes(self->reserved_bytes_);
          self->reserved_bytes_ = 0;
          const bool eof = absl::IsOutOfRange(decoded);
          self->receiver_->counters().Rejected(eof ? "unexpected_eof" : "decoding_error",
                                               self->trace_count_);
          spdlog::debug("Rejected a {} trace payload of {} bytes: {}", self->route_.label,
                        body_size, std::string(decoded.message()));
          self->Respond(http::status::bad_request, std::string(decoded.message()) + "\n",
                        "text/plain", false);
        });
        return;
      }
      int64_t spans = 0;
      for (const TraceChunk& chunk : payload->chunks()) {
        spans += chunk.spans_size();
      }
      ReceiverCounters& counters = self->receiver_->counters();
      counters.payload_accepted.Add();
      counters.traces_received.Add(static_cast<uint64_t>(payload->chunks_size()));
      counters.spans_received.Add(static_cast<uint64_t>(spans));
      counters.traces_bytes.Add(body_size);
      std::shared_ptr<Receiver::Impl> receiver = self->receiver_;
      receiver->consumer().ConsumeTraces(std::move(payload), info,
                                         [receiver] { receiver->ReleaseSlot(); });
      asio::post(self->stream_.get_executor(), [self] {
        self->receiver_->ReleaseBytes(self->reserved_bytes_);
        self->reserved_bytes_ = 0;
        self->RespondAccepted();
      });
    });
  }

  void StartClientStats() {
    asio::post(receiver_->compute(), [self = this->shared_from_this()] {
      TracerInfo info = ReadTracerInfo(
          [&self](std::string_view name) -> std::string_view { return self->Header(name); });
      const absl::Status consumed =
          self->receiver_->consumer().ConsumeClientStats(self->parser_->get().body(), info);
      asio::post(self->stream_.get_executor(), [self, consumed] {
        if (!consumed.ok()) {
          self->receiver_->counters().stats_rejected.Add();
          self->Respond(http::status::bad_request, std::string(consumed.message()) + "\n",
                        "text/plain", false);
          return;
        }
        self->receiver_->counters().stats_accepted.Add();
        self->Respond(http::status::ok, "", "", false);
      });
    });
  }

  void RespondAccepted() {
    if (!RepliesWithRates(route_.version)) {
      Respond(http::status::ok, std::string(kOk), "text/plain", false);
      return;
    }
    RespondRates(http::status::ok, false);
  }

  // Decoder overload (§1.2 step 5, R16): 429 only for clients that asked for real statuses.
  void RespondOverloaded(bool close) {
    const bool real_status = IsHeaderTrue(Header("Datadog-Send-Real-Http-Status"));
    const http::status status = real_status ? http::status::too_many_requests : http::status::ok;
    if (RepliesWithRates(route_.version) || route_.kind != RouteKind::kTraces) {
      RespondRates(status, close);
    } else {
      Respond(status, std::string(kOk), "text/plain", close);
    }
  }

  void RespondRates(http::status status, bool close) {
    const std::shared_ptr<const RatesBody> rates = receiver_->consumer().Rates();
    const std::string_view asked = Header("Datadog-Rates-Payload-Version");
    // R17: a client already holding the current rates gets an empty object.
    const bool unchanged = !asked.empty() && asked == rates->version;
    PrepareResponse(status, unchanged ? std::string("{}") : rates->body, "application/json", close,
                    true);
    response_->set("Datadog-Rates-Payload-Version", rates->version);
    Write();
  }

  void Respond(http::status status, std::string body, std::string_view content_type, bool close,
               bool state_headers = true) {
    PrepareResponse(status, std::move(body), content_type, close, state_headers);
    Write();
  }

  void PrepareResponse(http::status status, std::string body, std::string_view content_type,
                       bool close, bool state_headers) {
    const auto& request = parser_->get();
    response_.emplace(status, request.version());
    if (!content_type.empty()) {
      response_->set(http::field::content_type,
                     beast::string_view(content_type.data(), content_type.size()));
    }
    if (state_headers) {
      // R11: every trace-agent response but /info carries the version and state.
      response_->set("Datadog-Agent-Version",
                     beast::string_view(common::kAgentCompatibleVersion.data(),
                                        common::kAgentCompatibleVersion.size()));
      response_->set("Datadog-Agent-State", receiver_->info().state);
    }
    response_->keep_alive(!close && request.keep_alive());
    response_->body() = std::move(body);
    response_->prepare_payload();
  }

  void Write() {
    stream_.expires_after(receiver_->options().read_timeout);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec || !self->response_->keep_alive()) {
                          self->Close();
                          return;
                        }
                        self->receiver_->ReleaseBytes(self->reserved_bytes_);
                        self->reserved_bytes_ = 0;
                        self->Read();
                      });
  }

  // Half-closes, then reads and discards what the client still sends (an unread body) for a
  // moment: closing with unread bytes would reset the connection and lose the response.
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::socket_base::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) {
                                beast::error_code ignored;
                                self->stream_.socket().close(ignored);
                                return;
                              }
                              self->Drain();
                            });
  }

  Stream stream_;
  std::shared_ptr<Receiver::Impl> receiver_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::array<char, 4096> drain_buffer_{};
  Route route_;
  int64_t trace_count_ = 0;
  uint64_t reserved_bytes_ = 0;
};

using TcpStream = beast::tcp_stream;
using UnixStream = beast::basic_stream<asio::local::stream_protocol>;

template <typename Acceptor>
struct StreamFor;
template <>
struct StreamFor<asio::ip::tcp::acceptor> {
  using type = TcpStream;
};
template <>
struct StreamFor<asio::local::stream_protocol::acceptor> {
  using type = UnixStream;
};

}  // namespace

absl::Status Receiver::Impl::Listen(uint16_t& bound_port) {
  boost::system::error_code ec;
  if (options_.tcp_enabled) {
    const auto ip = asio::ip::make_address(options_.bind_address, ec);
    if (ec) {
      return absl::InvalidArgumentError("Invalid APM bind address " + options_.bind_address);
    }
    const asio::ip::tcp::endpoint endpoint(ip, options_.port);
    tcp_acceptor_.open(endpoint.protocol(), ec);
    if (!ec) tcp_acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) tcp_acceptor_.bind(endpoint, ec);
    if (!ec) tcp_acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError("Cannot listen on " + options_.bind_address + ":" +
                                    std::to_string(options_.port) +
                                    " for traces (DD_APM_RECEIVER_PORT): " + ec.message());
    }
    bound_port = tcp_acceptor_.local_endpoint().port();
  }
  if (!options_.socket_path.empty()) {
    ::unlink(options_.socket_path.c_str());  // a stale socket from a previous run
    const asio::local::stream_protocol::endpoint endpoint(options_.socket_path);
    unix_acceptor_.open(endpoint.protocol(), ec);
    if (!ec) unix_acceptor_.bind(endpoint, ec);
    if (!ec) unix_acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError("Cannot listen on " + options_.socket_path +
                                    " for traces (DD_APM_RECEIVER_SOCKET): " + ec.message());
    }
    // The Agent's mode: tracers in other containers run as any user.
    ::chmod(options_.socket_path.c_str(), 0722);
  }
  auto self = shared_from_this();
  asio::post(ingress_, [self] {
    if (self->tcp_acceptor_.is_open()) self->Accept(self->tcp_acceptor_);
    if (self->unix_acceptor_.is_open()) self->Accept(self->unix_acceptor_);
  });
  return absl::OkStatus();
}

template <typename Acceptor>
void Receiver::Impl::Accept(Acceptor& acceptor) {
  acceptor.async_accept(
      [self = shared_from_this(), &acceptor](boost::system::error_code ec,
                                             typename Acceptor::protocol_type::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
          return;
        }
        if (!ec) {
          if (self->connections_ >= self->options_.max_connections) {
            self->counters_.connections_refused.Add();
            boost::system::error_code ignored;
            socket.close(ignored);
          } else {
            ++self->connections_;
            using Stream = typename StreamFor<Acceptor>::type;
            std::make_shared<Session<Stream>>(std::move(socket), self)->Read();
          }
        }
        self->Accept(acceptor);
      });
}

void Receiver::Impl::Close() {
  asio::post(ingress_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->tcp_acceptor_.close(ignored);
    if (self->unix_acceptor_.is_open()) {
      self->unix_acceptor_.close(ignored);
      ::unlink(self->options_.socket_path.c_str());
    }
  });
}

void Receiver::Impl::AcquireSlot(std::function<void(bool)> granted) {
  if (free_slots_ > 0) {
    --free_slots_;
    granted(true);
    return;
  }
  auto waiter = std::make_shared<Waiter>();
  waiter->granted = std::move(granted);
  waiter->timer = std::make_shared<asio::steady_timer>(ingress_, options_.decoder_timeout);
  waiters_.push_back(waiter);
  waiter->timer->async_wait([self = shared_from_this(), waiter](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || !waiter->granted) {
      return;
    }
    std::erase(self->waiters_, waiter);
    auto granted_callback = std::move(waiter->granted);
    waiter->granted = nullptr;
    granted_callback(false);
  });
}

void Receiver::Impl::ReleaseSlot() {
  asio::post(ingress_, [self = shared_from_this()] {
    if (self->waiters_.empty()) {
      ++self->free_slots_;
      return;
    }
    std::shared_ptr<Waiter> next = self->waiters_.front();
    self->waiters_.pop_front();
    next->timer->cancel();
    auto granted_callback = std::move(next->granted);
    next->granted = nullptr;
    granted_callback(true);
  });
}

Receiver::Receiver(asio::io_context& ingress, asio::thread_pool& compute, ReceiverOptions options,
                   InfoDocument info, TraceConsumer& consumer, telemetry::Registry& registry)
    : impl_(std::make_shared<Impl>(ingress, compute, std::move(options), std::move(info), consumer,
                                   registry)) {}

Receiver::~Receiver() = default;

absl::Status Receiver::Start() { return impl_->Listen(port_); }

void Receiver::Close() { impl_->Close(); }

}  // namespace sidecar::apm
