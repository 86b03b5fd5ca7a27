// StreamSource: the DogStatsD Unix stream socket (spec dogstatsd.md §1 "UDS stream", case B10),
// with real sockets and the io_context on a thread of its own.
#include "statsd/stream_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sidecar::statsd {
namespace {

namespace asio = boost::asio;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Frame(std::string_view message) {
  std::string frame(4, '\0');
  const auto length = static_cast<uint32_t>(message.size());
  for (size_t i = 0; i < 4; ++i) {
    frame[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  }
  frame.append(message);
  return frame;
}

// A blocking client with a receive timeout, so a test fails instead of hanging.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(std::string_view bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // True when the server closed the connection (read returns 0 or ECONNRESET).
  bool ClosedByServer() {
    char byte = 0;
    const ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

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
  // Keeps the batches handed over (so the pool runs dry) until Release().
  void Hold() {
    std::lock_guard lock(mutex_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    held_.clear();
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

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> packets_;
  std::vector<Transport> transports_;
  std::vector<BatchPool::Handle> held_;
  bool hold_ = false;
};

class StreamSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char directory[] = "/tmp/dsd_stream_XXXXXX";
    ASSERT_NE(::mkdtemp(directory), nullptr);
    directory_ = directory;
    path_ = directory_ + "/dsd-stream.socket";
  }
  void Start(StreamSourceOptions options) {
    options.socket_path = path_;
    source_ = std::make_unique<StreamSource>(
        context_, options, [this](BatchPool::Handle b) { collector_.Take(std::move(b)); },
        registry_);
    ASSERT_TRUE(source_->Start().ok());
    loop_ = std::thread([this] { context_.run(); });
  }
  void TearDown() override {
    context_.stop();
    if (loop_.joinable()) {
      loop_.join();
    }
    source_.reset();
    ::unlink(path_.c_str());
    ::rmdir(directory_.c_str());
  }
  uint64_t Dropped(const std::string& reason) {
    return registry_.ValueOf("dogstatsd.uds_stream_connections_dropped", {{"reason", reason}});
  }

  asio::io_context context_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ =
      asio::make_work_guard(context_);
  std::thread loop_;
  telemetry::Registry registry_;
  Collector collector_;
  std::string directory_;
  std::string path_;
  std::unique_ptr<StreamSource> source_;
};

TEST_F(StreamSourceTest, SeveralFramesInOneWriteBecomeSeparatePackets) {
  Start({});
  Client client(path_);
  ASSERT_TRUE(client.connected());
  client.Send(Frame("a:1|c") + Frame("b:2|g\nc:3|g") + Frame("d:4|c"));
  ASSERT_TRUE(collector_.WaitForPackets(3));
  EXPECT_THAT(collector_.packets(), ElementsAre("a:1|c", "b:2|g\nc:3|g", "d:4|c"));
  EXPECT_EQ(collector_.transports()[0], Transport::kUdsStream);
  EXPECT_EQ(registry_.ValueOf("dogstatsd.uds_stream_packets", {{"state", "ok"}}), 3);
  EXPECT_EQ(registry_.ValueOf("dogstatsd.uds_stream_packets_bytes"), 21);
  EXPECT_EQ(registry_.ValueOf("dogstatsd.uds_stream_connections_accepted"), 1);
}

TEST_F(StreamSourceTest, FramesSplitAcrossWritesAreReassembled) {
  Start({});
  Client client(path_);
  ASSERT_TRUE(client.connected());
  const std::string bytes = Frame("page.views:1|c|#env:prod") + Frame("x:2|g");
  // Byte by byte, the length prefix included, with pauses so each write is its own read.
  for (size_t i = 0; i < bytes.size(); ++i) {
    client.Send(bytes.substr(i, 1));
    if (i % 7 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ASSERT_TRUE(collector_.WaitForPackets(2));
  EXPECT_THAT(collector_.packets(), ElementsAre("page.views:1|c|#env:prod", "x:2|g"));
}

TEST_F(StreamSourceTest, FrameOfExactlyTheBufferSizeIsAccepted) {
  StreamSourceOptions options;
  options.buffer_size = 16;
  Start(options);
  Client client(path_);
  ASSERT_TRUE(client.connected());
  client.Send(Frame(std::string(16, 'x')) + Frame("y:1|c"));
  ASSERT_TRUE(collector_.WaitForPackets(2));
  EXPECT_THAT(collector_.packets(), ElementsAre(std::string(16, 'x'), "y:1|c"));
  EXPECT_EQ(Dropped("frame_too_large"), 0);
}

// B10: a length prefix above the buffer size drops that connection only.
TEST_F(StreamSourceTest, B10OversizeLengthDropsOnlyThatConnection) {
  StreamSourceOptions options;
  options.buffer_size = 64;
  Start(options);
  Client good(path_);
  Client bad(path_);
  ASSERT_TRUE(good.connected());
  ASSERT_TRUE(bad.connected());
  good.Send(Frame("before:1|c"));
  ASSERT_TRUE(collector_.WaitForPackets(1));
  // A valid frame, then a header announcing 65 bytes: the first is delivered, then the
  // connection is closed without waiting for the body.
  bad.Send(Frame("ok:1|c") + std::string("\x41\x00\x00\x00", 4));
  EXPECT_TRUE(bad.ClosedByServer());
  EXPECT_EQ(Dropped("frame_too_large"), 1);
  good.Send(Frame("after:1|c"));
  ASSERT_TRUE(collector_.WaitForPackets(3));
  EXPECT_THAT(collector_.packets(), ElementsAre("before:1|c", "ok:1|c", "after:1|c"));
  EXPECT_EQ(Dropped("read_error"), 0);
}

TEST_F(StreamSourceTest, EofInsideAFrameIsCountedAsTruncated) {
  Start({});
  {
    Client client(path_);
    ASSERT_TRUE(client.connected());
    client.Send(Frame("whole:1|c") + Frame("cut:1|c").substr(0, 6));
  }
  ASSERT_TRUE(collector_.WaitForPackets(1));
  for (int i = 0; i < 500 && Dropped("truncated_frame") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Dropped("truncated_frame"), 1);
  EXPECT_THAT(collector_.packets(), ElementsAre("whole:1|c"));
}

TEST_F(StreamSourceTest, ConnectionsBeyondTheLimitAreClosedAndCounted) {
  StreamSourceOptions options;
  options.max_connections = 1;
  Start(options);
  Client first(path_);
  ASSERT_TRUE(first.connected());
  first.Send(Frame("first:1|c"));
  ASSERT_TRUE(collector_.WaitForPackets(1));  // The first connection is accepted by now.
  Client second(path_);
  ASSERT_TRUE(second.connected());  // The kernel completes the connect; the server closes it.
  EXPECT_TRUE(second.ClosedByServer());
  EXPECT_EQ(Dropped("connection_limit"), 1);
  first.Send(Frame("still:1|c"));
  ASSERT_TRUE(collector_.WaitForPackets(2));
}

TEST_F(StreamSourceTest, BusyBatchesPauseReadingInsteadOfDropping) {
  StreamSourceOptions options;
  options.packets_per_batch = 1;
  options.max_batches_in_flight = 1;
  Start(options);
  collector_.Hold();  // The only batch stays busy after the first frame.
  Client client(path_);
  ASSERT_TRUE(client.connected());
  std::string bytes;
  for (int i = 0; i < 50; ++i) {
    bytes += Frame("m:" + std::to_string(i) + "|c");
  }
  client.Send(bytes);
  ASSERT_TRUE(collector_.WaitForPackets(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(collector_.packets().size(), 1u);  // Paused, not dropping.
  collector_.Release();
  ASSERT_TRUE(collector_.WaitForPackets(50));
  EXPECT_EQ(collector_.packets().size(), 50u);
  EXPECT_EQ(collector_.packets().back(), "m:49|c");
}

TEST_F(StreamSourceTest, StopClosesConnectionsAndRemovesTheSocketFile) {
  Start({});
  Client client(path_);
  ASSERT_TRUE(client.connected());
  client.Send(Frame("a:1|c"));
  ASSERT_TRUE(collector_.WaitForPackets(1));
  source_->Stop();
  EXPECT_TRUE(client.ClosedByServer());
  struct stat info {};
  EXPECT_NE(::lstat(path_.c_str(), &info), 0);
}

TEST_F(StreamSourceTest, RefusesToReplaceANonSocketFile) {
  {
    std::FILE* file = std::fopen(path_.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fclose(file);
  }
  StreamSource source(
      context_, {.socket_path = path_}, [](BatchPool::Handle) {}, registry_);
  const absl::Status status = source.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("DD_DOGSTATSD_STREAM_SOCKET"));
}

TEST_F(StreamSourceTest, EmptyPathDisablesTheListener) {
  StreamSource source(
      context_, {}, [](BatchPool::Handle) {}, registry_);
  EXPECT_TRUE(source.Start().ok());
  struct stat info {};
  EXPECT_NE(::lstat(path_.c_str(), &info), 0);
}

}  // namespace
}  // namespace sidecar::statsd
