#include "agent/forwarder/forwarder_stats.h"

#include "absl/strings/str_cat.h"

namespace sidecar::forwarder {

ForwarderStats::ForwarderStats(telemetry::Registry& registry)
    : registry_(registry),
      retry_queue_bytes_(registry.GetGauge(kRetryQueueBytes)),
      in_flight_(registry.GetGauge(kInFlight)) {}

telemetry::Counter& ForwarderStats::Counter(std::string_view name, const telemetry::Tags& tags) {
  std::string key(name);
  for (const auto& [tag, value] : tags) {
    absl::StrAppend(&key, "|", tag, "=", value);
  }
  auto [it, inserted] = counters_.try_emplace(std::move(key), nullptr);
  if (inserted) {
    it->second = &registry_.GetCounter(name, tags);
  }
  return *it->second;
}

std::string EndpointHost(std::string_view base_url) {
  std::string_view rest = base_url;
  if (size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);  // Userinfo may hold proxy credentials.
  }
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');  // An IPv6 literal keeps its brackets.
    return std::string(close == std::string_view::npos ? rest : rest.substr(0, close + 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

}  // namespace sidecar::forwarder
