#include "agent/config/site_endpoints.h"

#include <algorithm>
#include <array>

#include "agent/common/strings.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::config {
namespace {

std::string_view TrimTrailingSlashes(std::string_view url) {
  while (!url.empty() && url.back() == '/') {
    url.remove_suffix(1);
  }
  return url;
}

// Datadog's own "app" hosts: app.<site> where site is datadoghq.com/eu, datad0g.com/eu or
// ddog-gov.com, optionally with a region label of two letters and a digit (us3, ap1, uk1, ...).
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsDatadogAppHost(std::string_view host) {
  if (!common::ConsumePrefix(host, "app.")) {
    return false;
  }
  constexpr std::array<std::string_view, 5> kDomains = {
      "datadoghq.com", "datadoghq.eu", "datad0g.com", "datad0g.eu", "ddog-gov.com"};
  for (std::string_view domain : kDomains) {
    if (host == domain) {
      return true;
    }
    if (host.size() == domain.size() + 4 && host.ends_with(domain) && host[3] == '.' &&
        IsAsciiLetter(host[0]) && IsAsciiLetter(host[1]) && host[2] >= '0' && host[2] <= '9') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string AddAgentVersionToDomain(std::string_view url, std::string_view agent_version) {
  url = TrimTrailingSlashes(url);
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::string(url);
  }
  const std::string_view rest = url.substr(scheme_end + 3);
  const size_t host_end = rest.find_first_of(":/");
  const std::string_view host = rest.substr(0, host_end);
  if (!IsDatadogAppHost(host)) {
    return std::string(url);
  }
  std::string version_label(agent_version);
  std::replace(version_label.begin(), version_label.end(), '.', '-');
  return fmt::format(
      "{}{}-app.agent.{}{}", url.substr(0, scheme_end + 3), version_label, host.substr(4),
      host_end == std::string_view::npos ? std::string_view() : rest.substr(host_end));
}

std::string MetricsBaseUrl(std::string_view site, std::string_view dd_url) {
  if (!dd_url.empty()) {
    return std::string(TrimTrailingSlashes(dd_url));
  }
  return fmt::format("https://app.{}", site);
}

std::string TracesBaseUrl(std::string_view site, std::string_view apm_dd_url) {
  if (!apm_dd_url.empty()) {
    return std::string(TrimTrailingSlashes(apm_dd_url));
  }
  return fmt::format("https://trace.agent.{}", site);
}

std::string LogsBaseUrl(std::string_view site, std::string_view logs_dd_url, bool no_ssl) {
  if (logs_dd_url.empty()) {
    return fmt::format("https://agent-http-intake.logs.{}", site);
  }
  std::string_view url = TrimTrailingSlashes(logs_dd_url);
  common::ConsumeSuffix(url, "/api/v2/logs") || common::ConsumeSuffix(url, "/v1/input");
  if (url.starts_with("http://") || url.starts_with("https://")) {
    return std::string(url);
  }
  return fmt::format("{}{}", no_ssl ? "http://" : "https://", url);
}

absl::StatusOr<std::vector<forwarder::Endpoint>> ParseAdditionalEndpoints(
    std::string_view json_text, std::string_view variable) {
  const auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        fmt::format("{} is not valid ({}). Accepted form: a JSON object mapping each intake URL to "
                    "a list of API keys, e.g. "
                    "{{\"https://app.datadoghq.eu\": [\"<api key>\"]}}.",
                    variable, why));
  };
  const nlohmann::json parsed =
      nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return invalid("not a JSON object");
  }
  std::vector<forwarder::Endpoint> endpoints;
  for (const auto& [url, keys] : parsed.items()) {
    if (!keys.is_array()) {
      return invalid("the value of each URL must be a list of API keys");
    }
    std::vector<std::string> seen;
    for (const auto& key : keys) {
      if (!key.is_string()) {
        return invalid("API keys must be strings");
      }
      const std::string key_text = key.get<std::string>();
      std::string trimmed(common::TrimAsciiSpace(key_text));
      if (trimmed.empty() || std::find(seen.begin(), seen.end(), trimmed) != seen.end()) {
        continue;
      }
      seen.push_back(trimmed);
      endpoints.push_back(forwarder::Endpoint{std::string(TrimTrailingSlashes(url)), trimmed});
    }
  }
  return endpoints;
}

absl::StatusOr<std::vector<forwarder::Endpoint>> ParseLogsAdditionalEndpoints(
    std::string_view json_text, bool no_ssl) {
  const auto invalid = [](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format(
        "DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS is not valid ({}). Accepted form: a JSON array of "
        "objects, e.g. "
        "[{{\"api_key\": \"<api key>\", \"Host\": \"agent-http-intake.logs.datadoghq.eu\", "
        "\"Port\": 443}}].",
        why));
  };
  const nlohmann::json parsed =
      nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return invalid("not a JSON array");
  }
  std::vector<forwarder::Endpoint> endpoints;
  for (const auto& entry : parsed) {
    if (!entry.is_object() || !entry.contains("api_key") || !entry["api_key"].is_string() ||
        !entry.contains("Host") || !entry["Host"].is_string()) {
      return invalid("each entry needs string fields api_key and Host");
    }
    std::string host = entry["Host"].get<std::string>();
    if (entry.contains("Port") && entry["Port"].is_number_integer()) {
      host += fmt::format(":{}", entry["Port"].get<int>());
    }
    endpoints.push_back(forwarder::Endpoint{
        LogsBaseUrl("", host, no_ssl),
        std::string(common::TrimAsciiSpace(entry["api_key"].get<std::string>()))});
  }
  return endpoints;
}

}  // namespace sidecar::config
