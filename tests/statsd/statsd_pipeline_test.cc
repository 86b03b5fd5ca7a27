// StatsdPipeline's timer flush runs in steps on the aggregation strand, one piece of series each,
// and lines that arrive between the steps are aggregated meanwhile (statsd_pipeline.h). These
// tests drive the real pipeline over UDP with a wall clock the test moves, and read the JSON
// series payloads it submits.
#include "statsd/statsd_pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sidecar::statsd {
namespace {

namespace asio = boost::asio;

constexpr int64_t kStart = 1'700'000'000;  // A bucket start.

// Wall time set by the test, read by the strand: atomic, unlike testing::ManualClock.
class SettableClock final : public common::Clock {
 public:
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point SystemNow() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds_.load()));
  }
  void Set(int64_t seconds) { seconds_.store(seconds); }

 private:
  std::atomic<int64_t> seconds_{kStart + 5};
};

// (metric, point timestamp) -> point values, over every series payload.
using Points = std::map<std::pair<std::string, int64_t>, std::vector<double>>;

class StatsdPipelineFlushTest : public ::testing::Test {
 protected:
  StatsdPipelineFlushTest() {
    asio::ip::udp::socket probe(ingress_, {asio::ip::make_address("127.0.0.1"), 0});
    options_.source.udp_port = probe.local_endpoint().port();
    options_.source.socket_path = "";
    options_.use_v2_series = false;  // JSON, read directly.
    options_.encoder.compression = forwarder::CompressionKind::kNone;
    options_.flush_interval = std::chrono::milliseconds(2);
  }

  void Start() {
    pipeline_ = std::make_unique<StatsdPipeline>(
        ingress_, compute_, options_, nullptr,
        [this](forwarder::Payload payload) {
          std::unique_lock lock(mutex_);
          if (payload.kind == "series") {
            ++series_payloads_;
            series_bodies_.push_back(std::move(payload.body));
            changed_.notify_all();
            // Holds the strand inside a flush step until the test lets it go.
            changed_.wait(lock, [this] { return !hold_; });
          }
        },
        clock_, registry_);
    ASSERT_TRUE(pipeline_->Start().ok());
    loop_ = std::thread([this] { ingress_.run(); });
  }

  // Sends `count` lines made by `line(i)`, lines_per_datagram_ to a datagram, and waits until the
  // pipeline has read `expected_total` lines in all. Paced (every 10 datagrams, until they are
  // read) so that the kernel's default receive buffer never overflows.
  template <typename Line>
  void Send(int count, Line line, int64_t expected_total) {
    asio::ip::udp::socket client(ingress_);
    client.open(asio::ip::udp::v4());
    const asio::ip::udp::endpoint to(asio::ip::make_address("127.0.0.1"), pipeline_->UdpPort());
    const int64_t before = expected_total - count;
    std::string datagram;
    for (int i = 0; i < count; ++i) {
      datagram += line(i);
      datagram += '\n';
      if (i % lines_per_datagram_ == lines_per_datagram_ - 1 || i + 1 == count) {
        client.send_to(asio::buffer(datagram), to);
        datagram.clear();
        if (i % (10 * lines_per_datagram_) == 10 * lines_per_datagram_ - 1 || i + 1 == count) {
          WaitForLines(before + i + 1);
        }
      }
    }
    ASSERT_EQ(registry_.ValueOf("dogstatsd.lines_received"), expected_total);
  }

