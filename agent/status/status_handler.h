// What the health/status port answers, as a pure function of the request and the process state,
// so every route is tested without sockets.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "agent/telemetry/registry.h"
#include "nlohmann/json.hpp"

namespace sidecar::status {

struct StatusAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

struct StatusView {
  const telemetry::Registry* registry = nullptr;
  bool stopping = false;
  // Extra sections for /status (config summary, task identity, ...); may be empty.
  std::function<nlohmann::json()> details;
};

// GET /health: 200 when every component is ready and the process is not stopping, else 503 with
// the components that are not ready. GET /status: every counter, gauge and component state as JSON.
// GET / (or /index.html): the HTML status page, with the current /status document inlined.
StatusAnswer HandleStatusRequest(std::string_view method, std::string_view target,
                                 const StatusView& view);

// The /status document; also what `sidecar-agent status --json` prints.
nlohmann::json BuildStatusJson(const StatusView& view);

}  // namespace sidecar::status
