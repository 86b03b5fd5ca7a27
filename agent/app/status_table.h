// Renders the /status document as the terminal table `sidecar-agent status` prints: the same
// sections as the status page at GET / (task identity, throughput per signal, drops by reason,
// upstream per endpoint, retry queue, components), from one snapshot.
#pragma once

#include <string>

#include "nlohmann/json.hpp"

namespace sidecar::app {

// Never throws: fields of an unexpected type render as missing, so a newer or older sidecar's
// document still prints.
std::string RenderStatusTable(const nlohmann::json& status);

}  // namespace sidecar::app
