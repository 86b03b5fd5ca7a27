// The rule functions behind LintTaskDefinition (lint_rules.h), grouped by what they look at.
// Each appends its findings to `out`; none throws or reads anything but the model.
#pragma once

#include <string>
#include <vector>

#include "container/lint/finding.h"
#include "container/lint/task_model.h"
#include "container/lint/task_roles.h"

namespace sidecar::container::lint::internal {

struct RuleContext {
  const TaskDefinition& task;
  const TaskRoles& roles;
  std::vector<Finding>& out;

  void Add(Severity severity, std::string rule, std::string path, std::string why,
           std::string fix) const {
    out.push_back(
        Finding{severity, std::move(rule), std::move(path), std::move(why), std::move(fix)});
  }
};

// rules_task.cc: the task as a whole.
void CheckSidecarPresent(const RuleContext& context);
void CheckNetworkMode(const RuleContext& context);
void CheckApiKeyPlainEnv(const RuleContext& context);
void CheckUnifiedServiceTags(const RuleContext& context);

// rules_sidecar.cc: the sidecar container's own settings (need roles.sidecar).
void CheckHealthCheck(const RuleContext& context);
void CheckApmDisabled(const RuleContext& context);
void CheckMemory(const RuleContext& context);
void CheckHostnameSet(const RuleContext& context);
void CheckEssential(const RuleContext& context);
void CheckStopTimeout(const RuleContext& context);

// rules_wiring.cc: how the apps reach the sidecar (need roles.sidecar).
void CheckDependsOnHealthy(const RuleContext& context);
void CheckPortsOrNonLocal(const RuleContext& context);
void CheckUdsVolumeShared(const RuleContext& context);
void CheckFirelensOptions(const RuleContext& context);

}  // namespace sidecar::container::lint::internal
