// gmock matchers for absl::Status / StatusOr, which abseil 20220623 does not ship.
#pragma once

#include <gmock/gmock.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sidecar::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") { return GetStatus(arg).ok(); }

MATCHER_P(StatusIs, code, "has status code " + std::string(absl::StatusCodeToString(code))) {
  return GetStatus(arg).code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "has status code and message") {
  return GetStatus(arg).code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(GetStatus(arg).message()),
                                       result_listener);
}

}  // namespace sidecar::testing
