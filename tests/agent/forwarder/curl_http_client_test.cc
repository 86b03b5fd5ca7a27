#include "agent/forwarder/curl_http_client.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/common/beast.h"
#include "agent/forwarder/curl_api.h"
#include "agent/telemetry/registry.h"
#include "tests/agent/forwarder/fake_curl_api.h"
#include "tests/testing/status_matchers.h"

namespace sidecar::forwarder {
namespace {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;
using ::sidecar::testing::StatusIs;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

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

std::unique_ptr<CurlHttpClient> MakeClient(CurlApi& curl,
                                           CurlHttpClientOptions options = LocalOptions()) {
  absl::StatusOr<std::unique_ptr<CurlHttpClient>> client =
      CurlHttpClient::Create(std::move(options), Inline(), curl);
  EXPECT_TRUE(client.ok()) << client.status();
  return std::move(client).value();
}

// Sends one request to `url` and waits for its result.
HttpResult SendAndWait(CurlHttpClient& client, const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.body = "b";
  Completion completion;
  client.Send(request, std::chrono::steady_clock::now() + seconds(10), completion.Callback());
  std::optional<HttpResult> result = completion.Wait();
  if (!result.has_value()) {
    ADD_FAILURE() << "no completion for " << url;
    return HttpResult{absl::UnknownError("no completion"), {}};
  }
  return *std::move(result);
}

// A loopback URL nothing listens on.
std::string ClosedPortUrl() {
  boost::asio::io_context context;
  tcp::acceptor acceptor(context, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/api/v2/series";
}

bool LibcurlIsMapped() {
  void* handle = dlopen(DlopenCurlApi::kLibrary, RTLD_NOW | RTLD_NOLOAD);
  if (handle != nullptr) {
    dlclose(handle);
  }
  return handle != nullptr;
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

TEST(CurlHttpClientTest, FetchesOnlyHttpAndHttpsUrls) {
  char path[] = "/tmp/sidecar-curl-file-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "secret", 6), 6);
  close(fd);
  std::unique_ptr<CurlHttpClient> client = MakeClient();
  // libcurl would read the file and answer with its bytes if file:// were allowed.
  const HttpResult result = SendAndWait(*client, std::string("file://") + path);
  unlink(path);
  EXPECT_FALSE(result.transport_error.ok());
  EXPECT_THAT(std::string(result.transport_error.message()), HasSubstr("Unsupported protocol"));
  EXPECT_THAT(result.response.body, ::testing::Not(HasSubstr("secret")));
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

TEST(CurlHttpClientTest, CallsNoLibcurlFunctionBeforeTheFirstRequest) {
  FakeCurlApi curl;
  {
    std::unique_ptr<CurlHttpClient> client = MakeClient(curl);
    std::this_thread::sleep_for(milliseconds(50));  // Give the worker time to misbehave.
    EXPECT_EQ(curl.TotalCalls(), 0);
    client->Drain(std::chrono::steady_clock::now() + seconds(1));
  }
  EXPECT_EQ(curl.TotalCalls(), 0);  // Nor at Drain and destruction.

  TestServer server([](const Request&, Response& response) {
    response.result(http::status::accepted);
    return true;
  });
  std::unique_ptr<CurlHttpClient> client = MakeClient(curl);
  EXPECT_EQ(SendAndWait(*client, server.Url("/")).response.status, 202);
  EXPECT_EQ(SendAndWait(*client, server.Url("/")).response.status, 202);
  EXPECT_EQ(curl.load_calls, 1);
  EXPECT_EQ(curl.multi_init_calls, 1);
}

// Runs in a fresh process; exits 0 when libcurl was mapped by the first Send() and not before.
[[noreturn]] void CheckLibcurlIsMappedLazily() {
  if (LibcurlIsMapped()) {
    fprintf(stderr, "libcurl mapped at exec\n");
    _exit(1);
  }
  std::unique_ptr<CurlHttpClient> client = MakeClient();
  std::this_thread::sleep_for(milliseconds(20));
  if (LibcurlIsMapped()) {
    fprintf(stderr, "libcurl mapped by CurlHttpClient::Create\n");
    _exit(2);
  }
  HttpResult result = SendAndWait(*client, ClosedPortUrl());
  if (result.transport_error.code() != absl::StatusCode::kUnavailable || !LibcurlIsMapped()) {
    fprintf(stderr, "libcurl not used by the first request: %s\n",
            result.transport_error.ToString().c_str());
    _exit(3);
  }
  _exit(0);
}

TEST(CurlHttpClientDeathTest, LibcurlIsMappedOnlyOnceARequestIsSent) {
  // "threadsafe" re-executes the test binary for this test alone, so the check sees what exec
  // mapped (DT_NEEDED), not what earlier tests loaded. It fails if linked code calls libcurl
  // directly again, which would put libcurl back in DT_NEEDED.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(CheckLibcurlIsMappedLazily(), ::testing::ExitedWithCode(0), "");
}

TEST(CurlHttpClientTest, LibcurlThatFailsToLoadFailsEveryRequestAndCountsThem) {
  FakeCurlApi curl;
  curl.FailLoad("libcurl.so.4 could not be loaded: libcurl.so.4: cannot open shared object file");
  telemetry::Counter unavailable;
  CurlHttpClientOptions options = LocalOptions();
  options.libcurl_unavailable = &unavailable;
  std::unique_ptr<CurlHttpClient> client = MakeClient(curl, options);
  for (int i = 0; i < 3; ++i) {
    HttpResult result = SendAndWait(*client, "http://127.0.0.1:9/api/v2/series");
    EXPECT_THAT(result.transport_error, StatusIs(absl::StatusCode::kFailedPrecondition,
                                                 HasSubstr("libcurl.so.4 could not be loaded")));
  }
  EXPECT_EQ(unavailable.Value(), 3u);
  EXPECT_EQ(curl.TotalCalls(), curl.load_calls);  // Nothing but Load(), ever.
  const auto start = std::chrono::steady_clock::now();
  client->Drain(start + seconds(5));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(1));
}

TEST(CurlHttpClientTest, MissingLibcurlLibraryIsATransportErrorNamingIt) {
  // The real DlopenCurlApi, pointed at a library that does not exist.
  DlopenCurlApi curl("libcurl-sidecar-missing.so.4");
  std::unique_ptr<CurlHttpClient> client = MakeClient(curl);
  for (int i = 0; i < 2; ++i) {
    HttpResult result = SendAndWait(*client, "http://127.0.0.1:9/api/v2/series");
    EXPECT_THAT(result.transport_error,
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("libcurl-sidecar-missing.so.4 could not be loaded: "
                                   "libcurl-sidecar-missing.so.4: cannot open shared object")));
  }
}

TEST(CurlHttpClientTest, MultiInitFailureFailsTheRequestAndIsRetriedOnTheNext) {
  TestServer server([](const Request&, Response& response) {
    response.result(http::status::accepted);
    return true;
  });
  FakeCurlApi curl;
  curl.multi_init_failures = 1;
  std::unique_ptr<CurlHttpClient> client = MakeClient(curl);
  EXPECT_THAT(SendAndWait(*client, server.Url("/")).transport_error,
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("curl_multi_init")));
  EXPECT_EQ(SendAndWait(*client, server.Url("/")).response.status, 202);
  EXPECT_EQ(curl.multi_init_calls, 2);
}

TEST(CurlHttpClientTest, EasyInitFailureFailsOnlyThatRequest) {
  TestServer server([](const Request&, Response& response) {
    response.result(http::status::accepted);
    return true;
  });
  FakeCurlApi curl;
  curl.easy_init_failures = 1;
  std::unique_ptr<CurlHttpClient> client = MakeClient(curl);
  EXPECT_THAT(SendAndWait(*client, server.Url("/")).transport_error,
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("curl_easy_init failed")));
  EXPECT_EQ(SendAndWait(*client, server.Url("/")).response.status, 202);
}

TEST(CurlHttpClientTest, MultiAddHandleFailureFailsOnlyThatRequestAndFreesItsHandle) {
  TestServer server([](const Request&, Response& response) {
    response.result(http::status::accepted);
    return true;
  });
  FakeCurlApi curl;
  curl.add_handle_failures = 1;
  std::unique_ptr<CurlHttpClient> client = MakeClient(curl);
  EXPECT_THAT(
      SendAndWait(*client, server.Url("/")).transport_error,
      StatusIs(absl::StatusCode::kInternal, HasSubstr("curl_multi_add_handle: Out of memory")));
  EXPECT_EQ(SendAndWait(*client, server.Url("/")).response.status, 202);
  client.reset();  // Joins the worker, so every request object is gone.
  EXPECT_EQ(curl.easy_cleanup_calls, 2);
  EXPECT_EQ(curl.easy_init_calls, 2);
}

TEST(CurlHttpClientTest, RequestsRacingTheFirstOneAllComplete) {
  // Senders on several threads while the worker loads libcurl and creates the multi handle: every
  // request completes, promptly, and the handle is created once.
  // Connection refused is a full libcurl transfer, and unlike TestServer needs no connection
  // per sender.
  const std::string url = ClosedPortUrl();
  for (int round = 0; round < 5; ++round) {
    FakeCurlApi curl;
    std::unique_ptr<CurlHttpClient> client = MakeClient(curl);
    constexpr int kThreads = 4;
    constexpr int kPerThread = 5;
    std::atomic<int> refused{0};
    std::vector<std::thread> senders;
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < kThreads; ++t) {
      senders.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          const HttpResult result = SendAndWait(*client, url);
          refused += result.transport_error.code() == absl::StatusCode::kUnavailable ? 1 : 0;
        }
      });
    }
    for (std::thread& sender : senders) {
      sender.join();
    }
    EXPECT_EQ(refused, kThreads * kPerThread);
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(900));  // No 1 s poll wait.
    EXPECT_EQ(curl.multi_init_calls, 1);
  }
}

