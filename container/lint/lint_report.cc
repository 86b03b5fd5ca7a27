#include "container/lint/lint_report.h"

#include <algorithm>
#include <array>

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::container::lint {
namespace {

std::string Upper(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  });
  return upper;
}

// Bytes that are not UTF-8 (a hostile file's keys end up in paths) become U+FFFD, never an
// exception from the serializer.
std::string Dump(const nlohmann::ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::optional<Severity> WorstSeverity(const std::vector<Finding>& findings) {
  std::optional<Severity> worst;
  for (const Finding& finding : findings) {
    if (!worst.has_value() || finding.severity > *worst) {
      worst = finding.severity;
    }
  }
  return worst;
}

int ExitStatus(const std::vector<Finding>& findings) {
  const std::optional<Severity> worst = WorstSeverity(findings);
  if (!worst.has_value() || *worst == Severity::kInfo) {
    return kExitClean;
  }
  return *worst == Severity::kWarning ? kExitWarning : kExitError;
}

std::string RenderText(std::string_view file, const std::vector<Finding>& findings) {
  std::string out;
  std::array<size_t, 3> counts = {0, 0, 0};
  for (const Finding& finding : findings) {
    ++counts[static_cast<size_t>(finding.severity)];
    out += fmt::format("{} {} at {}\n  why: {}\n  fix: {}\n", Upper(SeverityName(finding.severity)),
                       finding.rule, finding.path, finding.why, finding.fix);
  }
  out += fmt::format("{}: {} error{}, {} warning{}, {} info\n", file, counts[2],
                     counts[2] == 1 ? "" : "s", counts[1], counts[1] == 1 ? "" : "s", counts[0]);
  return out;
}

std::string RenderJson(std::string_view file, const std::vector<Finding>& findings) {
  nlohmann::ordered_json out;
  out["file"] = std::string(file);
  out["findings"] = nlohmann::ordered_json::array();
  for (const Finding& finding : findings) {
    out["findings"].push_back({{"severity", std::string(SeverityName(finding.severity))},
                               {"rule", finding.rule},
                               {"path", finding.path},
                               {"why", finding.why},
                               {"fix", finding.fix}});
  }
  const std::optional<Severity> worst = WorstSeverity(findings);
  out["worst"] = worst.has_value() ? std::string(SeverityName(*worst)) : std::string("none");
  return Dump(out) + "\n";
}

std::string RenderJsonError(std::string_view file, std::string_view error) {
  nlohmann::ordered_json out;
  out["file"] = std::string(file);
  out["error"] = std::string(error);
  return Dump(out) + "\n";
}

}  // namespace sidecar::container::lint
