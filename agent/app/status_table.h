// Renders the /status document as the terminal table `sidecar-agent status` prints.
#pragma once

#include <string>

#include "nlohmann/json.hpp"

namespace sidecar::app {

std::string RenderStatusTable(const nlohmann::json& status);

}  // namespace sidecar::app
