#include "agent/status/status_server.h"

#include <atomic>
#include <chrono>
#include <optional>

#include "agent/common/beast.h"
#include "spdlog/spdlog.h"

namespace sidecar::status {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto kRequestTimeout = std::chrono::seconds(5);
constexpr uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr uint64_t kMaxBodyBytes = 4 * 1024;

// One connection: read a request, answer it, repeat while the client keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, const telemetry::Registry& registry,
          const std::atomic<bool>& stopping, const std::function<nlohmann::json()>& details)
      : stream_(std::move(socket)), registry_(registry), stopping_(stopping), details_(details) {}

  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kRequestTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t /*bytes*/) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) {
      Close();
      return;
    }
    const auto& request = parser_->get();
    const auto method = request.method_string();
    const auto target = request.target();
    const StatusView view{&registry_, stopping_.load(), details_};
    const StatusAnswer answer =
        HandleStatusRequest(std::string_view(method.data(), method.size()),
                            std::string_view(target.data(), target.size()), view);
    response_.emplace(static_cast<http::status>(answer.status), request.version());
    response_->set(http::field::content_type, answer.content_type);
    response_->set(http::field::cache_control, "no-store");
    response_->keep_alive(request.keep_alive());
    if (request.method() != http::verb::head) {
      response_->body() = answer.body;
    }
    response_->prepare_payload();
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](beast::error_code write_ec, size_t /*bytes*/) {
                        if (write_ec || !self->response_->keep_alive()) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  const telemetry::Registry& registry_;
  const std::atomic<bool>& stopping_;
  const std::function<nlohmann::json()>& details_;
};

}  // namespace

StatusServer::StatusServer(asio::io_context& context, const telemetry::Registry& registry,
                           std::function<nlohmann::json()> details)
    : context_(context), registry_(registry), details_(std::move(details)), acceptor_(context) {}

StatusServer::~StatusServer() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

absl::Status StatusServer::Listen(const std::string& address, uint16_t port) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) {
    return absl::InvalidArgumentError("Invalid status server address " + address);
  }
  const asio::ip::tcp::endpoint endpoint(ip, port);
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
  if (ec) {
    return absl::UnavailableError("Cannot listen on " + address + ":" + std::to_string(port) +
                                  " for the health/status port (DD_HEALTH_PORT): " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  asio::post(context_, [this] { Accept(); });
  return absl::OkStatus();
}

void StatusServer::Close() {
  asio::post(context_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

void StatusServer::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (!ec) {
      std::make_shared<Session>(std::move(socket), registry_, stopping_, details_)->Read();
    }
    Accept();
  });
}

}  // namespace sidecar::status
