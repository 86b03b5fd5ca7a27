#include "statsd/datagram_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sidecar::statsd {
namespace {

namespace asio = boost::asio;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Collects every batch the source hands over, keeping the handles alive when asked to (so tests
// can exhaust the pool) and recording packet contents.
class Collector {
 public:
  void Take(BatchPool::Handle batch) {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < batch->size(); ++i) {
      packets_.emplace_back(batch->Packet(i));
    }
    transports_.push_back(batch->transport());
    if (hold_) {
      held_.push_back(std::move(batch));
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
  std::vector<Transport> transports() {
    std::lock_guard lock(mutex_);
    return transports_;
  }
  void Hold() { hold_ = true; }
  // Returns every held batch to the pool and stops holding.
  void ReleaseHeld() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    held_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> packets_;
  std::vector<Transport> transports_;
  std::vector<BatchPool::Handle> held_;
  bool hold_ = false;
};

class DatagramSourceTest : public ::testing::Test {
 protected:
  void StartLoop() {
    loop_ = std::thread([this] { context_.run(); });
  }
  void TearDown() override {
    context_.stop();
    if (loop_.joinable()) {
      loop_.join();
    }
  }
  // Options for a UDP-only source on a port that was free a moment ago.
  DatagramSourceOptions UdpOptions() {
    asio::ip::udp::socket probe(context_, {asio::ip::make_address("127.0.0.1"), 0});
    DatagramSourceOptions options;
    options.udp_port = probe.local_endpoint().port();
    return options;
  }
  // A started source with a single batch of two packets, which the collector holds once it
  // arrives (until ReleaseHeld). Null if the source could not start.
  std::unique_ptr<DatagramSource> StartWithOneHeldBatch(DatagramSourceOptions options) {
    options.packets_per_batch = 2;
    options.max_batches_in_flight = 1;
    collector_.Hold();
    auto source = std::make_unique<DatagramSource>(
        context_, options, [this](BatchPool::Handle b) { collector_.Take(std::move(b)); },
        registry_);
    if (!source->Start().ok()) {
      return nullptr;
    }
    StartLoop();
    return source;
  }
  // With one batch that the collector holds, the datagrams `send` sends wait (in the reader and
  // the kernel queue) until the batch comes back, then arrive in order: nothing is lost.
  void ExpectNoLossWhileTheOnlyBatchIsHeld(
      DatagramSourceOptions options,
      const std::function<void(const DatagramSource&, const std::vector<std::string>&)>& send) {
    const std::unique_ptr<DatagramSource> started = StartWithOneHeldBatch(std::move(options));
    ASSERT_NE(started, nullptr);
    DatagramSource& source = *started;
    send(source, {"held:1|c"});
    ASSERT_TRUE(collector_.WaitForPackets(1));  // The only batch is now held.
    send(source, {"waiting:0|c", "waiting:1|c", "waiting:2|c", "waiting:3|c", "waiting:4|c"});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_THAT(collector_.packets(), ElementsAre("held:1|c"));
    collector_.ReleaseHeld();
    ASSERT_TRUE(collector_.WaitForPackets(6));
    EXPECT_THAT(collector_.packets(), ElementsAre("held:1|c", "waiting:0|c", "waiting:1|c",
                                                  "waiting:2|c", "waiting:3|c", "waiting:4|c"));
    EXPECT_EQ(registry_.SumOf("dogstatsd.packets_dropped"), 0);
    source.Stop();
  }

  void SendUdp(uint16_t port, const std::string& datagram) {
    asio::io_context client_context;
    asio::ip::udp::socket socket(client_context, asio::ip::udp::v4());
    socket.send_to(asio::buffer(datagram), {asio::ip::make_address("127.0.0.1"), port});
  }
  // Sends the datagrams in order from one client socket (a blocking send: fewer than the
  // kernel's Unix datagram queue length when nothing reads).
  void SendUds(const std::string& path, const std::vector<std::string>& datagrams) {
    asio::io_context client_context;
    asio::local::datagram_protocol::socket client(client_context);
    client.open();
    for (const std::string& datagram : datagrams) {
      client.send_to(asio::buffer(datagram), asio::local::datagram_protocol::endpoint(path));
    }
  }

  asio::io_context context_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ =
      asio::make_work_guard(context_);
  std::thread loop_;
  telemetry::Registry registry_;
  Collector collector_;
};

TEST_F(DatagramSourceTest, UdpDatagramsArriveWholeAndAreCounted) {
  DatagramSourceOptions options;
  options.udp_port = 0;
  options.bind_address = "127.0.0.1";
  // Port 0 disables UDP by contract, so bind an ephemeral port by asking for one explicitly.
  asio::ip::udp::socket probe(context_, {asio::ip::make_address("127.0.0.1"), 0});
  options.udp_port = probe.local_endpoint().port();
  probe.close();
  DatagramSource source(
      context_, options, [&](BatchPool::Handle b) { collector_.Take(std::move(b)); }, registry_);
  ASSERT_TRUE(source.Start().ok());
  StartLoop();
  SendUdp(source.UdpPort(), "page.views:1|c");
  SendUdp(source.UdpPort(), "a:1|g\nb:2|g");
  ASSERT_TRUE(collector_.WaitForPackets(2));
  EXPECT_THAT(collector_.packets(), ElementsAre("page.views:1|c", "a:1|g\nb:2|g"));
  EXPECT_EQ(collector_.transports()[0], Transport::kUdp);
  EXPECT_EQ(registry_.ValueOf("dogstatsd.udp_packets", {{"state", "ok"}}), 2);
  EXPECT_EQ(registry_.ValueOf("dogstatsd.udp_packets_bytes"), 25);
  source.Stop();
}

TEST_F(DatagramSourceTest, OversizedDatagramIsTruncatedAndCounted) {
  DatagramSourceOptions options = UdpOptions();
  options.buffer_size = 16;
  DatagramSource source(
      context_, options, [&](BatchPool::Handle b) { collector_.Take(std::move(b)); }, registry_);
  ASSERT_TRUE(source.Start().ok());
  StartLoop();
  SendUdp(source.UdpPort(), "a.very.long.metric.name:1|c");
  ASSERT_TRUE(collector_.WaitForPackets(1));
  EXPECT_EQ(collector_.packets()[0], "a.very.long.metr");
  EXPECT_EQ(registry_.ValueOf("dogstatsd.packets_truncated", {{"transport", "udp"}}), 1);
}

// A UDP reader that finds every batch in flight leaves datagrams in the socket's receive buffer
// until a batch comes back, instead of reading and dropping them: no loss while the buffer holds.
TEST_F(DatagramSourceTest, UdpWaitsInTheReceiveBufferWhileEveryBatchIsBusy) {
  ExpectNoLossWhileTheOnlyBatchIsHeld(
      UdpOptions(),
      [this](const DatagramSource& source, const std::vector<std::string>& datagrams) {
        for (const std::string& datagram : datagrams) {
          SendUdp(source.UdpPort(), datagram);
        }
      });
}

// What overflows the receive buffer while the reader waits is dropped by the kernel, and counted
// (SO_RXQ_OVFL): every datagram sent is either received or counted as socket_buffer_full.
TEST_F(DatagramSourceTest, UdpReceiveBufferOverflowIsCounted) {
  DatagramSourceOptions options = UdpOptions();
  options.so_rcvbuf = 4096;  // The kernel's minimum: a few datagrams.
  const std::unique_ptr<DatagramSource> started = StartWithOneHeldBatch(options);
  ASSERT_NE(started, nullptr);
  DatagramSource& source = *started;
  SendUdp(source.UdpPort(), "first:1|c");
  ASSERT_TRUE(collector_.WaitForPackets(1));
  constexpr int kSent = 200;
  for (int i = 0; i < kSent; ++i) {
    SendUdp(source.UdpPort(), "flood:" + std::to_string(i) + "|c");
  }
  collector_.ReleaseHeld();
  const auto overflow = [&] {
    return registry_.ValueOf("dogstatsd.packets_dropped",
                             {{"reason", "socket_buffer_full"}, {"transport", "udp"}});
  };
  const auto received = [&] { return static_cast<int64_t>(collector_.packets().size()); };
  // The kernel reports its count with the next datagram it queues: probes carry it (and may be
  // dropped themselves while the reader is still waiting).
  int64_t sent = 1 + kSent;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (received() + overflow() < sent && std::chrono::steady_clock::now() < deadline) {
    SendUdp(source.UdpPort(), "probe:1|c");
    ++sent;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(overflow(), 0);  // The buffer could not hold the flood.
  EXPECT_EQ(received() + overflow(), sent);
  EXPECT_EQ(registry_.ValueOf("dogstatsd.packets_dropped",
                              {{"reason", "backpressure"}, {"transport", "udp"}}),
            0);
  source.Stop();
}

// A Unix socket reader that read datagrams and then found every batch in flight keeps them (and
// leaves the rest in the kernel queue) until a batch comes back: no loss, order kept.
TEST_F(DatagramSourceTest, UnixSocketKeepsWhatItReadWhileEveryBatchIsBusy) {
  const std::string path = ::testing::TempDir() + "dsd-busy-test.socket";
  DatagramSourceOptions options;
  options.udp_port = 0;
  options.socket_path = path;
  ExpectNoLossWhileTheOnlyBatchIsHeld(
      options, [this, &path](const DatagramSource&, const std::vector<std::string>& datagrams) {
        SendUds(path, datagrams);
      });
}

// Batches hold bytes, not slots: two datagrams that do not fit one batch's bytes go in two
// batches, each whole.
TEST_F(DatagramSourceTest, LargeDatagramsThatDoNotShareABatchArriveWhole) {
  const std::string path = ::testing::TempDir() + "dsd-large-test.socket";
  DatagramSourceOptions options;
  options.udp_port = 0;
  options.socket_path = path;
  options.buffer_size = 40000;  // Batches of kCompactBatchBytes (64 KiB) hold one such datagram.
  DatagramSource source(
      context_, options, [&](BatchPool::Handle b) { collector_.Take(std::move(b)); }, registry_);
  ASSERT_TRUE(source.Start().ok());
  const std::string first(40000, 'a');
  const std::string second(39999, 'b');
  SendUds(path, {first, second});
  StartLoop();  // Both are queued: one recvmmsg reads them together.
  ASSERT_TRUE(collector_.WaitForPackets(2));
  const std::vector<std::string> packets = collector_.packets();
  EXPECT_EQ(packets[0], first);
  EXPECT_EQ(packets[1], second);
  EXPECT_EQ(collector_.transports().size(), 2u);
  EXPECT_EQ(registry_.ValueOf("dogstatsd.packets_truncated", {{"transport", "uds"}}), 0);
  source.Stop();
}

// Memory pressure: UDP has no backpressure, so datagrams are read and dropped, and counted.
TEST_F(DatagramSourceTest, MemoryPressureDropsUdpAndCountsIt) {
  std::atomic<bool> pressure{true};
  DatagramSourceOptions options = UdpOptions();
  options.under_memory_pressure = [&pressure] { return pressure.load(); };
  DatagramSource source(
      context_, options, [&](BatchPool::Handle b) { collector_.Take(std::move(b)); }, registry_);
  ASSERT_TRUE(source.Start().ok());
  StartLoop();
  SendUdp(source.UdpPort(), "dropped:1|c");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (registry_.SumOf("dogstatsd.packets_dropped") == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(registry_.ValueOf("dogstatsd.packets_dropped",
                              {{"reason", "memory_pressure"}, {"transport", "udp"}}),
            1);
  pressure = false;
  SendUdp(source.UdpPort(), "kept:1|c");
  ASSERT_TRUE(collector_.WaitForPackets(1));
  EXPECT_THAT(collector_.packets(), ElementsAre("kept:1|c"));
  source.Stop();
}

// The Unix socket is left unread under pressure (the datagram waits in the kernel queue, senders
// feel the backpressure), and read once the pressure ends: nothing is lost.
TEST_F(DatagramSourceTest, MemoryPressurePausesTheUnixSocketWithoutLoss) {
  const std::string path = ::testing::TempDir() + "dsd-pressure-test.socket";
  std::atomic<bool> pressure{true};
  DatagramSourceOptions options;
  options.udp_port = 0;
  options.socket_path = path;
  options.under_memory_pressure = [&pressure] { return pressure.load(); };
  DatagramSource source(
      context_, options, [&](BatchPool::Handle b) { collector_.Take(std::move(b)); }, registry_);
  ASSERT_TRUE(source.Start().ok());
  StartLoop();
  SendUds(path, {"waiting:1|c"});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(collector_.packets().empty());
  EXPECT_EQ(registry_.SumOf("dogstatsd.packets_dropped"), 0);
  pressure = false;
  ASSERT_TRUE(collector_.WaitForPackets(1));
  EXPECT_THAT(collector_.packets(), ElementsAre("waiting:1|c"));
  source.Stop();
}

// SIGTERM: datagrams the kernel queued before the socket closed were accepted by the sender and
// must be read, not discarded with the socket (found by the soak suite).
TEST_F(DatagramSourceTest, StopReadsWhatTheKernelAlreadyQueued) {
  const std::string path = ::testing::TempDir() + "dsd-close-test.socket";
  DatagramSourceOptions options;
  options.udp_port = 0;
  options.socket_path = path;
  DatagramSource source(
      context_, options, [&](BatchPool::Handle b) { collector_.Take(std::move(b)); }, registry_);
  ASSERT_TRUE(source.Start().ok());
  // The loop is not running yet: everything sent stays in the kernel queue (fewer datagrams than
  // net.unix.max_dgram_qlen, 10 by default, or the blocking send would wait for a reader).
  std::vector<std::string> queued;
  for (int i = 0; i < 8; ++i) {
    queued.push_back("queued:" + std::to_string(i) + "|c");
  }
  SendUds(path, queued);
  source.Stop();
  StartLoop();
  ASSERT_TRUE(collector_.WaitForPackets(8));
  EXPECT_EQ(collector_.packets().front(), "queued:0|c");
  EXPECT_EQ(collector_.packets().back(), "queued:7|c");
  EXPECT_EQ(registry_.SumOf("dogstatsd.packets_dropped"), 0);
}

TEST_F(DatagramSourceTest, UnixSocketReplacesStaleFileAndSetsAgentMode) {
  const std::string path = ::testing::TempDir() + "dsd-test.socket";
  {
    // A stale socket file left by a previous run.
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
    ::unlink(path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ::close(fd);
  }
  DatagramSourceOptions options;
  options.udp_port = 0;
  options.socket_path = path;
  DatagramSource source(
      context_, options, [&](BatchPool::Handle b) { collector_.Take(std::move(b)); }, registry_);
  ASSERT_TRUE(source.Start().ok());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0722u);
  StartLoop();
  SendUds(path, {"uds.metric:3|g"});
  ASSERT_TRUE(collector_.WaitForPackets(1));
  EXPECT_EQ(collector_.packets()[0], "uds.metric:3|g");
  EXPECT_EQ(collector_.transports()[0], Transport::kUds);
  EXPECT_EQ(registry_.ValueOf("dogstatsd.uds_packets", {{"state", "ok"}}), 1);
}

TEST_F(DatagramSourceTest, RefusesToReplaceAFileThatIsNotASocket) {
  const std::string path = ::testing::TempDir() + "not-a-socket";
  std::ofstream(path) << "data";
  DatagramSourceOptions options;
  options.udp_port = 0;
  options.socket_path = path;
  DatagramSource source(
      context_, options, [&](BatchPool::Handle b) { collector_.Take(std::move(b)); }, registry_);
  absl::Status status = source.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("DD_DOGSTATSD_SOCKET"));
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace sidecar::statsd
