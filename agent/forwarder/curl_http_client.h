// CurlHttpClient: the production HttpClient, one libcurl multi handle driven by a dedicated
// worker thread (curl_multi_poll, woken by curl_multi_wakeup when Send() queues work). The multi
// handle's connection cache gives keep-alive across requests to the same intake. Completions are
// handed to the executor given at construction (production: post to the egress io_context), so
// the Forwarder sees them on its own thread.
//
// libcurl is reached only through CurlApi (curl_api.h) and is loaded lazily: until the first
// Send() the worker sleeps on a condition variable and no libcurl code is mapped. If libcurl
// cannot be loaded, every request completes with a FailedPrecondition transport error
// ("libcurl.so.4 could not be loaded: ...") and bumps `libcurl_unavailable`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "agent/forwarder/http_client.h"
#include "agent/telemetry/registry.h"

namespace sidecar::forwarder {

class CurlApi;

struct CurlHttpClientOptions {
  // false only for DD_SKIP_SSL_VALIDATION: skips peer and host name checks.
  bool verify_tls = true;
  // DD_PROXY_HTTPS, e.g. "http://user:pass@proxy:3128". Empty keeps libcurl's default, which
  // honours the https_proxy / no_proxy environment variables.
  std::string proxy;
  // DD_PROXY_NO_PROXY joined with commas: hosts that bypass `proxy`.
  std::string no_proxy;
  // TCP + TLS connect budget, within the request deadline.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Intake answers are small; a bigger body is truncated to this many bytes.
  size_t max_response_body_bytes = 64 * 1024;
  // Optional (e.g. the registry's "forwarder.libcurl_unavailable"): counts requests failed because
  // libcurl could not be loaded. Must outlive the client.
  telemetry::Counter* libcurl_unavailable = nullptr;
};

// Runs a completion on the caller's chosen thread; must be thread-safe.
using CompletionExecutor = std::function<void(absl::AnyInvocable<void()>)>;

class CurlHttpClient final : public HttpClient {
 public:
  // Calls no libcurl function (that waits for the first Send), so it does not fail today; the
  // StatusOr leaves room for checks of `options`. Uses DlopenCurlApi::Default().
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options,
                                                                CompletionExecutor executor);
  // For tests: `curl` must outlive the client.
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options,
                                                                CompletionExecutor executor,
                                                                CurlApi& curl);
  // Stops and joins the worker. Requests still outstanding are discarded and their callbacks
  // destroyed uncalled, so call Drain() first.
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  // Thread-safe, never blocks.
  void Send(HttpRequest request, std::chrono::steady_clock::time_point deadline,
            Done done) override;
  // Thread-safe. Waits for outstanding requests until `deadline`, then aborts the rest (they
  // complete with a kCancelled transport error). Requests sent afterwards are aborted at once.
  void Drain(std::chrono::steady_clock::time_point deadline) override;

 private:
  struct Request;

  CurlHttpClient(CurlHttpClientOptions options, CompletionExecutor executor, CurlApi& curl);
  void Run();
  // Worker thread, while `multi_` is null and `fresh` is not empty: loads libcurl and creates the
  // multi handle, then also moves requests queued meanwhile into `fresh`. On failure completes
  // `fresh` with the error and empties it; the next request tries again (Load() itself fails
  // again at once).
  void StartCurl(std::vector<std::unique_ptr<Request>>& fresh);
  void Start(std::unique_ptr<Request> request);
  // One curl_multi_perform turn: completes finished transfers, and every active one if `abort`.
  void Perform(bool abort);
  void Complete(Request& request, HttpResult result);
  // Wakes the worker: curl_multi_wakeup once the multi handle exists, the condition variable
  // before.
  void Wake();

  const CurlHttpClientOptions options_;
  const CompletionExecutor executor_;
  CurlApi& curl_;

  // std::mutex rather than absl::Mutex: the distribution's abseil is not TSan-instrumented, so
  // TSan could not see this lock. Everything up to `stop_` is guarded by it.
  std::mutex mutex_;
  std::condition_variable outstanding_changed_;
  std::condition_variable work_queued_;  // Wakes the worker while `multi_` is null.
  // CURLM*, kept opaque so curl.h stays out of this header. Null until the first request; set
  // once, by the worker. The worker reads it without the lock.
  void* multi_ = nullptr;
  std::vector<std::unique_ptr<Request>> incoming_;
  size_t outstanding_ = 0;  // Accepted by Send(), not yet completed.
  bool abort_ = false;
  bool stop_ = false;

  // Worker thread only.
  std::vector<std::unique_ptr<Request>> active_;

  std::thread worker_;  // Last member: starts after everything it touches is constructed.
};

}  // namespace sidecar::forwarder
