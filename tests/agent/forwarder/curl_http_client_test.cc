#include "agent/forwarder/curl_http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "agent/common/beast.h"
#include "tests/testing/status_matchers.h"

namespace sidecar::forwarder {
namespace {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;
using ::sidecar::testing::StatusIs;
using std::chrono::milliseconds;
using std::chrono::seconds;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// A blocking HTTP/1.1 server on 127.0.0.1:0 serving one connection at a time. The handler fills
// the response and returns true, or returns false to hold the connection open without answering
// until the server is destroyed.
class TestServer {
 public:
  using Handler = std::function<bool(const Request&, Response&)>;

  explicit TestServer(Handler handler)
      : handler_(std::move(handler)),
        acceptor_(context_, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)),
        port_(acceptor_.local_endpoint().port()),
        thread_([this] { Serve(); }) {}

  ~TestServer() {
    stopping_ = true;
    release_.set_value();
    // Unblocks accept(); the loop then sees stopping_.
    boost::system::error_code ignored;
    tcp::socket poke(context_);
    poke.connect(tcp::endpoint(boost::asio::ip::address_v4::loopback(), port_), ignored);
    thread_.join();
  }

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int connections() const { return connections_; }

 private:
  void Serve() {
    std::shared_future<void> released = release_.get_future().share();
    while (!stopping_) {
      boost::system::error_code error;
      tcp::socket socket(context_);
      acceptor_.accept(socket, error);
      if (error || stopping_) {
        return;
      }
      ++connections_;
      boost::beast::flat_buffer buffer;
      while (true) {  // Keep-alive: serve requests until the client closes.
        Request request;
        http::read(socket, buffer, request, error);
        if (error) {
          break;
        }
        Response response{http::status::ok, request.version()};
        if (!handler_(request, response)) {
          released.wait();
          return;
        }
        response.prepare_payload();
        http::write(socket, response, error);
        if (error) {
          break;
        }
      }
    }
  }

