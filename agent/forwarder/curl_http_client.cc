#include "agent/forwarder/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/forwarder/curl_api.h"

namespace sidecar::forwarder {
namespace {

// How long the worker sleeps with nothing to do; Send() and the destructor wake it earlier.
constexpr int kIdlePollMs = 1000;

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

  CurlApi* curl = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};

  Request() = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request() {
    // Both stay null unless libcurl was loaded.
    if (easy != nullptr) {
      curl->EasyCleanup(easy);
    }
    if (headers != nullptr) {
      curl->SlistFreeAll(headers);
    }
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
  return Create(std::move(options), std::move(executor), DlopenCurlApi::Default());
}

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(
    CurlHttpClientOptions options, CompletionExecutor executor, CurlApi& curl) {
  return std::unique_ptr<CurlHttpClient>(
      new CurlHttpClient(std::move(options), std::move(executor), curl));
}

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options, CompletionExecutor executor,
                               CurlApi& curl)
    : options_(std::move(options)),
      executor_(std::move(executor)),
      curl_(curl),
      worker_([this] { Run(); }) {}

CurlHttpClient::~CurlHttpClient() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  Wake();
  worker_.join();
  if (multi_ != nullptr) {
    curl_.MultiCleanup(Multi(multi_));
  }
}

void CurlHttpClient::Wake() {
  void* multi = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    multi = multi_;
  }
  if (multi != nullptr) {
    curl_.MultiWakeup(Multi(multi));
  } else {
    work_queued_.notify_one();
  }
}

void CurlHttpClient::Send(HttpRequest request, std::chrono::steady_clock::time_point deadline,
                          Done done) {
  auto pending = std::make_unique<Request>();
  pending->request = std::move(request);
  pending->deadline = deadline;
  pending->done = std::move(done);
  pending->max_body = options_.max_response_body_bytes;
  pending->curl = &curl_;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    incoming_.push_back(std::move(pending));
    ++outstanding_;
  }
  Wake();
}

