#include "agent/app/local_client.h"

#include "agent/common/beast.h"
#include "fmt/format.h"

namespace sidecar::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

}  // namespace

// Async operations on a private io_context run for at most `timeout`, so a sidecar that accepts
// the connection but never answers cannot hang an ECS health check.
absl::StatusOr<LocalReply> GetLocal(uint16_t port, const std::string& path,
                                    std::chrono::milliseconds timeout) {
  asio::io_context context;
  beast::tcp_stream stream(context);
  beast::flat_buffer buffer;
  http::request<http::empty_body> request(http::verb::get, path, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::user_agent, "sidecar-agent-cli");
  http::response<http::string_body> response;
  beast::error_code failure;

  stream.expires_after(timeout);
  stream.async_connect(
      asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port),
      [&](beast::error_code connect_ec) {
        if (connect_ec) {
          failure = connect_ec;
          return;
        }
        http::async_write(stream, request, [&](beast::error_code write_ec, size_t /*bytes*/) {
          if (write_ec) {
            failure = write_ec;
            return;
          }
          http::async_read(stream, buffer, response,
                           [&](beast::error_code read_ec, size_t /*bytes*/) { failure = read_ec; });
        });
      });
  context.run();
  if (failure) {
    return absl::UnavailableError(fmt::format(
        "No sidecar answered on 127.0.0.1:{} (DD_HEALTH_PORT): {}", port, failure.message()));
  }
  return LocalReply{static_cast<int>(response.result_int()), response.body()};
}

}  // namespace sidecar::app
