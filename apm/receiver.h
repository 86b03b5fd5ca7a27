// Receiver: the trace-agent HTTP surface on 8126 and the APM Unix socket (apm.md §1). Sessions run
// on the ingress io_context with a deadline on every read; decoding runs on the compute pool behind
// a bounded number of decoder slots (§1.2 step 5), and a slot is held until the processor has taken
// the payload, so a burst cannot queue unbounded decoded traces. Bodies are capped per request
// (413) and in total, so a slow or hostile client never blocks others or grows memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "agent/common/asio.h"
#include "agent/runtime/memory_account.h"
#include "agent/telemetry/registry.h"
#include "apm/info.h"
#include "apm/priority_sampler.h"
#include "apm/trace_types.h"

namespace sidecar::apm {

// The rate_by_service body and its version (§1.5, R17).
using RatesBody = RatesResponse;

// Where decoded requests go. Implemented by the APM pipeline.
class TraceConsumer {
 public:
  virtual ~TraceConsumer() = default;
  // Any thread. `done` must be called exactly once when the payload has left the processing queue;
  // it frees the decoder slot.
  virtual void ConsumeTraces(ArenaPayload payload, TracerInfo info, std::function<void()> done) = 0;
  // Compute thread. A decode error becomes a 400.
  virtual absl::Status ConsumeClientStats(std::string_view body, const TracerInfo& info) = 0;
  // Any thread.
  virtual std::shared_ptr<const RatesBody> Rates() const = 0;
};

struct ReceiverOptions {
  std::string bind_address = "127.0.0.1";
  bool tcp_enabled = true;
  uint16_t port = 8126;     // 0 picks a free port (tests).
  std::string socket_path;  // "" disables the Unix socket.
  uint64_t max_request_bytes = 26'214'400;
  // Bodies held at once (read, waiting for a decoder, decoding). Past it requests are refused like
  // an overloaded decoder (200/429), never queued.
  uint64_t max_inflight_bytes = 64ULL * 1024 * 1024;
  // The same bodies charged to their share of the sidecar's memory pool
  // (agent/runtime/memory_account.h); a refused charge refuses the request the same way. Null:
  // none.
  runtime::MemoryShare* inflight_share = nullptr;
  std::chrono::milliseconds read_timeout{5000};
  int decoders = 1;
  std::chrono::milliseconds decoder_timeout{1000};
  uint32_t max_connections = 1000;
  // True while the process is over its memory soft mark (agent/runtime/memory_guard.h); new
  // payloads are then refused like an overloaded decoder. Null: never.
  std::function<bool()> under_memory_pressure;
};

class Receiver {
 public:
  Receiver(boost::asio::io_context& ingress, boost::asio::thread_pool& compute,
           ReceiverOptions options, InfoDocument info, TraceConsumer& consumer,
           telemetry::Registry& registry);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Binds every enabled listener. Errors name the variable to change.
  absl::Status Start();
  // Stops accepting (posted to the ingress thread). Requests already read are still answered.
  void Close();
  uint16_t Port() const { return port_; }

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace sidecar::apm
