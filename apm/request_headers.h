// The trace request headers of apm.md §1.3, read into TracerInfo. Pure functions over header values
// so the rules (Go's ParseBool "truthy" semantics, Entity-ID precedence) are tested without a
// socket.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "apm/trace_types.h"

namespace sidecar::apm {

// isHeaderTrue (§1.2): empty ⇒ false; Go ParseBool forms ⇒ their value; anything else ⇒ true.
bool IsHeaderTrue(std::string_view value);

// X-Datadog-Trace-Count (R7): nullopt when absent, empty or not a non-negative integer.
std::optional<int64_t> ParseTraceCount(std::string_view value);

// Reads TracerInfo from a header lookup (returns "" for an absent header). The container id is the
// Datadog-Entity-ID's `ci-`/`cid-` value when present, else Datadog-Container-ID, as sent.
TracerInfo ReadTracerInfo(const std::function<std::string_view(std::string_view)>& header);

}  // namespace sidecar::apm
