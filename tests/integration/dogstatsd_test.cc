// The real sidecar-agent binary receiving DogStatsD over UDP and a Unix socket, checked through
// what the fake intake decodes: aggregation results, unified service tags, and that SIGTERM in the
// middle of a bucket loses nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <cmath>
#include <map>
#include <thread>

#include "agent/app/local_client.h"
#include "agent/common/asio.h"
#include "nlohmann/json.hpp"
#include "tests/integration/agent_process.h"
#include "tests/testing/fake_intake.h"

namespace sidecar::integration {
namespace {

namespace asio = boost::asio;
using ::testing::Contains;
using ::testing::Not;

constexpr char kApiKey[] = "0123456789abcdef0123456789abcdef";
constexpr auto kTimeout = std::chrono::seconds(20);

uint16_t FreeUdpPort() { return FreePort(SOCK_DGRAM); }

void SendUdp(uint16_t port, const std::string& datagram) {
  asio::io_context context;
  asio::ip::udp::socket socket(context, asio::ip::udp::v4());
  socket.send_to(asio::buffer(datagram), {asio::ip::make_address("127.0.0.1"), port});
}

void SendUds(const std::string& path, const std::string& datagram) {
  asio::io_context context;
  asio::local::datagram_protocol::socket socket(context);
  socket.open();
  socket.send_to(asio::buffer(datagram), asio::local::datagram_protocol::endpoint(path));
}

struct Series {
  std::string type;
  std::vector<std::string> tags;
  std::vector<std::pair<int64_t, double>> points;
};

// Every serie the intake received, by metric name (points of repeated names appended).
std::map<std::string, Series> SeriesByName(const testing::FakeIntake& intake) {
  std::map<std::string, Series> result;
  for (const auto& request : intake.RequestsTo("/api/v2/series")) {
    for (const auto& serie : request.decoded["series"]) {
      Series& entry = result[serie["metric"].get<std::string>()];
      entry.type = serie["type"].get<std::string>();
      entry.tags = serie["tags"].get<std::vector<std::string>>();
      for (const auto& point : serie["points"]) {
        entry.points.emplace_back(std::stoll(point["timestamp"].get<std::string>()),
                                  point.value("value", 0.0));
      }
    }
  }
  return result;
}

// The value of one self-telemetry series from the sidecar's /status, or -1 if unavailable.
int64_t StatusValue(uint16_t health_port, const std::string& name) {
  auto reply = app::GetLocal(health_port, "/status", std::chrono::seconds(2));
  if (!reply.ok()) {
    return -1;
  }
  const auto document = nlohmann::json::parse(reply->body, nullptr, false);
  if (document.is_discarded()) {
    return -1;
  }
  for (const auto& metric : document["metrics"]) {
    if (metric["name"] == name && metric["tags"].empty()) {
      return metric["value"].get<int64_t>();
    }
  }
  return -1;
}

// Polls until the sidecar's received-line count stops moving (the socket is drained).
int64_t WaitForLinesToSettle(uint16_t health_port, int64_t at_least) {
  int64_t last = -1;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const int64_t now = StatusValue(health_port, "dogstatsd.lines_received");
    if (now >= at_least && now == last) {
      return now;
    }
    last = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

class DogstatsdIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    intake_ = *testing::FakeIntake::Start();
    health_port_ = FreePort();
    dogstatsd_port_ = FreeUdpPort();
    socket_path_ = ::testing::TempDir() + "dsd-" + std::to_string(dogstatsd_port_) + ".socket";
  }

  std::unique_ptr<AgentProcess> StartAgent() {
    auto agent = std::make_unique<AgentProcess>(
        std::vector<std::string>{"run"},
        std::map<std::string, std::string>{{"DD_API_KEY", kApiKey},
                                           {"DD_DD_URL", intake_->base_url()},
                                           {"DD_HEALTH_PORT", std::to_string(health_port_)},
                                           {"DD_DOGSTATSD_PORT", std::to_string(dogstatsd_port_)},
                                           {"DD_DOGSTATSD_SOCKET", socket_path_},
                                           {"DD_ENV", "staging"},
                                           {"DD_SERVICE", "checkout"},
                                           {"DD_TAGS", "team:payments"}});
    EXPECT_TRUE(WaitForHttpStatus(health_port_, "/health", 200, kTimeout)) << agent->Output();
    return agent;
  }

