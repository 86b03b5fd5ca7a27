// ForwardServer over real sockets (127.0.0.1 port 0 and a temporary Unix path): records reach the
// sink, acks follow acceptance, a refusing sink pauses the connection (ecs-logs.md B4.2, B4.3).
#include "logs/forward_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/status_matchers.h"

#ifndef SIDECAR_SHARED_TESTDATA
#error "SIDECAR_SHARED_TESTDATA must name ../shared/testdata"
#endif

namespace sidecar::logs {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using ::sidecar::testing::IsOk;
using ::testing::HasSubstr;

const fs::path kCaptures = fs::path(SIDECAR_SHARED_TESTDATA) / "clients" / "logs";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Records what it accepts; can be told to refuse (a full pipeline).
class FakeSink : public LogSink {
 public:
  bool TryAccept(std::vector<LogRecord>& records) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++attempts_;
    if (!accepting_) {
      return false;
    }
    for (LogRecord& record : records) {
      records_.push_back(std::move(record));
    }
    records.clear();
    return true;
  }
  void SetAccepting(bool accepting) {
    std::lock_guard<std::mutex> lock(mutex_);
    accepting_ = accepting;
  }
  std::vector<LogRecord> Records() {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_;
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_.size();
  }

 private:
  std::mutex mutex_;
  bool accepting_ = true;
  int attempts_ = 0;
  std::vector<LogRecord> records_;
};

bool WaitUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// Reads what arrives within `timeout` (the client side is blocking POSIX on a native handle).
std::string ReadFor(int fd, std::chrono::milliseconds timeout, size_t want) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// True when the peer closed the connection within `timeout`.
bool ClosedWithin(int fd, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) {
    return false;
  }
  char c;
  return ::read(fd, &c, 1) <= 0;
}

class ForwardServerTest : public ::testing::Test {
 protected:
  ~ForwardServerTest() override { Stop(); }

  void Start(ForwardServerOptions options) {
    server_ =
        std::make_unique<ForwardServer>(io_.get_executor(), std::move(options), sink_, registry_);
    ASSERT_THAT(server_->Start(), IsOk());
    thread_ = std::thread([this] { io_.run(); });
  }

  void Stop() {
    if (server_ != nullptr) {
      server_->Close();
    }
    work_.reset();
    if (thread_.joinable()) {
      thread_.join();
    }
    server_.reset();
  }

  asio::ip::tcp::socket ConnectTcp() {
    asio::ip::tcp::socket socket(client_io_);
    socket.connect({asio::ip::make_address("127.0.0.1"), server_->tcp_port()});
    return socket;
  }

