// Transaction: one payload bound for one endpoint (base URL + API key). Dual shipping turns a
// payload into several transactions sharing the same immutable body.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/forwarder/payload.h"

namespace sidecar::forwarder {

struct Transaction {
  std::shared_ptr<const Payload> payload;
  size_t endpoint_index = 0;  // Into IntakeEndpoints::For(payload->intake).
  std::string url;            // base_url + route: the circuit breaker key.
  uint64_t sequence = 0;      // Creation order; larger is newer.
  int attempts = 0;           // Requests started so far.
  // Wall time the payload was submitted; spilled with the transaction so a replay after a
  // restart can still tell how old it is.
  std::chrono::system_clock::time_point created{};

  // What the retry queue budget counts: the body, as the Agent counts payload bytes.
  size_t Bytes() const { return payload->body.size(); }
  Priority priority() const { return payload->priority; }
};

}  // namespace sidecar::forwarder
