// Runtime: the process's threads (style.md §2.5). The ingress io_context serves every listener and
// the status server; the compute pool parses, aggregates and encodes; the egress io_context owns
// the forwarder and the ECS metadata poller. Components post move-only batches between them.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "agent/common/asio.h"

namespace sidecar::runtime {

struct RuntimeOptions {
  int compute_threads = 1;
};

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  boost::asio::io_context& Ingress() { return ingress_; }
  boost::asio::thread_pool& Compute() { return *compute_; }
  boost::asio::io_context& Egress() { return egress_; }

  // Starts the ingress and egress threads (the compute pool runs from construction).
  void Start();

  // Shutdown, in the order that loses nothing: ingress stops (listeners must already be closed),
  // compute finishes every posted task, then egress stops. Components drain before calling this.
  void StopIngress();
  void JoinCompute();
  void StopEgress();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  RuntimeOptions options_;
  boost::asio::io_context ingress_{1};
  boost::asio::io_context egress_{1};
  std::unique_ptr<boost::asio::thread_pool> compute_;
  std::unique_ptr<WorkGuard> ingress_guard_;
  std::unique_ptr<WorkGuard> egress_guard_;
  std::thread ingress_thread_;
  std::thread egress_thread_;
};

}  // namespace sidecar::runtime
