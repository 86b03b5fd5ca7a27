#include "agent/forwarder/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sidecar::forwarder {
namespace {

// How long the worker sleeps with nothing to do; Send() and the destructor wake it earlier.
constexpr int kIdlePollMs = 1000;

CURLcode GlobalInit() {
  // A function-static runs curl_global_init exactly once, thread-safely, before the first client.
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  return code;
}

CURLM* Multi(void* multi) { return static_cast<CURLM*>(multi); }

long RemainingMs(std::chrono::steady_clock::time_point deadline) {
  const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<long>(std::max<int64_t>(remaining.count(), 1));
}

}  // namespace

struct CurlHttpClient::Request {
  HttpRequest request;
  std::chrono::steady_clock::time_point deadline;
  Done done;
  size_t max_body = 0;

  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};

  Request() = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request() {
    if (easy != nullptr) {
      curl_easy_cleanup(easy);
    }
    curl_slist_free_all(headers);
  }

  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
    auto* self = static_cast<Request*>(user);
    const size_t n = size * count;
    std::string& body = self->response.body;
    body.append(data, std::min(n, self->max_body - std::min(self->max_body, body.size())));
    return n;
  }

  static size_t OnHeader(char* data, size_t size, size_t count, void* user) {
    auto* self = static_cast<Request*>(user);
    const size_t n = size * count;
    absl::string_view line(data, n);
    if (absl::StartsWith(line, "HTTP/")) {
      self->response.headers.clear();  // A new response (after 100-continue or a redirect).
      return n;
    }
    if (size_t colon = line.find(':'); colon != absl::string_view::npos) {
      self->response.headers.emplace_back(
          std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
          std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
    }
    return n;
  }
};

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(
    CurlHttpClientOptions options, CompletionExecutor executor) {
  if (CURLcode code = GlobalInit(); code != CURLE_OK) {
    return absl::InternalError(absl::StrCat("curl_global_init failed: ", curl_easy_strerror(code)));
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) {
    return absl::ResourceExhaustedError("curl_multi_init failed");
  }
  return std::unique_ptr<CurlHttpClient>(
      new CurlHttpClient(std::move(options), std::move(executor), multi));
}

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options, CompletionExecutor executor,
                               void* multi)
    : options_(std::move(options)),
      executor_(std::move(executor)),
      multi_(multi),
      worker_([this] { Run(); }) {}

CurlHttpClient::~CurlHttpClient() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  curl_multi_wakeup(Multi(multi_));
  worker_.join();
  curl_multi_cleanup(Multi(multi_));
}

void CurlHttpClient::Send(HttpRequest request, std::chrono::steady_clock::time_point deadline,
                          Done done) {
  auto pending = std::make_unique<Request>();
  pending->request = std::move(request);
  pending->deadline = deadline;
  pending->done = std::move(done);
  pending->max_body = options_.max_response_body_bytes;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    incoming_.push_back(std::move(pending));
    ++outstanding_;
  }
  curl_multi_wakeup(Multi(multi_));
}

void CurlHttpClient::Drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto idle = [this] { return outstanding_ == 0; };
  outstanding_changed_.wait_until(lock, deadline, idle);
  abort_ = true;
  curl_multi_wakeup(Multi(multi_));
  // The worker aborts everything on its next loop turn, which the wakeup starts right away.
  outstanding_changed_.wait(lock, idle);
}

void CurlHttpClient::Complete(Request& request, HttpResult result) {
  executor_([done = std::move(request.done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

void CurlHttpClient::Start(std::unique_ptr<Request> request) {
  if (std::chrono::steady_clock::now() >= request->deadline) {
    Complete(*request, HttpResult{absl::DeadlineExceededError("deadline passed before start"), {}});
    return;
  }
  CURL* easy = curl_easy_init();
  if (easy == nullptr) {
    Complete(*request, HttpResult{absl::ResourceExhaustedError("curl_easy_init failed"), {}});
    return;
  }
  Request& r = *request;
  r.easy = easy;
  const HttpRequest& http = r.request;
  curl_easy_setopt(easy, CURLOPT_URL, http.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r.error);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  if (http.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, http.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(http.body.size()));
    if (http.method != "POST") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, http.method.c_str());
    }
  }
  bool has_content_type = false;
  for (const auto& [name, value] : http.headers) {
    has_content_type = has_content_type || absl::EqualsIgnoreCase(name, "Content-Type");
    r.headers = curl_slist_append(r.headers, absl::StrCat(name, ": ", value).c_str());
  }
  // No "Expect: 100-continue" round trip on big bodies, and no form-urlencoded default type.
  r.headers = curl_slist_append(r.headers, "Expect:");
  if (!has_content_type) {
    r.headers = curl_slist_append(r.headers, "Content-Type:");
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, r.headers);
  const long remaining_ms = RemainingMs(r.deadline);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, remaining_ms);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min(remaining_ms, static_cast<long>(options_.connect_timeout.count())));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.proxy.empty()) {
    curl_easy_setopt(easy, CURLOPT_PROXY, options_.proxy.c_str());
  }
  if (!options_.no_proxy.empty()) {
    curl_easy_setopt(easy, CURLOPT_NOPROXY, options_.no_proxy.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Request::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Request::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &r);
  if (CURLMcode code = curl_multi_add_handle(Multi(multi_), easy); code != CURLM_OK) {
    Complete(r, HttpResult{absl::InternalError(
                               absl::StrCat("curl_multi_add_handle: ", curl_multi_strerror(code))),
                           {}});
    return;
  }
  active_.push_back(std::move(request));
}

namespace {

absl::Status TransportError(CURLcode code, const char* detail) {
  std::string message =
      absl::StrCat("curl error ", static_cast<int>(code), " (", curl_easy_strerror(code), ")");
  if (detail != nullptr && detail[0] != '\0') {
    absl::StrAppend(&message, ": ", detail);
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(message);
  }
  return absl::UnavailableError(message);
}

}  // namespace

void CurlHttpClient::Run() {
  CURLM* multi = Multi(multi_);
  while (true) {
    std::vector<std::unique_ptr<Request>> fresh;
    bool abort = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) {
        break;
      }
      fresh.swap(incoming_);
      abort = abort_;
    }
    for (std::unique_ptr<Request>& request : fresh) {
      Start(std::move(request));
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) {
        continue;
      }
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      curl_multi_remove_handle(multi, easy);
      auto it = std::find_if(active_.begin(), active_.end(),
                             [easy](const auto& request) { return request->easy == easy; });
      if (it == active_.end()) {
        continue;
      }
      Request& request = **it;
      HttpResult result;
      if (code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        request.response.status = static_cast<int>(status);
        result.response = std::move(request.response);
      } else {
        result.transport_error = TransportError(code, request.error);
      }
      Complete(request, std::move(result));
      active_.erase(it);
    }
    if (abort) {
      for (std::unique_ptr<Request>& request : active_) {
        curl_multi_remove_handle(multi, request->easy);
        Complete(*request, HttpResult{absl::CancelledError("aborted at shutdown"), {}});
      }
      active_.clear();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      outstanding_ = incoming_.size() + active_.size();
    }
    outstanding_changed_.notify_all();
    curl_multi_poll(multi, nullptr, 0, kIdlePollMs, nullptr);
  }
  for (std::unique_ptr<Request>& request : active_) {
    curl_multi_remove_handle(multi, request->easy);
  }
  active_.clear();
}

}  // namespace sidecar::forwarder
