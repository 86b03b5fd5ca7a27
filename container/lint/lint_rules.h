// The task-definition rules of `sidecar-agent lint-task-def` (spec ecs-logs.md C6/C7): each rule
// has a stable id, and every finding says why the setting breaks the sidecar and how to fix it.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "container/lint/finding.h"
#include "container/lint/task_model.h"

namespace sidecar::container::lint {

// Every rule id, in the order findings are reported for one task.
inline constexpr std::array<std::string_view, 14> kRuleIds = {
    "sidecar-present",   "network-mode",         "api-key-plain-env",
    "health-check",      "depends-on-healthy",   "ports-or-non-local",
    "uds-volume-shared", "apm-disabled",         "memory",
    "firelens-options",  "unified-service-tags", "hostname-set",
    "essential",         "stop-timeout",
};

// All findings for one task definition.
std::vector<Finding> LintTaskDefinition(const TaskDefinition& task);

// Parses `text` (see ParseTaskDefinitions) and lints every task definition in it.
absl::StatusOr<std::vector<Finding>> LintText(std::string_view text);

}  // namespace sidecar::container::lint