  void WaitForLines(int64_t lines) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (registry_.ValueOf("dogstatsd.lines_received") < lines &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  bool WaitForSeriesPayloads(size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10),
                             [this, n] { return series_payloads_ >= n; });
  }

  void StopSources() {
    pipeline_->StopSources();
    guard_.reset();
    loop_.join();
  }

  void Stop() {
    StopSources();
    pipeline_->FinalFlush();
    compute_.join();
  }

  void Release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }

  Points SeriesPoints() {
    std::lock_guard lock(mutex_);
    Points points;
    for (const std::string& body : series_bodies_) {
      const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
      EXPECT_FALSE(json.is_discarded()) << body;
      if (json.is_discarded()) {
        continue;
      }
      for (const auto& serie : json["series"]) {
        for (const auto& point : serie["points"]) {
          points[{serie["metric"].get<std::string>(), point[0].get<int64_t>()}].push_back(
              point[1].get<double>());
        }
      }
    }
    return points;
  }

  StatsdPipelineOptions options_;
  asio::io_context ingress_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ =
      asio::make_work_guard(ingress_);
  asio::thread_pool compute_{2};
  SettableClock clock_;
  telemetry::Registry registry_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_ = false;  // The first series payload holds the strand until Release().
  int lines_per_datagram_ = 20;
  size_t series_payloads_ = 0;
  std::vector<std::string> series_bodies_;
  std::thread loop_;
  std::unique_ptr<StatsdPipeline> pipeline_;
};

// 1500 contexts make three pieces; lines sent once the flush has begun land in the next bucket,
// and every context of the closed bucket is sent exactly once.
TEST_F(StatsdPipelineFlushTest, ATimerFlushInStepsSendsEveryContextOnceWhileLinesArrive) {
  Start();
  Send(
      1500, [](int i) { return "ctx." + std::to_string(i) + ":1|c"; }, 1500);
  clock_.Set(kStart + 10);  // The bucket closes; the next tick flushes it in steps.
  Send(
      300, [](int i) { return "late." + std::to_string(i) + ":" + std::to_string(i) + "|g"; },
      1800);
  ASSERT_TRUE(WaitForSeriesPayloads(1));
  Stop();

  const Points points = SeriesPoints();
  for (int i = 0; i < 1500; ++i) {
    const auto it = points.find({"ctx." + std::to_string(i), kStart});
    ASSERT_NE(it, points.end()) << i;
    EXPECT_THAT(it->second, ::testing::ElementsAre(0.1)) << i;  // Once, as a rate of 1 / 10 s.
  }
  for (int i = 0; i < 300; ++i) {
    const auto it = points.find({"late." + std::to_string(i), kStart + 10});
    ASSERT_NE(it, points.end()) << i;
    EXPECT_THAT(it->second, ::testing::ElementsAre(i)) << i;
  }
  EXPECT_EQ(points.count({"late.0", kStart}), 0u);
}

// SIGTERM while a flush is still in steps: FinalFlush completes it, then flushes the open bucket;
// the step still queued finds nothing left to do. Long tags make the first payload close (at the
// 4 MiB cap of /api/v1/series) eight pieces into a flush of ten, and the test holds the strand
// there until FinalFlush has queued behind it.
TEST_F(StatsdPipelineFlushTest, FinalFlushCompletesAFlushStillInSteps) {
  hold_ = true;
  lines_per_datagram_ = 4;
  Start();
  const std::string tag = "|#padding:" + std::string(1000, 'x');
  Send(
      5000,
      [&tag](int i) { return "ctx." + std::to_string(i) + ":" + std::to_string(i) + "|g" + tag; },
      5000);
  clock_.Set(kStart + 10);
  Send(
      10, [](int i) { return "open." + std::to_string(i) + ":1|g"; }, 5010);
  ASSERT_TRUE(WaitForSeriesPayloads(1));
  StopSources();
  std::thread stop([this] { pipeline_->FinalFlush(); });
  // FinalFlush posts to the strand at once; what it posts runs before the next flush step, which
  // is posted only when the held step returns.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Release();
  stop.join();
  compute_.join();

  {
    std::lock_guard lock(mutex_);
    EXPECT_GE(series_payloads_, 2u);  // The cap split the flush: it was held mid-way.
  }
  const Points points = SeriesPoints();
  for (int i = 0; i < 5000; ++i) {
    const auto it = points.find({"ctx." + std::to_string(i), kStart});
    ASSERT_NE(it, points.end()) << i;
    EXPECT_THAT(it->second, ::testing::ElementsAre(i)) << i;
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(points.count({"open." + std::to_string(i), kStart + 10}), 1u) << i;
  }
}

}  // namespace
}  // namespace sidecar::statsd