TEST(CurlHttpClientTest, RequestQueuedWhileTheMultiHandleIsCreatedStartsAtOnce) {
  FakeCurlApi curl;
  curl.multi_init_delay_ms = 200;
  std::unique_ptr<CurlHttpClient> client = MakeClient(curl);
  // The first request expires while the worker is inside curl_multi_init, so it completes without
  // a transfer and nothing on a socket would wake the worker's first curl_multi_poll.
  HttpRequest expiring;
  expiring.url = ClosedPortUrl();
  Completion first;
  client->Send(expiring, std::chrono::steady_clock::now() + milliseconds(100), first.Callback());
  std::this_thread::sleep_for(milliseconds(50));
  const auto start = std::chrono::steady_clock::now();
  HttpResult second = SendAndWait(*client, ClosedPortUrl());  // Queued during curl_multi_init.
  EXPECT_THAT(second.transport_error, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(800));  // Not after a poll.
  std::optional<HttpResult> first_result = first.Wait();
  ASSERT_TRUE(first_result.has_value());
  EXPECT_THAT(first_result->transport_error, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(CurlHttpClientTest, DrainBeforeAnyRequestRefusesLaterOnesWithoutLoadingLibcurl) {
  FakeCurlApi curl;
  std::unique_ptr<CurlHttpClient> client = MakeClient(curl);
  client->Drain(std::chrono::steady_clock::now() + seconds(1));
  EXPECT_THAT(SendAndWait(*client, "http://127.0.0.1:9/").transport_error,
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(curl.TotalCalls(), 0);
}

}  // namespace
}  // namespace sidecar::forwarder
