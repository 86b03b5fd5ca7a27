// LineServer over a real TCP socket on 127.0.0.1 port 0: one record per line, receive time,
// backpressure pauses reading.
#include "logs/line_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/manual_clock.h"
#include "tests/testing/status_matchers.h"

namespace sidecar::logs {
namespace {

namespace asio = boost::asio;
using ::sidecar::testing::IsOk;

class FakeSink : public LogSink {
 public:
  bool TryAccept(std::vector<LogRecord>& records) override {
    std::lock_guard<std::mutex> lock(mutex_);
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

class LineServerTest : public ::testing::Test {
 protected:
  ~LineServerTest() override { Stop(); }

  void Start(LineServerOptions options) {
    options.clock = &clock_;
    server_ =
        std::make_unique<LineServer>(io_.get_executor(), std::move(options), sink_, registry_);
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
  asio::ip::tcp::socket Connect() {
    asio::ip::tcp::socket socket(client_io_);
    socket.connect({asio::ip::make_address("127.0.0.1"), server_->tcp_port()});
    return socket;
  }
  int64_t Counter(const std::string& name) { return registry_.ValueOf("datadog.logs.tcp." + name); }

  testing::ManualClock clock_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  asio::io_context client_io_;
  FakeSink sink_;
  telemetry::Registry registry_;
  std::unique_ptr<LineServer> server_;
  std::thread thread_;
};

TEST_F(LineServerTest, EachLineBecomesARecordStampedWithReceiveTime) {
  Start({.tcp_port = 0});
  auto socket = Connect();
  asio::write(socket, asio::buffer(std::string("first line\r\nsecond line\nthi")));
  ASSERT_TRUE(WaitUntil([&] { return sink_.Count() == 2; }));
  asio::write(socket, asio::buffer(std::string("rd")));
  socket.shutdown(asio::socket_base::shutdown_send);  // The last line has no newline.
  ASSERT_TRUE(WaitUntil([&] { return sink_.Count() == 3; }));
  const auto records = sink_.Records();
  EXPECT_EQ(records[0].message, "first line");
  EXPECT_EQ(records[1].message, "second line");
  EXPECT_EQ(records[2].message, "third");
  EXPECT_EQ(records[0].source, LogSource::kTcpLine);
  EXPECT_EQ(records[0].timestamp_ns, 1'700'000'000'000'000'000);  // ManualClock's wall time.
  EXPECT_TRUE(records[0].tag.empty());
  EXPECT_EQ(Counter("records_received"), 3);
}

TEST_F(LineServerTest, LongLinesAreCutAndCounted) {
  Start({.tcp_port = 0, .max_line_bytes = 5});
  auto socket = Connect();
  asio::write(socket, asio::buffer(std::string("0123456789ab\n")));
  ASSERT_TRUE(WaitUntil([&] { return sink_.Count() == 3; }));
  EXPECT_EQ(sink_.Records()[2].message, "ab");
  EXPECT_EQ(Counter("lines_cut"), 2);
}

TEST_F(LineServerTest, RefusingSinkPausesReadingUntilItAccepts) {
  sink_.SetAccepting(false);
  Start({.tcp_port = 0, .backpressure_retry = std::chrono::milliseconds(20)});
  auto socket = Connect();
  asio::write(socket, asio::buffer(std::string("a\n")));
  ASSERT_TRUE(WaitUntil([&] { return Counter("backpressure_pauses") >= 2; }));
  asio::write(socket, asio::buffer(std::string("b\n")));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Counter("records_received"), 1);  // "b" was not read while paused.
  sink_.SetAccepting(true);
  ASSERT_TRUE(WaitUntil([&] { return sink_.Count() == 2; }));
  EXPECT_EQ(sink_.Records()[1].message, "b");
}

TEST_F(LineServerTest, DisabledWhenNoPort) {
  LineServer server(io_.get_executor(), {}, sink_, registry_);
  EXPECT_THAT(server.Start(), IsOk());
  EXPECT_EQ(server.tcp_port(), 0);
}

}  // namespace
}  // namespace sidecar::logs
