// `sidecar-agent lint-task-def [--json] FILE`: checks an ECS task definition (or the task
// definitions of a JSON CloudFormation template) for the mistakes that break the sidecar.
#pragma once

#include <cstdio>
#include <string_view>
#include <vector>

namespace sidecar::app {

// `args` are the words after `lint-task-def`. Prints the findings (or --help) to stdout and a
// read/parse/usage error to stderr (to stdout as JSON with --json). Returns the exit status:
// 0 clean or only info, 1 worst finding a warning, 2 worst an error, 3 unreadable file or bad
// usage.
int RunLintTaskDef(const std::vector<std::string_view>& args);

// Same, writing to the given streams (tests).
int RunLintTaskDef(const std::vector<std::string_view>& args, std::FILE* out, std::FILE* err);

}  // namespace sidecar::app
