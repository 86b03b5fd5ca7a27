#include "tests/testing/loopback_http_server.h"

#include <atomic>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agent/common/beast.h"

namespace sidecar::testing::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

constexpr uint64_t kMaxBodyBytes = uint64_t{64} << 20;
constexpr std::chrono::seconds kStopGrace{5};

}  // namespace

// Written with completion handlers rather than C++20 coroutines: Boost 1.74 enables co_await for
// GCC only, and this library is linked into every test binary, clang (TSan, fuzz) builds included.
class LoopbackHttpServer::Impl {
 public:
  explicit Impl(Handler handler) : handler_(std::move(handler)), acceptor_(ioc_) {}

  ~Impl() { Stop(); }

  absl::Status Listen(uint16_t port) {
    error_code ec;
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (!ec) {
      port_ = acceptor_.local_endpoint(ec).port();
    }
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("Cannot listen on 127.0.0.1:", port, ": ", ec.message()));
    }
    return absl::OkStatus();
  }

  void Run() {
    DoAccept();
    std::promise<void> finished;
    run_finished_ = finished.get_future();
    thread_ = std::thread([this, finished = std::move(finished)]() mutable {
      try {
        ioc_.run();
      } catch (...) {  // A handler escaped; the server simply stops serving.
      }
      finished.set_value();
    });
  }

  void Stop() {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (!thread_.joinable()) {
      return;
    }
    asio::post(ioc_, [this] {
      stopping_ = true;
      error_code ec;
      acceptor_.close(ec);
      // Close() unregisters, so iterate over a copy.
      const std::unordered_set<Session*> sessions = sessions_;
      for (Session* session : sessions) {
        session->Close();
      }
    });
    // Every session ends once its socket is closed, so run() returns by itself; force it if a
    // peer misbehaves.
    if (run_finished_.wait_for(kStopGrace) != std::future_status::ready) {
      ioc_.stop();
    }
    thread_.join();
  }

  uint16_t port() const { return port_; }
  int ConnectionsAccepted() const { return accepted_.load(); }

 private:
  // One TCP connection: read a request, ask the handler, act, repeat while keep-alive.
  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(tcp::socket socket, Impl* server)
        : server_(server), stream_(std::move(socket)), timer_(stream_.get_executor()) {}
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() { server_->sessions_.erase(this); }

    void Start() {
      server_->sessions_.insert(this);
      ReadHeader();
    }

    // Ends the session: pending operations complete with operation_aborted. Without `graceful`
    // the socket is closed with SO_LINGER 0, so the peer sees a TCP reset instead of a FIN.
    void Close(bool graceful = true) {
      if (closed_) {
        return;
      }
      closed_ = true;
      server_->sessions_.erase(this);
      error_code ec;
      timer_.cancel();
      if (graceful) {
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      } else {
        stream_.socket().set_option(asio::socket_base::linger(true, 0), ec);
      }
      stream_.socket().close(ec);
    }

   private:
    bool Done(const error_code& ec) {
      if (ec || closed_ || server_->stopping_) {
        Close();
        return true;
      }
      return false;
    }

    void ReadHeader() {
      parser_.emplace();
      parser_->body_limit(kMaxBodyBytes);
      http::async_read_header(
          stream_, buffer_, *parser_,
          [self = shared_from_this()](error_code ec, size_t /*bytes*/) { self->OnHeader(ec); });
    }

    void OnHeader(error_code ec) {
      if (Done(ec)) {
        return;
      }
      if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
        continue_.emplace(http::status::continue_, parser_->get().version());
        http::async_write(stream_, *continue_,
                          [self = shared_from_this()](error_code write_ec, size_t /*bytes*/) {
                            self->ReadBody(write_ec);
                          });
        return;
      }
      ReadBody(ec);
    }

    void ReadBody(error_code ec) {
      if (Done(ec)) {
        return;
      }
      if (parser_->is_done()) {
        OnRequest(ec);
        return;
      }
      http::async_read(stream_, buffer_, *parser_,
                       [self = shared_from_this()](error_code read_ec, size_t /*bytes*/) {
                         self->OnRequest(read_ec);
                       });
    }

    void OnRequest(error_code ec) {
      if (Done(ec)) {
        return;
      }
      http::request<http::string_body> request = parser_->release();
      keep_alive_ = request.keep_alive();
      version_ = request.version();
      reply_ = server_->Handle(request);
      switch (reply_.action) {
        case ServerReply::Action::kReset:
          Close(/*graceful=*/false);
          return;
        case ServerReply::Action::kStall:
          timer_.expires_at(std::chrono::steady_clock::time_point::max());
          timer_.async_wait([self = shared_from_this()](error_code /*ec*/) { self->Close(); });
          return;
        case ServerReply::Action::kRespond:
          break;
      }
      if (reply_.delay > std::chrono::nanoseconds::zero()) {
        timer_.expires_after(reply_.delay);
        timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
          if (!self->Done(wait_ec)) {
            self->Write();
          }
        });
        return;
      }
      Write();
    }

    void Write() {
      response_ = {};
      response_.version(version_);
      response_.result(static_cast<unsigned>(reply_.status));
      response_.set(http::field::server, "sidecar-test-server");
      response_.set(http::field::content_type, reply_.content_type);
      response_.keep_alive(keep_alive_);
      response_.body() = std::move(reply_.body);
      response_.prepare_payload();
      http::async_write(stream_, response_,
                        [self = shared_from_this()](error_code ec, size_t /*bytes*/) {
                          if (self->Done(ec)) {
                            return;
                          }
                          if (!self->keep_alive_) {
                            error_code ignored;
                            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                            self->Close();
                            return;
                          }
                          self->ReadHeader();
                        });
    }

    Impl* server_;
    beast::tcp_stream stream_;
    asio::steady_timer timer_;  // Response delay and stalls; cancelled by Close().
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::empty_body>> continue_;
    http::response<http::string_body> response_;
    ServerReply reply_;
    bool keep_alive_ = false;
    unsigned version_ = 11;
    bool closed_ = false;
  };

  void DoAccept() {
    acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
      if (stopping_ || ec == asio::error::operation_aborted || !acceptor_.is_open()) {
        return;
      }
      if (!ec) {
        accepted_.fetch_add(1);
        std::make_shared<Session>(std::move(socket), this)->Start();
      }
      DoAccept();  // Also after a transient failure (e.g. EMFILE): keep listening.
    });
  }

  ServerReply Handle(http::request<http::string_body>& request) {
    ServerRequest server_request;
    server_request.method = std::string(request.method_string());
    server_request.target = std::string(request.target());
    for (const auto& field : request) {
      server_request.headers.emplace_back(std::string(field.name_string()),
                                          std::string(field.value()));
    }
    server_request.body = std::move(request.body());
    try {
      return handler_(std::move(server_request));
    } catch (...) {
      ServerReply reply;
      reply.status = 500;
      reply.body = R"({"errors":["test server handler threw"]})";
      return reply;
    }
  }

  Handler handler_;
  // Only touched on the server thread. Declared before ioc_ so that sessions destroyed with the
  // io_context (forced stop) can still unregister.
  bool stopping_ = false;
  std::unordered_set<Session*> sessions_;
  asio::io_context ioc_{1};
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};

  std::mutex stop_mu_;
  std::thread thread_;
  std::future<void> run_finished_;
};

LoopbackHttpServer::LoopbackHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LoopbackHttpServer::~LoopbackHttpServer() = default;

absl::StatusOr<std::unique_ptr<LoopbackHttpServer>> LoopbackHttpServer::Start(uint16_t port,
                                                                              Handler handler) {
  try {
    auto impl = std::make_unique<Impl>(std::move(handler));
    if (absl::Status status = impl->Listen(port); !status.ok()) {
      return status;
    }
    impl->Run();
    return std::unique_ptr<LoopbackHttpServer>(new LoopbackHttpServer(std::move(impl)));
  } catch (const std::exception& e) {  // Thread creation or allocation failure.
    return absl::InternalError(absl::StrCat("Cannot start test HTTP server: ", e.what()));
  }
}

void LoopbackHttpServer::Stop() { impl_->Stop(); }

uint16_t LoopbackHttpServer::port() const { return impl_->port(); }

int LoopbackHttpServer::ConnectionsAccepted() const { return impl_->ConnectionsAccepted(); }

}  // namespace sidecar::testing::internal
