// The real binary on a "task" whose metadata endpoint (the fake ECS metadata server) answers 500
// while the task starts: the sidecar is healthy at once, accepts data, and once the metadata
// arrives its DogStatsD series carry the task tags and ecs.fargate metrics flow.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <thread>

#include "agent/app/local_client.h"
#include "agent/common/asio.h"
#include "nlohmann/json.hpp"
#include "tests/integration/agent_process.h"
#include "tests/testing/fake_ecs_metadata_server.h"
#include "tests/testing/fake_intake.h"

namespace sidecar::integration {
namespace {

using ::testing::Contains;

constexpr char kTaskArn[] =
    "arn:aws:ecs:ap-northeast-1:601427279990:task/akira-fargate-check-cluster/"
    "67cd8a22b533459696d4ccab5278e009";
constexpr auto kTimeout = std::chrono::seconds(30);

nlohmann::json Status(uint16_t port) {
  auto reply = app::GetLocal(port, "/status", std::chrono::seconds(2));
  if (!reply.ok()) {
    return nlohmann::json();
  }
  return nlohmann::json::parse(reply->body, nullptr, false);
}

void SendUdp(uint16_t port, const std::string& datagram) {
  boost::asio::io_context context;
  boost::asio::ip::udp::socket socket(context, boost::asio::ip::udp::v4());
  socket.send_to(boost::asio::buffer(datagram), {boost::asio::ip::make_address("127.0.0.1"), port});
}

TEST(EcsMetadataIntegrationTest, HealthyDuringMetadataOutageThenTagsWithTheTask) {
  auto intake = *testing::FakeIntake::Start();
  auto metadata = *testing::FakeEcsMetadataServer::Start();
  ASSERT_TRUE(metadata->LoadFixtures(testing::EcsFlavor::kFargate).ok());
  metadata->FailFor(500, std::chrono::seconds(2));
  const uint16_t health_port = FreePort();
  const uint16_t dogstatsd_port = FreePort(SOCK_DGRAM);
  AgentProcess agent({"run"}, {{"DD_API_KEY", "0123456789abcdef0123456789abcdef"},
                               {"DD_DD_URL", intake->base_url()},
                               {"DD_HEALTH_PORT", std::to_string(health_port)},
                               {"DD_DOGSTATSD_PORT", std::to_string(dogstatsd_port)},
                               {"DD_DOGSTATSD_SOCKET", ""},
                               {"ECS_CONTAINER_METADATA_URI_V4", metadata->base_url()}});

  // Healthy while the endpoint still fails; data is accepted during the outage.
  ASSERT_TRUE(WaitForHttpStatus(health_port, "/health", 200, std::chrono::seconds(20)))
      << agent.Output();
  SendUdp(dogstatsd_port, "early.metric:1|c");

  // The task document arrives once the outage ends.
  bool tagged = false;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (!tagged && std::chrono::steady_clock::now() < deadline) {
    const auto status = Status(health_port);
    tagged = status.contains("details") && status["details"]["task"].is_object() &&
             status["details"]["task"].value("task_arn", "") == kTaskArn;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(tagged) << agent.Output();
  SendUdp(dogstatsd_port, "late.metric:1|c|#route:/a");
  // The first /task/stats reading follows readiness; wait for its series, then flush everything
  // with SIGTERM (the late metric is still in its open bucket then, which SIGTERM flushes).
  const auto has_fargate_series = [&] {
    for (const auto& request : intake->RequestsTo("/api/v2/series")) {
      if (request.decoded.dump().find("ecs.fargate.") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  while (!has_fargate_series() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto lines_received = [&] {
    const auto status = Status(health_port);
    for (const auto& metric : status.value("metrics", nlohmann::json::array())) {
      if (metric["name"] == "dogstatsd.lines_received") {
        return metric["value"].get<int64_t>();
      }
    }
    return int64_t{0};
  };
  while (lines_received() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  agent.Signal(SIGTERM);
  ASSERT_EQ(agent.Wait(kTimeout), 0) << agent.Output();

  bool early_seen = false;
  bool late_seen = false;
  bool fargate_seen = false;
  for (const auto& request : intake->RequestsTo("/api/v2/series")) {
    for (const auto& serie : request.decoded["series"]) {
      const auto tags = serie["tags"].get<std::vector<std::string>>();
      const std::string name = serie["metric"].get<std::string>();
      if (name == "early.metric") {
        early_seen = true;
      } else if (name == "late.metric") {
        late_seen = true;
        // Contract decision: orchestrator cardinality by default, so task_arn is on custom metrics.
        EXPECT_THAT(tags, Contains(std::string("task_arn:") + kTaskArn));
        EXPECT_THAT(tags, Contains("ecs_cluster_name:akira-fargate-check-cluster"));
        EXPECT_THAT(tags, Contains("route:/a"));
      } else if (name.rfind("ecs.fargate.", 0) == 0) {
        fargate_seen = true;
      }
    }
  }
  EXPECT_TRUE(early_seen) << "data accepted during the metadata outage must not be lost";
  EXPECT_TRUE(late_seen);
  EXPECT_TRUE(fargate_seen) << "the ecs_fargate check should report once metadata is available";
  // The 500s were answered and retried, not given up on.
  EXPECT_GE(metadata->RequestCount("/task"), 2);
}

}  // namespace
}  // namespace sidecar::integration
