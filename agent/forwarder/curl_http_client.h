// CurlHttpClient: the production HttpClient, one libcurl multi handle driven by a dedicated
// worker thread (curl_multi_poll, woken by curl_multi_wakeup when Send() queues work). The multi
// handle's connection cache gives keep-alive across requests to the same intake. Completions are
// handed to the executor given at construction (production: post to the egress io_context), so
// the Forwarder sees them on its own thread.
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

namespace sidecar::forwarder {

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
};

// Runs a completion on the caller's chosen thread; must be thread-safe.
using CompletionExecutor = std::function<void(absl::AnyInvocable<void()>)>;

class CurlHttpClient final : public HttpClient {
 public:
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options,
                                                                CompletionExecutor executor);
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

  CurlHttpClient(CurlHttpClientOptions options, CompletionExecutor executor, void* multi);
  void Run();
  void Start(std::unique_ptr<Request> request);
  void Complete(Request& request, HttpResult result);

  const CurlHttpClientOptions options_;
  const CompletionExecutor executor_;
  void* const multi_;  // CURLM*, kept opaque so curl.h stays out of this header.

  // std::mutex rather than absl::Mutex: the distribution's abseil is not TSan-instrumented, so
  // TSan could not see this lock. Everything up to `stop_` is guarded by it.
  std::mutex mutex_;
  std::condition_variable outstanding_changed_;
  std::vector<std::unique_ptr<Request>> incoming_;
  size_t outstanding_ = 0;  // Accepted by Send(), not yet completed.
  bool abort_ = false;
  bool stop_ = false;

  // Worker thread only.
  std::vector<std::unique_ptr<Request>> active_;

  std::thread worker_;  // Last member: starts after everything it touches is constructed.
};

}  // namespace sidecar::forwarder