void CurlHttpClient::Drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto idle = [this] { return outstanding_ == 0; };
  outstanding_changed_.wait_until(lock, deadline, idle);
  abort_ = true;
  // Without a multi handle nothing is active yet; a worker creating one right now sees abort_
  // before it polls.
  if (multi_ != nullptr) {
    curl_.MultiWakeup(Multi(multi_));
  }
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
  CURL* easy = curl_.EasyInit();
  if (easy == nullptr) {
    Complete(*request, HttpResult{absl::ResourceExhaustedError("curl_easy_init failed"), {}});
    return;
  }
  Request& r = *request;
  r.easy = easy;
  const HttpRequest& http = r.request;
  curl_.EasySetoptPointer(easy, CURLOPT_URL, http.url.c_str());
  curl_.EasySetoptLong(easy, CURLOPT_NOSIGNAL, 1L);
  curl_.EasySetoptPointer(easy, CURLOPT_ERRORBUFFER, r.error);
  curl_.EasySetoptLong(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  if (http.method == "GET") {
    curl_.EasySetoptLong(easy, CURLOPT_HTTPGET, 1L);
  } else {
    curl_.EasySetoptPointer(easy, CURLOPT_POSTFIELDS, http.body.data());
    curl_.EasySetoptOffset(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(http.body.size()));
    if (http.method != "POST") {
      curl_.EasySetoptPointer(easy, CURLOPT_CUSTOMREQUEST, http.method.c_str());
    }
  }
  bool has_content_type = false;
  for (const auto& [name, value] : http.headers) {
    has_content_type = has_content_type || absl::EqualsIgnoreCase(name, "Content-Type");
    r.headers = curl_.SlistAppend(r.headers, absl::StrCat(name, ": ", value).c_str());
  }
  // No "Expect: 100-continue" round trip on big bodies, and no form-urlencoded default type.
  r.headers = curl_.SlistAppend(r.headers, "Expect:");
  if (!has_content_type) {
    r.headers = curl_.SlistAppend(r.headers, "Content-Type:");
  }
  curl_.EasySetoptPointer(easy, CURLOPT_HTTPHEADER, r.headers);
  const long remaining_ms = RemainingMs(r.deadline);
  curl_.EasySetoptLong(easy, CURLOPT_TIMEOUT_MS, remaining_ms);
  curl_.EasySetoptLong(easy, CURLOPT_CONNECTTIMEOUT_MS,
                       std::min(remaining_ms, static_cast<long>(options_.connect_timeout.count())));
  // Never file://, ldap://, rtmp:// and the like, whatever a URL says (see SkipUnusedGnutlsInit).
  curl_.EasySetoptPointer(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_.EasySetoptLong(easy, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_.EasySetoptLong(easy, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.proxy.empty()) {
    curl_.EasySetoptPointer(easy, CURLOPT_PROXY, options_.proxy.c_str());
  }
  if (!options_.no_proxy.empty()) {
    curl_.EasySetoptPointer(easy, CURLOPT_NOPROXY, options_.no_proxy.c_str());
  }
  curl_.EasySetoptCallback(easy, CURLOPT_WRITEFUNCTION, &Request::OnBody);
  curl_.EasySetoptPointer(easy, CURLOPT_WRITEDATA, &r);
  curl_.EasySetoptCallback(easy, CURLOPT_HEADERFUNCTION, &Request::OnHeader);
  curl_.EasySetoptPointer(easy, CURLOPT_HEADERDATA, &r);
  if (CURLMcode code = curl_.MultiAddHandle(Multi(multi_), easy); code != CURLM_OK) {
    Complete(r, HttpResult{absl::InternalError(
                               absl::StrCat("curl_multi_add_handle: ", curl_.MultiStrerror(code))),
                           {}});
    return;
  }
  active_.push_back(std::move(request));
}

namespace {

absl::Status TransportError(CurlApi& curl, CURLcode code, const char* detail) {
  std::string message =
      absl::StrCat("curl error ", static_cast<int>(code), " (", curl.EasyStrerror(code), ")");
  if (detail != nullptr && detail[0] != '\0') {
    absl::StrAppend(&message, ": ", detail);
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(message);
  }
  return absl::UnavailableError(message);
}

}  // namespace

void CurlHttpClient::StartCurl(std::vector<std::unique_ptr<Request>>& fresh) {
  absl::Status status = curl_.Load();
  CURLM* multi = nullptr;
  if (status.ok()) {
    multi = curl_.MultiInit();
    if (multi == nullptr) {
      status = absl::ResourceExhaustedError("curl_multi_init failed");  // Tried again next time.
    }
  } else if (options_.libcurl_unavailable != nullptr) {
    options_.libcurl_unavailable->Add(fresh.size());
  }
  if (!status.ok()) {
    for (std::unique_ptr<Request>& request : fresh) {
      Complete(*request, HttpResult{status, {}});
    }
    fresh.clear();
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  multi_ = multi;
  // Requests queued since the last swap only notified the condition variable: take them now, as
  // nothing else would wake the coming curl_multi_poll for them.
  for (std::unique_ptr<Request>& request : incoming_) {
    fresh.push_back(std::move(request));
  }
  incoming_.clear();
}

void CurlHttpClient::Run() {
  while (true) {
    std::vector<std::unique_ptr<Request>> fresh;
    bool abort = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (multi_ == nullptr) {
        // libcurl is not loaded yet (or failed to load): sleep until there is something to send.
        work_queued_.wait(lock, [this] { return stop_ || !incoming_.empty(); });
      }
      if (stop_) {
        break;
      }
      fresh.swap(incoming_);
      abort = abort_;
    }
    if (abort) {  // After Drain(): refused at once, without starting (or loading) anything.
      for (std::unique_ptr<Request>& request : fresh) {
        Complete(*request, HttpResult{absl::CancelledError("aborted at shutdown"), {}});
      }
      fresh.clear();
    }
    if (multi_ == nullptr && !fresh.empty()) {
      StartCurl(fresh);
    }
    for (std::unique_ptr<Request>& request : fresh) {
      Start(std::move(request));
    }
    if (multi_ != nullptr) {
      Perform(abort);
    }
    bool abort_requested = false;  // By a Drain() that saw no multi handle to wake yet.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      outstanding_ = incoming_.size() + active_.size();
      abort_requested = abort_ && !abort;
    }
    outstanding_changed_.notify_all();
    if (multi_ != nullptr && !abort_requested) {
      curl_.MultiPoll(Multi(multi_), kIdlePollMs);
    }
  }
  if (multi_ != nullptr) {
    for (std::unique_ptr<Request>& request : active_) {
      curl_.MultiRemoveHandle(Multi(multi_), request->easy);
    }
  }
  active_.clear();
}

void CurlHttpClient::Perform(bool abort) {
  CURLM* multi = Multi(multi_);
  int running = 0;
  curl_.MultiPerform(multi, &running);
  int left = 0;
  while (CURLMsg* message = curl_.MultiInfoRead(multi, &left)) {
    if (message->msg != CURLMSG_DONE) {
      continue;
    }
    CURL* easy = message->easy_handle;
    const CURLcode code = message->data.result;
    curl_.MultiRemoveHandle(multi, easy);
    auto it = std::find_if(active_.begin(), active_.end(),
                           [easy](const auto& request) { return request->easy == easy; });
    if (it == active_.end()) {
      continue;
    }
    Request& request = **it;
    HttpResult result;
    if (code == CURLE_OK) {
      long status = 0;
      curl_.EasyGetinfoLong(easy, CURLINFO_RESPONSE_CODE, &status);
      request.response.status = static_cast<int>(status);
      result.response = std::move(request.response);
    } else {
      result.transport_error = TransportError(curl_, code, request.error);
    }
    Complete(request, std::move(result));
    active_.erase(it);
  }
  if (abort) {
    for (std::unique_ptr<Request>& request : active_) {
      curl_.MultiRemoveHandle(multi, request->easy);
      Complete(*request, HttpResult{absl::CancelledError("aborted at shutdown"), {}});
    }
    active_.clear();
  }
}

}  // namespace sidecar::forwarder
