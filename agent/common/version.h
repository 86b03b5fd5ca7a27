// Versions the sidecar reports. The Agent version is what intakes and tracers see
// (DD-Agent-Version, User-Agent, /info): the Datadog Agent release whose upstream behaviour we
// reproduce.
#pragma once

#include <string_view>

namespace sidecar::common {

inline constexpr std::string_view kSidecarVersion = "0.1.0";
inline constexpr std::string_view kAgentCompatibleVersion = "7.60.1";
inline constexpr std::string_view kUserAgent = "datadog-agent/7.60.1";

}  // namespace sidecar::common
