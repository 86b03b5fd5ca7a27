#include "tests/testing/http_test_client.h"

#include <algorithm>
#include <cctype>

#include "agent/common/beast.h"

namespace sidecar::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

template <typename Stream>
absl::StatusOr<HttpTestReply> Exchange(Stream& stream, const HttpTestRequest& request,
                                       std::chrono::milliseconds timeout) {
  http::request<http::string_body> message;
  message.method_string(request.method);
  message.target(request.target);
  message.version(11);
  message.set(http::field::host, "localhost");
  for (const auto& [name, value] : request.headers) {
    message.set(name, value);
  }
  message.body() = request.body;
  message.prepare_payload();
  beast::error_code ec;
  stream.expires_after(timeout);
  http::write(stream, message, ec);
  if (ec) {
    return absl::UnavailableError("write: " + ec.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser, ec);
  if (ec) {
    return absl::UnavailableError("read: " + ec.message());
  }
  HttpTestReply reply;
  reply.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    reply.headers[name] = std::string(field.value());
  }
  reply.body = parser.get().body();
  return reply;
}

}  // namespace

absl::StatusOr<HttpTestReply> SendHttp(uint16_t port, const HttpTestRequest& request,
                                       std::chrono::milliseconds timeout,
                                       const std::string& unix_path) {
  asio::io_context context;
  beast::error_code ec;
  if (!unix_path.empty()) {
    beast::basic_stream<asio::local::stream_protocol> stream(context);
    stream.socket().connect(asio::local::stream_protocol::endpoint(unix_path), ec);
    if (ec) {
      return absl::UnavailableError("connect " + unix_path + ": " + ec.message());
    }
    return Exchange(stream, request, timeout);
  }
  beast::tcp_stream stream(context);
  stream.socket().connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    return absl::UnavailableError("connect: " + ec.message());
  }
  return Exchange(stream, request, timeout);
}

absl::StatusOr<std::string> SendRawHttp(uint16_t port, const std::string& bytes, bool half_close,
                                        std::chrono::milliseconds timeout) {
  asio::io_context context;
  beast::tcp_stream stream(context);
  beast::error_code ec;
  stream.socket().connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    return absl::UnavailableError("connect: " + ec.message());
  }
  stream.expires_after(timeout);
  asio::write(stream.socket(), asio::buffer(bytes), ec);
  if (ec) {
    return absl::UnavailableError("write: " + ec.message());
  }
  if (half_close) {
    stream.socket().shutdown(asio::socket_base::shutdown_send, ec);
  }
  std::string received;
  std::array<char, 4096> chunk{};
  for (;;) {
    stream.expires_after(timeout);
    const size_t n = stream.read_some(asio::buffer(chunk), ec);
    received.append(chunk.data(), n);
    if (ec) {
      break;
    }
  }
  return received;
}

}  // namespace sidecar::testing
