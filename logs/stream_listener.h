// StreamListener: the accept side the stream log receivers share (ForwardServer, LineServer). It
// binds a TCP and/or a Unix stream acceptor, keeps accepting (after an accept error such as
// EMFILE it waits kAcceptRetry so the loop does not spin), enforces max_connections, and hands
// every accepted socket to the server's handler with a Slot that counts against the limit until
// the connection releases it (or drops it).
//
//   auto listener = std::make_shared<StreamListener>(executor, options, accepted, rejected);
//   SIDECAR_RETURN_IF_ERROR(listener->Listen(
//       [](StreamListener::Socket socket, StreamListener::Slot slot) { ... }));
//   ...
//   listener->Close();  // on the executor
//
// Connections beyond max_connections are closed at once; `accepted` counts the ones handed over,
// `rejected` the ones closed. Listen from any thread before the executor runs the listener; the
// rest runs on the executor. The listener must be owned by a shared_ptr (its handlers hold one).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "agent/common/asio.h"
#include "agent/telemetry/registry.h"

namespace sidecar::logs {

struct StreamListenerOptions {
  // TCP port on tcp_address; nullopt = off, 0 = any free port (read it back with tcp_port()).
  std::optional<uint16_t> tcp_port{};
  std::string tcp_address = "127.0.0.1";
  // Unix stream socket; "" = off. A stale socket file is replaced (another kind of file is an
  // error); mode 0666 so the Docker daemon can write to it. Removing it is the owner's job.
  std::string unix_path{};
  size_t max_connections = 64;
  // Wording of errors and logs, so each server keeps its own: "Invalid <name> listen address",
  // "Cannot accept a <name> connection", "Cannot listen for <listen_what> on ...", and the
  // setting an operator has to fix.
  std::string name;
  std::string listen_what;
  std::string tcp_setting;
  std::string unix_setting;
};

class StreamListener : public std::enable_shared_from_this<StreamListener> {
 public:
  // TCP and Unix connections behave the same once accepted.
  using Socket = boost::asio::generic::stream_protocol::socket;

  // One accepted connection's place under max_connections; freed by Release() or destruction.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept = default;
    Slot& operator=(Slot&& other) noexcept {
      if (this != &other) {
        Release();
        open_ = std::move(other.open_);
      }
      return *this;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { Release(); }

    void Release() {
      if (open_ != nullptr) {
        --*open_;
        open_ = nullptr;
      }
    }

   private:
    friend class StreamListener;
    explicit Slot(std::shared_ptr<size_t> open) : open_(std::move(open)) {}

    // Shared with the listener, so a connection may outlive it.
    std::shared_ptr<size_t> open_;
  };

  using Handler = std::function<void(Socket socket, Slot slot)>;

  static constexpr std::chrono::milliseconds kAcceptRetry{100};

  StreamListener(boost::asio::any_io_executor executor, StreamListenerOptions options,
                 telemetry::Counter& accepted, telemetry::Counter& rejected);
  StreamListener(const StreamListener&) = delete;
  StreamListener& operator=(const StreamListener&) = delete;

  // Binds every enabled acceptor (TCP first; none enabled is fine), then starts accepting on the
  // executor. A bind error is returned naming the setting, and nothing accepts. Call once.
  absl::Status Listen(Handler handler);
  // On the executor: stops accepting and drops the handler (and what it captured). Idempotent.
  void Close();

  // The bound TCP port, 0 when TCP is off or not bound.
  uint16_t tcp_port() const { return bound_tcp_port_; }
  // Connections holding a Slot.
  size_t open_connections() const { return *open_; }

 private:
  absl::Status BindTcp();
  absl::Status BindUnix();
  template <typename Acceptor>
  void Accept(Acceptor& acceptor);
  void HandOver(Socket socket);

  boost::asio::any_io_executor executor_;
  StreamListenerOptions options_;
  telemetry::Counter& accepted_;
  telemetry::Counter& rejected_;
  Handler handler_;
  std::optional<boost::asio::ip::tcp::acceptor> tcp_;
  std::optional<boost::asio::local::stream_protocol::acceptor> local_;
  std::shared_ptr<size_t> open_ = std::make_shared<size_t>(0);
  uint16_t bound_tcp_port_ = 0;
  bool closed_ = false;
};

}  // namespace sidecar::logs
