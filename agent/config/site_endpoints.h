// How the Agent turns DD_SITE and the *_DD_URL overrides into intake base URLs
// (spec dogstatsd.md §9.2, apm.md §7, ecs-logs.md B5.1/B5.4). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/forwarder/endpoint.h"

namespace sidecar::config {

// "https://app.datadoghq.eu" -> "https://7-60-1-app.agent.datadoghq.eu" for Datadog-owned app
// hosts; any other URL (a proxy, a custom intake) is returned unchanged apart from a trailing '/'.
std::string AddAgentVersionToDomain(std::string_view url, std::string_view agent_version);

std::string MetricsBaseUrl(std::string_view site, std::string_view dd_url);
std::string TracesBaseUrl(std::string_view site, std::string_view apm_dd_url);
// `logs_dd_url` is "host:port" (scheme https, or http when `no_ssl`) or a full http(s) URL; the
// legacy path suffixes "/v1/input" and "/api/v2/logs" are stripped because routes are added later.
std::string LogsBaseUrl(std::string_view site, std::string_view logs_dd_url, bool no_ssl);

// DD_ADDITIONAL_ENDPOINTS / DD_APM_ADDITIONAL_ENDPOINTS: JSON object {"<url>": ["<key>", ...]}.
// Keys are trimmed, de-duplicated, empty ones removed. `variable` names the variable in errors.
absl::StatusOr<std::vector<forwarder::Endpoint>> ParseAdditionalEndpoints(
    std::string_view json_text, std::string_view variable);
// DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS: JSON array [{"api_key": "...", "Host": "...", "Port": 443}].
absl::StatusOr<std::vector<forwarder::Endpoint>> ParseLogsAdditionalEndpoints(
    std::string_view json_text, bool no_ssl);

}  // namespace sidecar::config
