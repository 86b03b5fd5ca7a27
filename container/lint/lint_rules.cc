#include "container/lint/lint_rules.h"

#include <iterator>

#include "container/lint/rules.h"
#include "container/lint/task_roles.h"

namespace sidecar::container::lint {

std::vector<Finding> LintTaskDefinition(const TaskDefinition& task) {
  std::vector<Finding> findings;
  const TaskRoles roles = IdentifyRoles(task);
  const internal::RuleContext context{task, roles, findings};
  // Same order as kRuleIds.
  internal::CheckSidecarPresent(context);
  internal::CheckNetworkMode(context);
  internal::CheckApiKeyPlainEnv(context);
  internal::CheckHealthCheck(context);
  internal::CheckDependsOnHealthy(context);
  internal::CheckPortsOrNonLocal(context);
  internal::CheckUdsVolumeShared(context);
  internal::CheckApmDisabled(context);
  internal::CheckMemory(context);
  internal::CheckFirelensOptions(context);
  internal::CheckUnifiedServiceTags(context);
  internal::CheckHostnameSet(context);
  internal::CheckEssential(context);
  internal::CheckStopTimeout(context);
  return findings;
}

absl::StatusOr<std::vector<Finding>> LintText(std::string_view text) {
  absl::StatusOr<std::vector<TaskDefinition>> tasks = ParseTaskDefinitions(text);
  if (!tasks.ok()) {
    return tasks.status();
  }
  std::vector<Finding> findings;
  for (const TaskDefinition& task : *tasks) {
    std::vector<Finding> task_findings = LintTaskDefinition(task);
    findings.insert(findings.end(), std::make_move_iterator(task_findings.begin()),
                    std::make_move_iterator(task_findings.end()));
  }
  return findings;
}

}  // namespace sidecar::container::lint
