// HttpClient: the seam between everything that talks HTTP upstream (forwarder, ECS metadata client)
// and the transport. CurlHttpClient is the production implementation; tests use FakeHttpClient
// (tests/testing/fake_http_client.h), which records requests and answers from a script.
#pragma once

#include <chrono>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "agent/forwarder/payload.h"

namespace sidecar::forwarder {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// Either a transport error (connection refused, TLS failure, timeout: `transport_error` not OK) or
// an HTTP response of any status.
struct HttpResult {
  absl::Status transport_error;
  HttpResponse response;

  bool IsTransportError() const { return !transport_error.ok(); }
};

class HttpClient {
 public:
  using Done = absl::AnyInvocable<void(HttpResult)>;
  virtual ~HttpClient() = default;

  // Starts a request; never blocks. `done` runs exactly once, on the executor the implementation
  // was built with (the egress thread), with the result or a transport error when `deadline`
  // passes.
  virtual void Send(HttpRequest request, std::chrono::steady_clock::time_point deadline,
                    Done done) = 0;

  // Waits until every started request has completed or `deadline` passed; requests still running
  // then complete with a transport error. Called once, at shutdown.
  virtual void Drain(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace sidecar::forwarder
