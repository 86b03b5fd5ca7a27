// Rendering of lint findings (text or JSON) and the exit status they imply.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "container/lint/finding.h"

namespace sidecar::container::lint {

// Exit statuses of `sidecar-agent lint-task-def`.
inline constexpr int kExitClean = 0;       // no findings, or only info
inline constexpr int kExitWarning = 1;     // the worst finding is a warning
inline constexpr int kExitError = 2;       // the worst finding is an error
inline constexpr int kExitUnreadable = 3;  // the file cannot be read or parsed (or bad usage)

std::optional<Severity> WorstSeverity(const std::vector<Finding>& findings);
int ExitStatus(const std::vector<Finding>& findings);

// One block per finding (`SEVERITY rule at PATH`, `  why: ...`, `  fix: ...`), then a summary
// line naming the file.
std::string RenderText(std::string_view file, const std::vector<Finding>& findings);

// {"file": ..., "findings": [{"severity", "rule", "path", "why", "fix"}], "worst": ...}, where
// worst is "error", "warning", "info" or "none". One line, newline-terminated.
std::string RenderJson(std::string_view file, const std::vector<Finding>& findings);

// {"file": ..., "error": ...} for a file that cannot be read or parsed.
std::string RenderJsonError(std::string_view file, std::string_view error);

}  // namespace sidecar::container::lint