  int64_t Counter(const std::string& name, const telemetry::Tags& tags = {}) {
    return registry_.ValueOf("datadog.logs.forward." + name, tags);
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  asio::io_context client_io_;
  FakeSink sink_;
  telemetry::Registry registry_;
  std::unique_ptr<ForwardServer> server_;
  std::thread thread_;
};

std::string TempSocketPath() {
  static std::atomic<int> counter{0};
  return (fs::temp_directory_path() /
          ("fwd-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".sock"))
      .string();
}

TEST_F(ForwardServerTest, TcpRecordsReachTheSinkAndAcksFollow) {
  Start({.tcp_port = 0});
  ASSERT_NE(server_->tcp_port(), 0);
  auto socket = ConnectTcp();
  const std::string capture = ReadFile(kCaptures / "forward-fluent-org-message-chunk.bin");
  const std::string expected_acks =
      ReadFile(kCaptures / "forward-fluent-org-message-chunk.ack.msgpack");
  asio::write(socket, asio::buffer(capture));
  EXPECT_EQ(ReadFor(socket.native_handle(), std::chrono::seconds(10), expected_acks.size()),
            expected_acks);
  ASSERT_TRUE(WaitUntil([&] { return sink_.Count() == 2; }));
  const auto records = sink_.Records();
  EXPECT_EQ(records[0].tag, "checkout.access");
  EXPECT_EQ(Counter("records_received"), 2);
  // Counted when the write completes, which may be after the client read the bytes.
  EXPECT_TRUE(WaitUntil([&] { return Counter("acks_sent") == 2; }));
  EXPECT_EQ(Counter("connections"), 1);
}

TEST_F(ForwardServerTest, UnixSocketTakesFireLensDockerFrames) {
  const std::string path = TempSocketPath();
  Start({.unix_path = path});
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u);  // B4.3: the Docker daemon must be able to write.
  asio::local::stream_protocol::socket socket(client_io_);
  socket.connect(asio::local::stream_protocol::endpoint(path));
  asio::write(socket, asio::buffer(ReadFile(kCaptures / "forward-firelens-docker-message.bin")));
  ASSERT_TRUE(WaitUntil([&] { return sink_.Count() == 2; }));
  const auto records = sink_.Records();
  EXPECT_EQ(records[0].tag, "app-firelens-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(records[0].message, "10.0.1.7 - - \"GET /checkout HTTP/1.1\" 200 512 12ms");
  EXPECT_EQ(records[1].attributes.at("source"), "stderr");
  Stop();
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(ForwardServerTest, StaleSocketFileIsReplaced) {
  const std::string path = TempSocketPath();
  {
    asio::local::stream_protocol::acceptor stale(client_io_,
                                                 asio::local::stream_protocol::endpoint(path));
  }  // Closed without unlinking, as after a crash.
  ASSERT_TRUE(fs::exists(path));
  Start({.unix_path = path});
  asio::local::stream_protocol::socket socket(client_io_);
  EXPECT_NO_THROW(socket.connect(asio::local::stream_protocol::endpoint(path)));
}

TEST_F(ForwardServerTest, RegularFileAtTheSocketPathIsAnError) {
  const std::string path = TempSocketPath();
  std::ofstream(path) << "not a socket";
  ForwardServer server(io_.get_executor(), {.unix_path = path}, sink_, registry_);
  EXPECT_THAT(server.Start().message(), HasSubstr("DD_LOGS_FORWARD_SOCKET"));
  fs::remove(path);
}

TEST_F(ForwardServerTest, BindErrorIsReturnedNotThrown) {
  Start({.tcp_port = 0});
  ForwardServer second(io_.get_executor(), {.tcp_port = server_->tcp_port()}, sink_, registry_);
  const absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("DD_LOGS_FORWARD_PORT"));
}

TEST_F(ForwardServerTest, RefusingSinkWithholdsTheAckAndPausesReadingUntilItAccepts) {
  sink_.SetAccepting(false);
  Start({.tcp_port = 0, .backpressure_retry = std::chrono::milliseconds(20)});
  auto socket = ConnectTcp();
  const std::string capture = ReadFile(kCaptures / "forward-fluent-org-message-chunk.bin");
  const std::string acks = ReadFile(kCaptures / "forward-fluent-org-message-chunk.ack.msgpack");
  const size_t first_frame = 138;  // From the decoded view: frame 0 is 138 bytes.
  asio::write(socket, asio::buffer(capture.substr(0, first_frame)));
  ASSERT_TRUE(WaitUntil([&] { return Counter("backpressure_pauses") >= 2; }));
  // No ack while refused, and the second frame is not even read.
  asio::write(socket, asio::buffer(capture.substr(first_frame)));
  EXPECT_EQ(ReadFor(socket.native_handle(), std::chrono::milliseconds(200), 1), "");
  EXPECT_EQ(Counter("records_received"), 1);
  EXPECT_EQ(sink_.Count(), 0u);

  sink_.SetAccepting(true);
  EXPECT_EQ(ReadFor(socket.native_handle(), std::chrono::seconds(10), acks.size()), acks);
  ASSERT_TRUE(WaitUntil([&] { return sink_.Count() == 2; }));
  EXPECT_EQ(Counter("records_received"), 2);
  EXPECT_TRUE(WaitUntil([&] { return Counter("acks_sent") == 2; }));
}

TEST_F(ForwardServerTest, MalformedFrameClosesTheConnectionAndIsCounted) {
  Start({.tcp_port = 0});
  auto socket = ConnectTcp();
  asio::write(socket, asio::buffer(std::string("\x93\x07\x01\x80", 4)));  // Tag is an int.
  EXPECT_TRUE(ClosedWithin(socket.native_handle(), std::chrono::seconds(10)));
  EXPECT_EQ(Counter("malformed_frames", {{"reason", "malformed"}}), 1);
}

TEST_F(ForwardServerTest, OversizeFrameIsCountedAsTooLarge) {
  Start({.tcp_port = 0});
  auto socket = ConnectTcp();
  asio::write(socket, asio::buffer(std::string("\x92\xa1t\xc6\xff\xff\xff\xf0", 8)));
  EXPECT_TRUE(ClosedWithin(socket.native_handle(), std::chrono::seconds(10)));
  EXPECT_EQ(Counter("malformed_frames", {{"reason", "too_large"}}), 1);
}

TEST_F(ForwardServerTest, SplitLinesAreJoinedBeforeTheSink) {
  Start({.tcp_port = 0});
  auto socket = ConnectTcp();
  // Two Docker pieces of one line, in Message mode: [tag, 1, {log, partial_*}].
  auto piece = [](char ordinal, bool last, const std::string& text) {
    std::string frame = "\x93\xa1t\x01\x85";
    frame += "\xa3log" + std::string(1, static_cast<char>(0xa0 | text.size())) + text;
    frame += "\xafpartial_message\xa4true";
    frame += "\xaapartial_id\xa2id";
    frame += "\xafpartial_ordinal" + std::string(1, '\xa1') + std::string(1, ordinal);
    frame += std::string("\xacpartial_last") + (last ? "\xa4true"
                                                     : "\xa5"
                                                       "false");
    return frame;
  };
  asio::write(socket, asio::buffer(piece('1', false, "hello ") + piece('2', true, "world")));
  ASSERT_TRUE(WaitUntil([&] { return sink_.Count() == 1; }));
  EXPECT_EQ(sink_.Records()[0].message, "hello world");
  EXPECT_FALSE(sink_.Records()[0].attributes.contains("partial_id"));
}

TEST_F(ForwardServerTest, HeldPiecesAreFlushedWhenStale) {
  Start({.tcp_port = 0, .partial_limits = {.max_age = std::chrono::milliseconds(50)}});
  auto socket = ConnectTcp();
  std::string frame = "\x93\xa1t\x01\x83";
  frame += "\xa3log\xa4head";
  frame += "\xafpartial_message\xa4true";
  frame += "\xaapartial_id\xa2id";
  asio::write(socket, asio::buffer(frame));
  ASSERT_TRUE(WaitUntil([&] { return sink_.Count() == 1; }));
  EXPECT_EQ(sink_.Records()[0].message, "head");
  EXPECT_EQ(Counter("partial_stale_flushes"), 1);
}

TEST_F(ForwardServerTest, ConnectionsOverTheLimitAreClosed) {
  Start({.tcp_port = 0, .max_connections = 1});
  auto first = ConnectTcp();
  ASSERT_TRUE(WaitUntil([&] { return Counter("connections") == 1; }));
  auto second = ConnectTcp();
  EXPECT_TRUE(ClosedWithin(second.native_handle(), std::chrono::seconds(10)));
  EXPECT_EQ(Counter("connections_rejected"), 1);
}

TEST_F(ForwardServerTest, CloseStopsAccepting) {
  Start({.tcp_port = 0});
  const uint16_t port = server_->tcp_port();
  Stop();
  asio::ip::tcp::socket socket(client_io_);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace sidecar::logs
