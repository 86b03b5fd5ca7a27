#include "agent/forwarder/endpoint.h"

namespace sidecar::forwarder {

std::string_view IntakeName(Intake intake) {
  switch (intake) {
    case Intake::kMetrics:
      return "metrics";
    case Intake::kTraces:
      return "traces";
    case Intake::kLogs:
      return "logs";
  }
  return "unknown";
}

const std::vector<Endpoint>& IntakeEndpoints::For(Intake intake) const {
  switch (intake) {
    case Intake::kTraces:
      return traces;
    case Intake::kLogs:
      return logs;
    case Intake::kMetrics:
      break;
  }
  return metrics;
}

std::string RedactApiKey(std::string_view api_key) {
  constexpr size_t kVisible = 5;
  if (api_key.size() <= kVisible) {
    return std::string(api_key.size(), '*');
  }
  return std::string(api_key.size() - kVisible, '*') +
         std::string(api_key.substr(api_key.size() - kVisible));
}

}  // namespace sidecar::forwarder
