// The real binary as the task's FireLens log router: recorded Fluent Forward captures over the Unix
// socket and TCP, and raw lines over the TCP line port, reach the fake logs intake; an intake
// outage loses nothing once it recovers, and SIGTERM flushes the open batch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "agent/common/asio.h"
#include "nlohmann/json.hpp"
#include "tests/integration/agent_process.h"
#include "tests/testing/fake_intake.h"
#include "tests/testing/testdata.h"

namespace sidecar::integration {
namespace {

constexpr auto kTimeout = std::chrono::seconds(30);

std::string Capture(const std::string& name) {
  auto bytes =
      testing::ReadFileToString(std::string(SIDECAR_SHARED_TESTDATA) + "/clients/logs/" + name);
  EXPECT_TRUE(bytes.ok()) << name;
  return bytes.ok() ? *bytes : std::string();
}

void SendTcp(uint16_t port, const std::string& bytes) {
  boost::asio::io_context context;
  boost::asio::ip::tcp::socket socket(context);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(socket, boost::asio::buffer(bytes));
  socket.shutdown(boost::asio::socket_base::shutdown_send);
  // Wait for the server to close its side (it has read everything by then).
  boost::system::error_code ec;
  std::array<char, 256> ignored{};
  while (!ec) {
    socket.read_some(boost::asio::buffer(ignored), ec);
  }
}

void SendUnix(const std::string& path, const std::string& bytes) {
  boost::asio::io_context context;
  boost::asio::local::stream_protocol::socket socket(context);
  socket.connect(boost::asio::local::stream_protocol::endpoint(path));
  boost::asio::write(socket, boost::asio::buffer(bytes));
  socket.shutdown(boost::asio::socket_base::shutdown_send);
  boost::system::error_code ec;
  std::array<char, 256> ignored{};
  while (!ec) {
    socket.read_some(boost::asio::buffer(ignored), ec);
  }
}

std::vector<nlohmann::json> Logs(const testing::FakeIntake& intake) {
  std::vector<nlohmann::json> logs;
  for (const auto& request : intake.RequestsTo("/api/v2/logs")) {
    if (request.status < 200 || request.status >= 300 || !request.decoded.is_array()) {
      continue;  // answered with an error: the forwarder sends it again
    }
    for (const auto& log : request.decoded) {
      logs.push_back(log);
    }
  }
  return logs;
}

TEST(LogsIntegrationTest, ForwardAndLineReceiversReachTheIntakeThroughAnOutage) {
  auto intake = *testing::FakeIntake::Start();
  const uint16_t health_port = FreePort();
  const uint16_t forward_port = FreePort();
  const uint16_t line_port = FreePort();
  const std::string socket_path =
      ::testing::TempDir() + "fluent-" + std::to_string(::getpid()) + ".sock";
  AgentProcess agent({"run"}, {{"DD_API_KEY", "0123456789abcdef0123456789abcdef"},
                               {"DD_DD_URL", intake->base_url()},
                               {"DD_LOGS_CONFIG_LOGS_DD_URL", intake->base_url()},
                               {"DD_HEALTH_PORT", std::to_string(health_port)},
                               {"DD_DOGSTATSD_PORT", "0"},
                               {"DD_DOGSTATSD_SOCKET", ""},
                               {"DD_LOGS_ENABLED", "true"},
                               {"DD_LOGS_FORWARD_PORT", std::to_string(forward_port)},
                               {"DD_LOGS_FORWARD_SOCKET", socket_path},
                               {"DD_LOGS_TCP_PORT", std::to_string(line_port)},
                               {"DD_SERVICE", "checkout"},
                               {"DD_LOGS_CONFIG_BATCH_WAIT", "1"}});
  ASSERT_TRUE(WaitForHttpStatus(health_port, "/health", 200, std::chrono::seconds(20)))
      << agent.Output();

  // The intake is down for 3 s while the first logs arrive.
  intake->FailFor(503, std::chrono::seconds(3));
  SendUnix(socket_path, Capture("forward-firelens-docker-message.bin"));
  SendTcp(forward_port, Capture("forward-fluent-logger-packedforward-chunk.bin"));
  SendTcp(line_port, "plain line one\nplain line two\n");

  // Everything arrives once the outage is over (batch_wait is 1 s, retries back off).
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  std::set<std::string> messages;
  while (std::chrono::steady_clock::now() < deadline) {
    messages.clear();
    for (const auto& log : Logs(*intake)) {
      messages.insert(log.value("message", ""));
    }
    if (messages.count("plain line two") &&
        messages.count("10.0.1.7 - - \"GET /checkout HTTP/1.1\" 200 512 12ms")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(messages.count("plain line one")) << agent.Output();
  EXPECT_TRUE(messages.count("plain line two"));
  EXPECT_TRUE(messages.count("10.0.1.7 - - \"GET /checkout HTTP/1.1\" 200 512 12ms"));
  bool failed_first = false;
  for (const auto& request : intake->RequestsTo("/api/v2/logs")) {
    failed_first = failed_first || request.status == 503;
  }
  EXPECT_TRUE(failed_first) << "the outage should have been seen";

  // Sent just before SIGTERM: still in the open batch, which the stop must flush.
  SendTcp(line_port, "last words\n");
  agent.Signal(SIGTERM);
  ASSERT_EQ(agent.Wait(kTimeout), 0) << agent.Output();
  bool last_seen = false;
  for (const auto& log : Logs(*intake)) {
    if (log.value("message", "") == "last words") {
      last_seen = true;
      EXPECT_EQ(log.value("service", ""), "checkout");
      EXPECT_EQ(log.value("status", ""), "info");
    }
  }
  EXPECT_TRUE(last_seen) << agent.Output();
}

}  // namespace
}  // namespace sidecar::integration
