# lint-task-def: ECS task definition (or CloudFormation template) → findings (ecs-logs.md C6/C7).
sidecar_library(sidecar_container_lint
  SRCS
    lint/task_model.cc
    lint/task_roles.cc
    lint/rules_task.cc
    lint/rules_sidecar.cc
    lint/rules_wiring.cc
    lint/lint_rules.cc
    lint/lint_report.cc
  DEPS sidecar_common nlohmann_json::nlohmann_json fmt::fmt absl::strings)
# It reads untrusted files: keep implicit narrowing visible, as the other container parsers do.
target_compile_options(sidecar_container_lint PRIVATE -Wconversion -Wsign-conversion -Wold-style-cast)
