// LocalClient: the CLI side of `sidecar-agent health` and `status`, which ask the running sidecar's
// health/status port on 127.0.0.1 with a short timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace sidecar::app {

struct LocalReply {
  int status = 0;
  std::string body;
};

absl::StatusOr<LocalReply> GetLocal(uint16_t port, const std::string& path,
                                    std::chrono::milliseconds timeout);

}  // namespace sidecar::app
