#include "agent/status/status_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "agent/common/beast.h"

namespace sidecar::status {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ::testing::HasSubstr;

struct Reply {
  int status = 0;
  std::string body;
};

// Two requests on one keep-alive connection, so the test also proves connections are reused.
std::vector<Reply> GetAll(uint16_t port, const std::vector<std::string>& targets) {
  asio::io_context context;
  asio::ip::tcp::socket socket(context);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  boost::beast::flat_buffer buffer;
  std::vector<Reply> replies;
  for (const auto& target : targets) {
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "localhost");
    request.keep_alive(true);
    http::write(socket, request);
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    replies.push_back({static_cast<int>(response.result_int()), response.body()});
  }
  return replies;
}

TEST(StatusServerTest, ServesHealthAndStatusOverKeepAlive) {
  telemetry::Registry registry;
  registry.SetHealth("dd_out", telemetry::HealthState::kReady);
  asio::io_context context;
  StatusServer server(context, registry, nullptr);
  ASSERT_TRUE(server.Listen("127.0.0.1", 0).ok());
  ASSERT_NE(server.Port(), 0);
  std::thread loop([&] { context.run(); });

  auto replies = GetAll(server.Port(), {"/health", "/status"});
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].status, 200);
  EXPECT_EQ(replies[1].status, 200);
  EXPECT_THAT(replies[1].body, HasSubstr("\"components\""));

  server.SetStopping();
  EXPECT_EQ(GetAll(server.Port(), {"/health"})[0].status, 503);

  server.Close();
  context.stop();
  loop.join();
}

TEST(StatusServerTest, ListenOnBusyPortNamesTheVariable) {
  telemetry::Registry registry;
  asio::io_context context;
  StatusServer first(context, registry, nullptr);
  ASSERT_TRUE(first.Listen("127.0.0.1", 0).ok());
  StatusServer second(context, registry, nullptr);
  absl::Status status = second.Listen("127.0.0.1", first.Port());
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("DD_HEALTH_PORT"));
}

}  // namespace
}  // namespace sidecar::status
