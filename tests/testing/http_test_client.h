// A blocking HTTP/1.1 client for tests that talk to a local server (the APM receiver): one request
// per connection, any method and headers, plus a raw mode that writes bytes as given (malformed or
// truncated requests) and returns whatever the server answered before closing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace sidecar::testing {

struct HttpTestReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // Names lower-cased.
  std::string body;

  std::string Header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpTestRequest {
  std::string method = "POST";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// TCP to 127.0.0.1:port, or a Unix socket when `unix_path` is set.
absl::StatusOr<HttpTestReply> SendHttp(uint16_t port, const HttpTestRequest& request,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                       const std::string& unix_path = "");

// Writes `bytes`, half-closes if asked, and reads until the server closes or `timeout` passes.
absl::StatusOr<std::string> SendRawHttp(uint16_t port, const std::string& bytes, bool half_close,
                                        std::chrono::milliseconds timeout);

}  // namespace sidecar::testing