  std::unique_ptr<testing::FakeIntake> intake_;
  uint16_t health_port_ = 0;
  uint16_t dogstatsd_port_ = 0;
  std::string socket_path_;
};

TEST_F(DogstatsdIntegrationTest, AggregatesEveryTypeAndFlushesTheOpenBucketOnSigterm) {
  auto agent = StartAgent();
  SendUdp(dogstatsd_port_, "page.views:1|c|#route:/a\npage.views:2|c|#route:/a");
  SendUdp(dogstatsd_port_,
          "latency:1|h\nlatency:10|h\nlatency:4|h\nlatency:5|h\nlatency:2|h\n"
          "latency:2|h");  // F05
  SendUdp(dogstatsd_port_, "queue.depth:3|g|#env:prod");
  SendUdp(dogstatsd_port_, "users:a|s\nusers:b|s\nusers:a|s");  // F13
  SendUds(socket_path_, "upload.size:1|d\nupload.size:2|d");    // G01
  SendUdp(dogstatsd_port_, "_e{6,4}:deploy|done|#tier:web");
  SendUdp(dogstatsd_port_, "_sc|db.ok|1|m:slow");
  // Wait until the sidecar has read every datagram, then stop it mid-bucket.
  ASSERT_EQ(WaitForLinesToSettle(health_port_, 16), 16);
  agent->Signal(SIGTERM);
  ASSERT_EQ(agent->Wait(std::chrono::seconds(30)), 0) << agent->Output();

  const auto series = SeriesByName(*intake_);
  ASSERT_TRUE(series.count("page.views")) << agent->Output();
  EXPECT_EQ(series.at("page.views").type, "RATE");  // H02
  EXPECT_DOUBLE_EQ(series.at("page.views").points.at(0).second, 0.3);
  EXPECT_EQ(series.at("page.views").points.at(0).first % 10, 0);  // Bucket start.
  EXPECT_THAT(series.at("page.views").tags, Contains("route:/a"));
  EXPECT_THAT(series.at("page.views").tags, Contains("team:payments"));  // E10
  EXPECT_THAT(series.at("page.views").tags, Contains("env:staging"));
  EXPECT_THAT(series.at("page.views").tags, Contains("service:checkout"));
  // The client's own env wins over DD_ENV, and there is never a second env value.
  EXPECT_THAT(series.at("queue.depth").tags, Contains("env:prod"));
  EXPECT_THAT(series.at("queue.depth").tags, Not(Contains("env:staging")));
  EXPECT_EQ(series.at("queue.depth").type, "GAUGE");  // H01
  EXPECT_DOUBLE_EQ(series.at("latency.max").points.at(0).second, 10);
  EXPECT_DOUBLE_EQ(series.at("latency.median").points.at(0).second, 2);
  EXPECT_DOUBLE_EQ(series.at("latency.avg").points.at(0).second, 4);
  EXPECT_DOUBLE_EQ(series.at("latency.count").points.at(0).second, 0.6);
  EXPECT_EQ(series.at("latency.count").type, "RATE");
  EXPECT_DOUBLE_EQ(series.at("latency.95percentile").points.at(0).second, 10);
  EXPECT_DOUBLE_EQ(series.at("users").points.at(0).second, 2);

  const auto sketches = intake_->RequestsTo("/api/beta/sketches");
  ASSERT_EQ(sketches.size(), 1u);
  const auto& sketch = sketches[0].decoded["sketches"][0];
  EXPECT_EQ(sketch["metric"], "upload.size");
  EXPECT_EQ(sketch["dogsketches"][0]["cnt"], "2");
  EXPECT_EQ(sketch["dogsketches"][0]["k"], nlohmann::json({1338, 1383}));

  const auto checks = intake_->RequestsTo("/api/v1/check_run");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].decoded[0]["check"], "db.ok");
  EXPECT_EQ(checks[0].decoded[0]["status"], 1);
  EXPECT_EQ(checks[0].decoded[0]["message"], "slow");
  const auto events = intake_->RequestsTo("/intake/");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].decoded["events"]["api"][0]["msg_title"], "deploy");  // H15
  EXPECT_EQ(events[0].Header("DD-API-KEY"), kApiKey);
}

TEST_F(DogstatsdIntegrationTest, SigtermRightAfterAFloodLosesNoCount) {
  auto agent = StartAgent();
  constexpr int kDatagrams = 200;
  constexpr int kLinesPerDatagram = 50;
  for (int d = 0; d < kDatagrams; ++d) {
    std::string datagram;
    for (int l = 0; l < kLinesPerDatagram; ++l) {
      datagram +=
          (l == 0 ? "" : "\n") + std::string("flood.count:1|c|#shard:") + std::to_string(l % 5);
    }
    SendUdp(dogstatsd_port_, datagram);
  }
  // UDP may drop in the kernel when a busy machine cannot keep up with a burst; what the sidecar
  // accepted is what it must not lose, so compare against its own received-line count.
  const int64_t accepted = WaitForLinesToSettle(health_port_, 1);
  ASSERT_GT(accepted, 0);
  agent->Signal(SIGTERM);
  ASSERT_EQ(agent->Wait(std::chrono::seconds(30)), 0) << agent->Output();
  double total = 0;
  for (const auto& request : intake_->RequestsTo("/api/v2/series")) {
    for (const auto& serie : request.decoded["series"]) {
      if (serie["metric"] == "flood.count") {
        for (const auto& point : serie["points"]) {
          total += point.value("value", 0.0) * 10;  // Rates are per second over 10 s.
        }
      }
    }
  }
  EXPECT_NEAR(total, static_cast<double>(accepted), 1e-6);
  EXPECT_LE(accepted, kDatagrams * kLinesPerDatagram);
}

}  // namespace
}  // namespace sidecar::integration
