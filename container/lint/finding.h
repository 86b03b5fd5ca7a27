// One problem the linter found in a task definition.
#pragma once

#include <string>
#include <string_view>

namespace sidecar::container::lint {

// Ordered from harmless to blocking, so the worst finding is the largest.
enum class Severity { kInfo = 0, kWarning = 1, kError = 2 };

inline std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "error";
}

struct Finding {
  Severity severity = Severity::kError;
  std::string rule;  // stable id, e.g. "network-mode"
  std::string path;  // JSON path of the offending element, e.g. $.containerDefinitions[1]
  std::string why;   // what goes wrong at run time
  std::string fix;   // what to change in the file
};

}  // namespace sidecar::container::lint
