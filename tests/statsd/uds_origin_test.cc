// UDS origin detection (spec dogstatsd.md §1 "UDS origin detection", ecs-logs.md §A2.3 "UDS peer
// credentials"): SO_PASSCRED on the DogStatsD Unix socket, the sender pid per datagram, and the
// pipeline mapping it through a fake /proc to a container of the Fargate task fixture.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/common/snapshot.h"
#include "agent/config/agent_config.h"
#include "agent/config/environment.h"
#include "container/origin.h"
#include "container/tagger.h"
#include "container/task_metadata.h"
#include "statsd/datagram_source.h"
#include "statsd/statsd_config.h"
#include "statsd/statsd_pipeline.h"
#include "tests/testing/manual_clock.h"
#include "tests/testing/testdata.h"

namespace sidecar::statsd {
namespace {

namespace asio = boost::asio;
using ::testing::Contains;
using ::testing::Each;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kWebId = "67cd8a22b533459696d4ccab5278e009-3591238047";
constexpr std::string_view kAgentId = "67cd8a22b533459696d4ccab5278e009-2860414825";

int32_t OwnPid() { return static_cast<int32_t>(::getpid()); }

// A fresh temporary directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "uds_origin.XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  // <dir>/<pid>/cgroup, as /proc lays it out.
  void WriteCgroup(int32_t pid, const std::string& text) const {
    const auto dir = std::filesystem::path(path_) / std::to_string(pid);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "cgroup") << text;
  }

 private:
  std::string path_;
};

void SendUds(const std::string& path, const std::string& datagram) {
  asio::io_context client_context;
  asio::local::datagram_protocol::socket client(client_context);
  client.open();
  client.send_to(asio::buffer(datagram), asio::local::datagram_protocol::endpoint(path));
}

// ---------------------------------------------------------------------------------------------
// DatagramSource: the pid of each datagram.

class PidCollector {
 public:
  void Take(BatchPool::Handle batch) {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < batch->size(); ++i) {
      packets_.emplace_back(batch->Packet(i));
      pids_.push_back(batch->has_pids() ? batch->Pid(i) : -1);
    }
    changed_.notify_all();
  }
  bool WaitForPackets(size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(5), [&] { return packets_.size() >= n; });
  }
  std::vector<std::string> packets() {
    std::lock_guard lock(mutex_);
    return packets_;
  }
  std::vector<int32_t> pids() {
    std::lock_guard lock(mutex_);
    return pids_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> packets_;
  std::vector<int32_t> pids_;  // -1: the batch carried no pids.
};

class UdsCredentialsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    context_.stop();
    if (loop_.joinable()) {
      loop_.join();
    }
  }
  // Starts a UDS-only source and sends `datagrams` to it from this process.
  void Run(bool origin_detection, const std::vector<std::string>& datagrams) {
    DatagramSourceOptions options;
    options.udp_port = 0;
    options.socket_path = dir_.path() + "/dsd.socket";
    options.origin_detection = origin_detection;
    source_ = std::make_unique<DatagramSource>(
        context_, options, [this](BatchPool::Handle b) { collector_.Take(std::move(b)); },
        registry_);
    ASSERT_TRUE(source_->Start().ok());
    loop_ = std::thread([this] { context_.run(); });
    for (const std::string& datagram : datagrams) {
      SendUds(options.socket_path, datagram);
    }
    ASSERT_TRUE(collector_.WaitForPackets(datagrams.size()));
  }

  TempDir dir_;
  asio::io_context context_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ =
      asio::make_work_guard(context_);
  std::thread loop_;
  telemetry::Registry registry_;
  PidCollector collector_;
  std::unique_ptr<DatagramSource> source_;
};

TEST_F(UdsCredentialsTest, ReportsTheSendersPidWhenOn) {
  Run(/*origin_detection=*/true, {"a:1|c", "b:2|c", "c:3|c"});
  EXPECT_THAT(collector_.packets(), ::testing::ElementsAre("a:1|c", "b:2|c", "c:3|c"));
  EXPECT_THAT(collector_.pids(), Each(OwnPid()));
}

