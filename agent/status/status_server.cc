#include "agent/status/status_server.h"

#include <chrono>

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
  asio::co_spawn(context_, AcceptLoop(), [](const std::exception_ptr& error) {
    if (error) {
      spdlog::error("Status server accept loop ended with an exception.");
    }
  });
  return absl::OkStatus();
}

void StatusServer::Close() {
  asio::post(context_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<void> StatusServer::AcceptLoop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) {
        co_return;
      }
      continue;
    }
    asio::co_spawn(context_, Serve(std::move(socket)), [](const std::exception_ptr& error) {
      if (error) {
        spdlog::warn("Status connection ended with an exception.");
      }
    });
  }
}

asio::awaitable<void> StatusServer::Serve(asio::ip::tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    boost::system::error_code ec;
    stream.expires_after(kRequestTimeout);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      break;
    }
    const auto& request = parser.get();
    const StatusView view{&registry_, stopping_.load(), details_};
    const auto method = request.method_string();
    const auto target = request.target();
    const StatusAnswer answer =
        HandleStatusRequest(std::string_view(method.data(), method.size()),
                            std::string_view(target.data(), target.size()), view);
    http::response<http::string_body> response(static_cast<http::status>(answer.status),
                                               request.version());
    response.set(http::field::content_type, answer.content_type);
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(request.keep_alive());
    if (request.method() != http::verb::head) {
      response.body() = answer.body;
    }
    response.prepare_payload();
    stream.expires_after(kRequestTimeout);
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) {
      break;
    }
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace sidecar::status
