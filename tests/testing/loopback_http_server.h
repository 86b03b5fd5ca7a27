// LoopbackHttpServer: the small Beast HTTP/1.1 server under FakeIntake and FakeEcsMetadataServer.
// It listens on 127.0.0.1, runs its own io_context thread, supports keep-alive and
// "Expect: 100-continue", and asks a handler what to do with each request: answer (optionally after
// a delay), reset the connection, or hold it open without answering until the server stops.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace sidecar::testing::internal {

struct ServerRequest {
  std::string method;
  std::string target;  // As sent, including any query string.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ServerReply {
  enum class Action {
    kRespond,  // Write the response below (after `delay`).
    kReset,    // Close the connection with a TCP reset, without answering.
    kStall,    // Never answer; the connection stays open until the server stops.
  };
  Action action = Action::kRespond;
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::nanoseconds delay{0};
};

class LoopbackHttpServer {
 public:
  // Runs on the server thread, one request at a time; must not throw (a throw answers 500).
  using Handler = std::function<ServerReply(ServerRequest)>;

  // Binds 127.0.0.1:`port` (0 picks a free port) and starts serving.
  static absl::StatusOr<std::unique_ptr<LoopbackHttpServer>> Start(uint16_t port, Handler handler);

  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;
  ~LoopbackHttpServer();

  // Closes the listener and every connection (stalled ones included) and joins the thread.
  // Idempotent; the destructor calls it.
  void Stop();

  uint16_t port() const;
  // TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests).
  int ConnectionsAccepted() const;

 private:
  class Impl;
  explicit LoopbackHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sidecar::testing::internal
