#include "agent/runtime/runtime.h"

#include "spdlog/spdlog.h"

namespace sidecar::runtime {
namespace {

// Runs an io_context until stopped; an exception escaping a handler is logged and the loop resumes,
// so one faulty handler cannot take a whole thread (and every listener on it) down.
void RunLoop(boost::asio::io_context& context, const char* name) {
  while (!context.stopped()) {
    try {
      context.run();
    } catch (const std::exception& error) {
      spdlog::error("Handler on the {} thread threw; continuing. error={}", name, error.what());
    }
  }
}

}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : options_(options),
      compute_(std::make_unique<boost::asio::thread_pool>(
          static_cast<size_t>(std::max(1, options.compute_threads)))) {}

Runtime::~Runtime() {
  StopIngress();
  JoinCompute();
  StopEgress();
}

void Runtime::Start() {
  ingress_guard_ = std::make_unique<WorkGuard>(ingress_.get_executor());
  egress_guard_ = std::make_unique<WorkGuard>(egress_.get_executor());
  ingress_thread_ = std::thread([this] { RunLoop(ingress_, "ingress"); });
  egress_thread_ = std::thread([this] { RunLoop(egress_, "egress"); });
}

void Runtime::StopIngress() {
  ingress_guard_.reset();
  // After the handlers already posted (listeners closing, which read what their kernel queues
  // hold and break their reference cycles): a stop() here directly could end the loop first.
  boost::asio::post(ingress_, [this] { ingress_.stop(); });
  if (ingress_thread_.joinable()) {
    ingress_thread_.join();
  }
}

void Runtime::JoinCompute() {
  if (compute_ != nullptr) {
    compute_->join();
  }
}

void Runtime::StopEgress() {
  egress_guard_.reset();
  egress_.stop();
  if (egress_thread_.joinable()) {
    egress_thread_.join();
  }
}

}  // namespace sidecar::runtime
