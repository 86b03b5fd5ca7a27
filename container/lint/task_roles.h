// Which container of a task is the sidecar, which are FireLens routers and which are the apps
// that talk to the sidecar. Rules reason about these roles, not about container positions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "container/lint/task_model.h"

namespace sidecar::container::lint {

struct TaskRoles {
  // By image (`sidecar-agent`, `datadog/agent`, `datadog-agent`) or name (`sidecar-agent`,
  // `datadog-agent`, `datadog`), else the first container given DD_API_KEY; nullptr if none.
  const Container* sidecar = nullptr;
  // Neither the sidecar nor a container with firelensConfiguration (a log router).
  std::vector<const Container*> apps;
  // True if some container (the sidecar or another) declares firelensConfiguration.
  bool has_firelens_router = false;
};

TaskRoles IdentifyRoles(const TaskDefinition& task);

// Go strconv.ParseBool spellings, which the Agent's env parsing accepts.
std::optional<bool> ParseBool(std::string_view text);

// The app runs a Datadog tracer: it sets tracer settings (DD_TRACE_*, DD_AGENT_HOST,
// DD_TRACE_AGENT_URL, DD_ENV, DD_SERVICE), unless DD_TRACE_ENABLED is false.
bool SendsTraces(const Container& app);

// The app needs the sidecar up before it starts: it traces, sends DogStatsD (DD_DOGSTATSD_*), or
// logs through FireLens to the sidecar.
bool UsesSidecar(const Container& app, const TaskRoles& roles);

bool UsesFirelensDriver(const Container& container);

// The host of a URL (`http://host:8126`, `udp://[::1]:8125`), lower-cased; "" if none.
std::string UrlHost(std::string_view url);

// localhost, 127.0.0.0/8 or ::1: reaches the sidecar over the task's shared loopback.
bool IsLoopbackHost(std::string_view host);

}  // namespace sidecar::container::lint