  Handler handler_;
  boost::asio::io_context context_;
  tcp::acceptor acceptor_;
  uint16_t port_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::promise<void> release_;
  std::thread thread_;
};

CurlHttpClientOptions LocalOptions() {
  CurlHttpClientOptions options;
  options.no_proxy = "127.0.0.1,localhost";  // A proxy set in the environment must not interfere.
  return options;
}

// Completions run inline on the curl worker thread and land in a future.
struct Completion {
  std::promise<HttpResult> promise;
  std::future<HttpResult> future = promise.get_future();
  HttpClient::Done Callback() {
    return [this](HttpResult result) { promise.set_value(std::move(result)); };
  }
  std::optional<HttpResult> Wait(milliseconds timeout = milliseconds(10'000)) {
    if (future.wait_for(timeout) != std::future_status::ready) {
      return std::nullopt;
    }
    return future.get();
  }
};

CompletionExecutor Inline() {
  return [](absl::AnyInvocable<void()> task) { task(); };
}

std::unique_ptr<CurlHttpClient> MakeClient() {
  absl::StatusOr<std::unique_ptr<CurlHttpClient>> client =
      CurlHttpClient::Create(LocalOptions(), Inline());
  EXPECT_TRUE(client.ok()) << client.status();
  return std::move(client).value();
}

TEST(CurlHttpClientTest, DeliversStatusBodyAndHeadersAndSendsOurs) {
  std::string seen_method, seen_target, seen_key, seen_type, seen_body;
  TestServer server([&](const Request& request, Response& response) {
    seen_method = std::string(request.method_string());
    seen_target = std::string(request.target());
    seen_key = std::string(request["DD-API-KEY"]);
    seen_type = std::string(request[http::field::content_type]);
    seen_body = request.body();
    response.result(http::status::accepted);
    response.set("X-Intake", "fake");
    response.body() = "{\"ok\":true}";
    return true;
  });
  std::unique_ptr<CurlHttpClient> client = MakeClient();
  HttpRequest request;
  request.url = server.Url("/api/v2/series");
  request.headers = {{"DD-API-KEY", "k123"}, {"Content-Type", "application/x-protobuf"}};
  request.body = std::string(300'000, 'z');
  Completion completion;
  client->Send(request, std::chrono::steady_clock::now() + seconds(10), completion.Callback());
  std::optional<HttpResult> result = completion.Wait();
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->IsTransportError()) << result->transport_error;
  EXPECT_EQ(result->response.status, 202);
  EXPECT_EQ(result->response.body, "{\"ok\":true}");
  EXPECT_THAT(result->response.headers,
              ::testing::Contains(std::pair<std::string, std::string>("X-Intake", "fake")));
  EXPECT_EQ(seen_method, "POST");
  EXPECT_EQ(seen_target, "/api/v2/series");
  EXPECT_EQ(seen_key, "k123");
  EXPECT_EQ(seen_type, "application/x-protobuf");
  EXPECT_EQ(seen_body, request.body);
}

TEST(CurlHttpClientTest, ReusesTheConnectionForSequentialRequests) {
  TestServer server([](const Request&, Response& response) {
    response.result(http::status::accepted);
    return true;
  });
  std::unique_ptr<CurlHttpClient> client = MakeClient();
  for (int i = 0; i < 3; ++i) {
    HttpRequest request;
    request.url = server.Url("/api/v2/series");
    request.body = "b";
    Completion completion;
    client->Send(request, std::chrono::steady_clock::now() + seconds(10), completion.Callback());
    std::optional<HttpResult> result = completion.Wait();
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->response.status, 202);
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(CurlHttpClientTest, ConnectionRefusedIsATransportError) {
  uint16_t port = 0;
  {
    boost::asio::io_context context;
    tcp::acceptor acceptor(context, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
    port = acceptor.local_endpoint().port();
  }  // Closed: nothing listens on `port` now.
  std::unique_ptr<CurlHttpClient> client = MakeClient();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/api/v2/series";
  Completion completion;
  client->Send(request, std::chrono::steady_clock::now() + seconds(10), completion.Callback());
  std::optional<HttpResult> result = completion.Wait();
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(result->transport_error, StatusIs(absl::StatusCode::kUnavailable));
}

TEST(CurlHttpClientTest, ServerThatNeverAnswersTimesOutAtTheDeadline) {
  // H09: a timeout is a transport error (and so retried by the forwarder).
  TestServer server([](const Request&, Response&) { return false; });
  std::unique_ptr<CurlHttpClient> client = MakeClient();
  HttpRequest request;
  request.url = server.Url("/api/v2/series");
  Completion completion;
  const auto start = std::chrono::steady_clock::now();
  client->Send(request, start + milliseconds(300), completion.Callback());
  std::optional<HttpResult> result = completion.Wait();
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(result->transport_error, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(250));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
}

TEST(CurlHttpClientTest, DrainAbortsWhatIsStillRunningAtItsDeadline) {
  TestServer server([](const Request&, Response&) { return false; });
  std::unique_ptr<CurlHttpClient> client = MakeClient();
  HttpRequest request;
  request.url = server.Url("/api/v2/series");
  Completion hanging;
  client->Send(request, std::chrono::steady_clock::now() + seconds(30), hanging.Callback());
  const auto start = std::chrono::steady_clock::now();
  client->Drain(start + milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  std::optional<HttpResult> result = hanging.Wait(milliseconds(0));
  ASSERT_TRUE(result.has_value()) << "Drain returned before completing the request";
  EXPECT_THAT(result->transport_error, StatusIs(absl::StatusCode::kCancelled));

  Completion late;  // After Drain, requests are refused promptly instead of hanging.
  client->Send(request, std::chrono::steady_clock::now() + seconds(30), late.Callback());
  std::optional<HttpResult> late_result = late.Wait(milliseconds(5000));
  ASSERT_TRUE(late_result.has_value());
  EXPECT_TRUE(late_result->IsTransportError());
}

}  // namespace
}  // namespace sidecar::forwarder
