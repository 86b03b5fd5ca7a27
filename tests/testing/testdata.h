// Locating and reading files under tests/testdata (the source tree path is compiled in).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sidecar::testing {

// Absolute path of tests/testdata in the source tree.
std::string TestdataDir();

// TestdataDir() + "/" + relative, e.g. TestdataPath("ecs/fargate_task.json").
std::string TestdataPath(std::string_view relative);

// Whole file as bytes. NotFound if it cannot be opened.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace sidecar::testing
