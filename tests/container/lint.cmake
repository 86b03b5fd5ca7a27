# lint-task-def (container/lint): rules against small fixtures in tests/testdata/taskdef-lint, and
# every shipped definition under task-definitions/ must lint clean.
sidecar_test(lint_test
  SRCS lint_rules_test.cc lint_rule_cases_test.cc lint_model_test.cc lint_command_test.cc
       ${CMAKE_SOURCE_DIR}/agent/app/lint_command.cc
  DEPS sidecar_container_lint nlohmann_json::nlohmann_json)
target_compile_definitions(lint_test PRIVATE SIDECAR_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