TEST_F(UdsCredentialsTest, RecordsNoPidsWhenOff) {
  Run(/*origin_detection=*/false, {"a:1|c"});
  EXPECT_THAT(collector_.pids(), ::testing::ElementsAre(-1));
}

// ---------------------------------------------------------------------------------------------
// Configuration.

using Variables = std::map<std::string, std::string, std::less<>>;

absl::StatusOr<StatsdPipelineOptions> Load(config::MapEnvironment environment) {
  environment.Set("DD_API_KEY", "0123456789abcdef0123456789abcdef");
  auto agent = config::Finalize(config::ReadRawConfig(environment));
  EXPECT_TRUE(agent.ok()) << agent.status().ToString();
  return FinalizeStatsdOptions(environment, *agent);
}

TEST(UdsOriginConfigTest, OffByDefaultAndReadFromTheEnvironment) {
  auto defaults = Load(config::MapEnvironment());
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_FALSE(defaults->source.origin_detection);
  EXPECT_EQ(defaults->origin_cgroups.proc_root, "/proc");

  auto on = Load(config::MapEnvironment(Variables{{"DD_DOGSTATSD_ORIGIN_DETECTION", "true"}}));
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->source.origin_detection);

  auto bad =
      Load(config::MapEnvironment(Variables{{"DD_DOGSTATSD_ORIGIN_DETECTION", "sometimes"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("DD_DOGSTATSD_ORIGIN_DETECTION"));
}

// ---------------------------------------------------------------------------------------------
// StatsdPipeline end to end: UDS datagram -> pid -> fake /proc -> container tags.

std::shared_ptr<const container::TagStore> FargateStore() {
  absl::StatusOr<std::string> text =
      sidecar::testing::ReadFileToString(sidecar::testing::TestdataPath("ecs/fargate_task.json"));
  EXPECT_TRUE(text.ok());
  absl::StatusOr<container::TaskMetadata> task =
      container::ParseTaskDocument(text.ok() ? *text : "");
  EXPECT_TRUE(task.ok());
  return container::BuildTagStore(task.ok() ? *task : container::TaskMetadata{},
                                  container::TaggerConfig{});
}

class UdsOriginPipelineTest : public ::testing::Test {
 protected:
  UdsOriginPipelineTest() : snapshot_(FargateStore()) {}

  // Runs a pipeline over `datagrams` sent from this process and returns the flushed series by
  // metric name (tags of each).
  std::map<std::string, std::vector<std::string>> Run(const std::vector<std::string>& datagrams,
                                                      bool origin_detection = true) {
    StatsdPipelineOptions options;
    options.source.udp_port = 0;
    options.source.socket_path = dir_.path() + "/dsd.socket";
    options.source.origin_detection = origin_detection;
    options.origin_cgroups.proc_root = proc_.path();
    options.parser.origin_detection_client = true;
    options.use_v2_series = false;  // JSON, so the test reads the tags directly.
    options.encoder.compression = forwarder::CompressionKind::kNone;
    container::TaggerOriginTags origin(snapshot_, container::Cardinality::kOrchestrator);

    asio::io_context ingress;
    auto guard = asio::make_work_guard(ingress);
    asio::thread_pool compute(1);
    std::mutex mutex;
    std::vector<forwarder::Payload> payloads;
    StatsdPipeline pipeline(
        ingress, compute, options, &origin,
        [&](forwarder::Payload payload) {
          std::lock_guard lock(mutex);
          payloads.push_back(std::move(payload));
        },
        clock_, registry_);
    EXPECT_TRUE(pipeline.Start().ok());
    std::thread loop([&] { ingress.run(); });
    for (const std::string& datagram : datagrams) {
      SendUds(options.source.socket_path, datagram);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (registry_.ValueOf("dogstatsd.lines_received") < static_cast<int64_t>(datagrams.size()) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pipeline.StopSources();
    guard.reset();
    loop.join();
    pipeline.FinalFlush();
    compute.join();

    std::map<std::string, std::vector<std::string>> series;
    for (const forwarder::Payload& payload : payloads) {
      if (payload.kind != "series") {
        continue;
      }
      const auto body = nlohmann::json::parse(payload.body, nullptr, /*allow_exceptions=*/false);
      EXPECT_FALSE(body.is_discarded()) << payload.body;
      if (body.is_discarded()) {
        continue;
      }
      for (const auto& serie : body["series"]) {
        series[serie["metric"].get<std::string>()] = serie["tags"].get<std::vector<std::string>>();
      }
    }
    return series;
  }

  TempDir dir_;
  TempDir proc_;
  common::Snapshot<container::TagStore> snapshot_;
  sidecar::testing::ManualClock clock_;
  telemetry::Registry registry_;
};

TEST_F(UdsOriginPipelineTest, SendersContainerTagsLinesWithoutOrigin) {
  proc_.WriteCgroup(OwnPid(),
                    "0::/ecs/67cd8a22b533459696d4ccab5278e009/" + std::string(kWebId) + "\n");
  auto series = Run({
      "origin.pid:1|c|#mine:1",
      // The client's own `c:` wins over the socket's container.
      "origin.client:1|c|c:ci-" + std::string(kAgentId),
      // card:none opts out of origin tags (dogstatsd_origin_optout_enabled).
      "origin.optout:1|c|card:none",
  });
  ASSERT_EQ(series.size(), 3u);
  EXPECT_THAT(series["origin.pid"], Contains("ecs_container_name:web"));
  EXPECT_THAT(series["origin.pid"], Contains("mine:1"));
  EXPECT_THAT(series["origin.pid"], Contains("task_family:akira-fargate-check"));
  EXPECT_THAT(series["origin.client"], Contains("ecs_container_name:dd-agent"));
  EXPECT_THAT(series["origin.client"], Not(Contains("ecs_container_name:web")));
  EXPECT_THAT(series["origin.optout"], Not(Contains(StartsWith("ecs_container_name:"))));
  EXPECT_THAT(series["origin.optout"], Contains("task_family:akira-fargate-check"));
  EXPECT_EQ(registry_.SumOf("dogstatsd.origin_detection.failures"), 0);
}

TEST_F(UdsOriginPipelineTest, FailedLookupsAreCountedAndKeepTaskTags) {
  // No <pid>/cgroup in the fake root: the sidecar does not share the app's PID namespace.
  auto series = Run({"origin.a:1|c", "origin.b:1|c"});
  ASSERT_EQ(series.size(), 2u);
  for (const auto& [name, tags] : series) {
    EXPECT_THAT(tags, Not(Contains(StartsWith("ecs_container_name:")))) << name;
    EXPECT_THAT(tags, Contains("task_family:akira-fargate-check")) << name;
  }
  EXPECT_EQ(
      registry_.ValueOf("dogstatsd.origin_detection.failures", {{"reason", "cgroup_unreadable"}}),
      2);
}

TEST_F(UdsOriginPipelineTest, ACgroupWithoutContainerIsCounted) {
  proc_.WriteCgroup(OwnPid(), "0::/\n");
  auto series = Run({"origin.host:1|c"});
  EXPECT_THAT(series["origin.host"], Not(Contains(StartsWith("ecs_container_name:"))));
  EXPECT_EQ(registry_.ValueOf("dogstatsd.origin_detection.failures", {{"reason", "no_container"}}),
            1);
}

TEST_F(UdsOriginPipelineTest, OffLeavesLinesWithTaskTags) {
  proc_.WriteCgroup(OwnPid(), "0::/ecs/t/" + std::string(kWebId) + "\n");
  auto series = Run({"origin.off:1|c"}, /*origin_detection=*/false);
  EXPECT_THAT(series["origin.off"], Not(Contains(StartsWith("ecs_container_name:"))));
  EXPECT_THAT(series["origin.off"], Contains("task_family:akira-fargate-check"));
  EXPECT_EQ(registry_.SumOf("dogstatsd.origin_detection.failures"), 0);
}

}  // namespace
}  // namespace sidecar::statsd
