// Normalization of tracer-computed stats received on /v0.6/stats (apm.md §1.6), before they are
// forwarded with ClientComputed set. The caller has already decoded the body
// (stats_codec.h DecodeClientStatsPayload) and defaulted + normalized Env; this file fills what
// the request headers say, normalizes every group like a span, drops ignored resources and merges
// duplicate groups. The span normalizer and obfuscator are injected so this stage does not depend
// on them.
//
//   ClientStatsHooks hooks{.normalize_name = ..., .normalize_service = ..., ...};
//   NormalizeClientStats(payload, request, hooks);
//   StatsPayload out = WrapClientStats(std::move(payload), agent_hostname, agent_env, version);
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "apm/stats_types.h"

namespace sidecar::apm {

// Longest resource kept in a group (bytes, cut on a UTF-8 boundary), as for spans.
inline constexpr size_t kMaxClientStatsResourceBytes = 5000;

// What the /v0.6/stats request headers contribute.
struct ClientStatsRequest {
  std::string lang;            // Datadog-Meta-Lang
  std::string tracer_version;  // Datadog-Meta-Tracer-Version
  std::string container_id;    // resolved container ID ("" when disabled / unknown)
  // Datadog-Obfuscation-Version present: the tracer obfuscated resources itself.
  bool tracer_obfuscated = false;
};

// Span-normalization seams. Any hook left empty is skipped.
struct ClientStatsHooks {
  // Operation name normalization (e.g. "" -> "unnamed_operation").
  std::function<std::string(std::string_view name)> normalize_name;
  // Service normalization; `lang` gives "unnamed-<lang>-service" for an empty service.
  std::function<std::string(std::string_view service, std::string_view lang)> normalize_service;
  // True when the group's resource matches apm_config.ignore_resources: the group is dropped.
  std::function<bool(std::string_view resource)> resource_ignored;
  // Obfuscates group.resource in place (SQL / Cassandra resource, Redis quantize by group.type).
  // Called only when the tracer did not obfuscate.
  std::function<void(ClientGroupedStats& group)> obfuscate;
  // apm_config.replace_tags applied to a group, in place.
  std::function<void(ClientGroupedStats& group)> replace_tags;
};

// Normalizes `payload` in place: empty Lang / TracerVersion from the headers, ContainerID from
// the request, then per group: name and service normalized, empty resource = name, resource
// truncated, ignored groups removed, obfuscation unless `request.tracer_obfuscated`, replace-tags;
// finally groups with the same aggregation key within a bucket are merged: the first keeps the
// summed Hits / Errors / Duration and the others stay with those zeroed (their sketches are kept).
void NormalizeClientStats(ClientStatsPayload& payload, const ClientStatsRequest& request,
                          const ClientStatsHooks& hooks);

// The upstream StatsPayload for one client payload (passthrough, ClientComputed = true).
StatsPayload WrapClientStats(ClientStatsPayload payload, std::string agent_hostname,
                             std::string agent_env, std::string agent_version);

}  // namespace sidecar::apm
