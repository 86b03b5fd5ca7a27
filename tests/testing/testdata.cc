#include "tests/testing/testdata.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#ifndef SIDECAR_TESTDATA_DIR
#error "SIDECAR_TESTDATA_DIR must be defined by the build"
#endif

namespace sidecar::testing {

std::string TestdataDir() { return SIDECAR_TESTDATA_DIR; }

std::string TestdataPath(std::string_view relative) {
  return absl::StrCat(TestdataDir(), "/", std::string(relative));
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("Cannot open ", path, "."));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(absl::StrCat("Cannot read ", path, "."));
  }
  return contents.str();
}

}  // namespace sidecar::testing
