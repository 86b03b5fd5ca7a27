#include "agent/app/status_table.h"

#include <algorithm>

#include "fmt/format.h"

namespace sidecar::app {
namespace {

std::string TagsText(const nlohmann::json& tags) {
  std::string text;
  for (const auto& [key, value] : tags.items()) {
    text += fmt::format("{}{}:{}", text.empty() ? "" : ",", key, value.get<std::string>());
  }
  return text;
}

}  // namespace

std::string RenderStatusTable(const nlohmann::json& status) {
  std::string out;
  out += fmt::format("sidecar-agent {} (Datadog Agent {} compatible)\n",
                     status.value("version", "?"), status.value("agent_version", "?"));
  out += fmt::format("Health: {}\n\n", status.value("healthy", false) ? "healthy" : "NOT HEALTHY");

  out += "Components\n";
  for (const auto& component : status.value("components", nlohmann::json::array())) {
    out += fmt::format("  {:<24} {:<10} {}\n", component.value("component", ""),
                       component.value("state", ""), component.value("detail", ""));
  }

  const auto metrics = status.value("metrics", nlohmann::json::array());
  size_t width = 10;
  for (const auto& metric : metrics) {
    const std::string tags = TagsText(metric.value("tags", nlohmann::json::object()));
    width = std::max(width, metric.value("name", "").size() + (tags.empty() ? 0 : tags.size() + 2));
  }
  out += "\nCounters and gauges\n";
  for (const auto& metric : metrics) {
    const std::string tags = TagsText(metric.value("tags", nlohmann::json::object()));
    const std::string label = tags.empty()
                                  ? metric.value("name", "")
                                  : fmt::format("{}{{{}}}", metric.value("name", ""), tags);
    out += fmt::format("  {:<{}} {:>14}\n", label, width + 2, metric.value("value", int64_t{0}));
  }
  if (status.contains("details")) {
    out += "\nDetails\n";
    for (const auto& [key, value] : status["details"].items()) {
      out += fmt::format("  {:<24} {}\n", key,
                         value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  return out;
}

}  // namespace sidecar::app
