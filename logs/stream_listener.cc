#include "logs/stream_listener.h"

#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "agent/common/status_macros.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace sidecar::logs {
namespace {

namespace asio = boost::asio;
using Tcp = asio::ip::tcp;
using Local = asio::local::stream_protocol;

}  // namespace

StreamListener::StreamListener(asio::any_io_executor executor, StreamListenerOptions options,
                               telemetry::Counter& accepted, telemetry::Counter& rejected)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      accepted_(accepted),
      rejected_(rejected) {}

absl::Status StreamListener::Listen(Handler handler) {
  if (options_.tcp_port.has_value()) {
    SIDECAR_RETURN_IF_ERROR(BindTcp());
  }
  if (!options_.unix_path.empty()) {
    SIDECAR_RETURN_IF_ERROR(BindUnix());
  }
  handler_ = std::move(handler);
  asio::post(executor_, [self = shared_from_this()] {
    if (self->closed_) {
      return;
    }
    if (self->tcp_.has_value()) {
      self->Accept(*self->tcp_);
    }
    if (self->local_.has_value()) {
      self->Accept(*self->local_);
    }
  });
  return absl::OkStatus();
}

absl::Status StreamListener::BindTcp() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.tcp_address, ec);
  if (ec) {
    return absl::InvalidArgumentError(fmt::format("Invalid {} listen address {}: {}", options_.name,
                                                  options_.tcp_address, ec.message()));
  }
  Tcp::acceptor& acceptor = tcp_.emplace(executor_);
  const Tcp::endpoint endpoint(address, *options_.tcp_port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return absl::UnavailableError(
        fmt::format("Cannot listen for {} on {}:{} ({}): {}", options_.listen_what,
                    options_.tcp_address, *options_.tcp_port, options_.tcp_setting, ec.message()));
  }
  bound_tcp_port_ = acceptor.local_endpoint(ec).port();
  return absl::OkStatus();
}

absl::Status StreamListener::BindUnix() {
  const std::string& path = options_.unix_path;
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return absl::FailedPreconditionError(
          fmt::format("{}={} exists and is not a socket; refusing to replace it.",
                      options_.unix_setting, path));
    }
    ::unlink(path.c_str());  // A stale socket from a previous run (ecs-logs.md B4.3 item 1).
  }
  boost::system::error_code ec;
  Local::acceptor& acceptor = local_.emplace(executor_);
  acceptor.open(Local(), ec);
  if (!ec) {
    acceptor.bind(Local::endpoint(path), ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return absl::UnavailableError(fmt::format("Cannot listen for {} on the Unix socket {} ({}): {}",
                                              options_.listen_what, path, options_.unix_setting,
                                              ec.message()));
  }
  // The Docker daemon writes to it as root from outside the task's user namespace.
  ::chmod(path.c_str(), 0666);
  return absl::OkStatus();
}

template <typename Acceptor>
void StreamListener::Accept(Acceptor& acceptor) {
  acceptor.async_accept(
      [self = shared_from_this(), &acceptor](const boost::system::error_code& ec,
                                             typename Acceptor::protocol_type::socket socket) {
        if (self->closed_) {
          return;
        }
        if (ec) {
          if (ec == asio::error::operation_aborted) {
            return;
          }
          spdlog::warn("Cannot accept a {} connection: {}.", self->options_.name, ec.message());
          auto timer = std::make_shared<asio::steady_timer>(self->executor_, kAcceptRetry);
          timer->async_wait([self, timer, &acceptor](const boost::system::error_code& timer_ec) {
            if (!timer_ec && !self->closed_) {
              self->Accept(acceptor);
            }
          });
          return;
        }
        self->HandOver(Socket(std::move(socket)));
        self->Accept(acceptor);
      });
}

void StreamListener::HandOver(Socket socket) {
  if (*open_ >= options_.max_connections) {
    rejected_.Add();
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  accepted_.Add();
  ++*open_;
  handler_(std::move(socket), Slot(open_));
}

void StreamListener::Close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  boost::system::error_code ignored;
  if (tcp_.has_value()) {
    tcp_->close(ignored);
  }
  if (local_.has_value()) {
    local_->close(ignored);
  }
  handler_ = nullptr;  // Breaks a server <-> listener cycle through the handler's captures.
}

}  // namespace sidecar::logs
