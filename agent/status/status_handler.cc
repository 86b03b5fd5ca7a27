#include "agent/status/status_handler.h"

#include "agent/common/version.h"
#include "agent/status/status_page.h"

namespace sidecar::status {
namespace {

nlohmann::json HealthJson(const StatusView& view) {
  nlohmann::json components = nlohmann::json::array();
  for (const auto& health : view.registry->Health()) {
    components.push_back({{"component", health.component_id},
                          {"state", telemetry::HealthStateName(health.state)},
                          {"detail", health.detail}});
  }
  return components;
}

// Tag values can come from outside (task metadata, endpoint URLs); invalid UTF-8 is replaced rather
// than letting dump() throw.
std::string Dump(const nlohmann::json& document) {
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool IsHealthy(const StatusView& view) { return !view.stopping && view.registry->AllReady(); }

}  // namespace

nlohmann::json BuildStatusJson(const StatusView& view) {
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& value : view.registry->Collect()) {
    nlohmann::json tags = nlohmann::json::object();
    for (const auto& [key, tag_value] : value.tags) {
      tags[key] = tag_value;
    }
    metrics.push_back(
        {{"name", value.name},
         {"tags", tags},
         {"kind", value.kind == telemetry::MetricKind::kCounter ? "counter" : "gauge"},
         {"value", value.value}});
  }
  nlohmann::json document = {
      {"version", common::kSidecarVersion}, {"agent_version", common::kAgentCompatibleVersion},
      {"healthy", IsHealthy(view)},         {"stopping", view.stopping},
      {"components", HealthJson(view)},     {"metrics", metrics},
  };
  if (view.details) {
    document["details"] = view.details();
  }
  return document;
}

StatusAnswer HandleStatusRequest(std::string_view method, std::string_view target,
                                 const StatusView& view) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD") {
    return {405, "application/json", R"({"error":"method not allowed"})"};
  }
  if (path == "/health") {
    const bool healthy = IsHealthy(view);
    nlohmann::json body = {{"status", healthy ? "ok" : (view.stopping ? "stopping" : "starting")},
                           {"components", HealthJson(view)}};
    return {healthy ? 200 : 503, "application/json", Dump(body)};
  }
  if (path == "/status") {
    return {200, "application/json", Dump(BuildStatusJson(view))};
  }
  if (path == "/" || path == "/index.html") {
    return {200, "text/html; charset=utf-8", StatusPageWithSnapshot(Dump(BuildStatusJson(view)))};
  }
  return {404, "application/json", R"({"error":"not found","routes":["/","/health","/status"]})"};
}

}  // namespace sidecar::status
