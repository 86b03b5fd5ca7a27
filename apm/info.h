// The /info document (apm.md §1.4): tracers read it at start to choose endpoints and features, so
// it advertises only what this receiver implements. Computed once; its SHA-256 is the
// Datadog-Agent-State header every other response carries (tracers re-read /info when it changes).
#pragma once

#include <string>
#include <vector>

#include "apm/apm_config.h"

namespace sidecar::apm {

struct InfoDocument {
  std::string body;   // Indented JSON, as the Agent's MarshalIndent.
  std::string state;  // Sha256Hex(body).
};

// The trace receiver routes listed in /info, in the Agent's table order.
std::vector<std::string> AdvertisedEndpoints();

InfoDocument BuildInfoDocument(const ApmConfig& config, uint16_t statsd_port,
                               const std::vector<std::string>& peer_tags);

}  // namespace sidecar::apm
