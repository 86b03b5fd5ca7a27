// Upstream endpoints: one (base URL, API key) pair per transaction target. Dual shipping
// (DD_ADDITIONAL_ENDPOINTS) yields several pairs per intake; every payload goes to each.
#pragma once

#include <string>
#include <vector>

#include "agent/forwarder/payload.h"

namespace sidecar::forwarder {

struct Endpoint {
  std::string base_url;  // Scheme + host (+ port), no trailing slash:
                         // "https://7-60-1-app.agent.datadoghq.com".
  std::string api_key;   // Secret: never logged; redact with RedactApiKey() where it must be shown.
};

struct IntakeEndpoints {
  std::vector<Endpoint> metrics;
  std::vector<Endpoint> traces;
  std::vector<Endpoint> logs;

  const std::vector<Endpoint>& For(Intake intake) const;
};

// "***************************abcde": the Agent's convention of showing only the last five
// characters.
std::string RedactApiKey(std::string_view api_key);

}  // namespace sidecar::forwarder
