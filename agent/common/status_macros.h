// Early-return helpers for absl::Status, which abseil 20220623 does not ship yet.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SIDECAR_STATUS_CONCAT_INNER(a, b) a##b
#define SIDECAR_STATUS_CONCAT(a, b) SIDECAR_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define SIDECAR_RETURN_IF_ERROR(expr)                                   \
  do {                                                                  \
    if (::absl::Status sidecar_status = (expr); !sidecar_status.ok()) { \
      return sidecar_status;                                            \
    }                                                                   \
  } while (false)

// `lhs` receives the value of `rexpr` (an absl::StatusOr<T>), or the enclosing function returns its
// status.
#define SIDECAR_ASSIGN_OR_RETURN(lhs, rexpr)                            \
  auto SIDECAR_STATUS_CONCAT(sidecar_statusor_, __LINE__) = (rexpr);    \
  if (!SIDECAR_STATUS_CONCAT(sidecar_statusor_, __LINE__).ok()) {       \
    return SIDECAR_STATUS_CONCAT(sidecar_statusor_, __LINE__).status(); \
  }                                                                     \
  lhs = std::move(SIDECAR_STATUS_CONCAT(sidecar_statusor_, __LINE__)).value()
