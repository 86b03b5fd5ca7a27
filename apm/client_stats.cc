#include "apm/client_stats.h"

#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace sidecar::apm {
namespace {

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
void TruncateUtf8(std::string& text, size_t limit) {
  if (text.size() <= limit) {
    return;
  }
  size_t cut = limit;
  // Back off over continuation bytes (10xxxxxx) so the cut lands on a character start.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
    --cut;
  }
  text.resize(cut);
}

// The duplicate-merge key: what the agent aggregates groups by.
using MergeKey =
    std::tuple<std::string, std::string, std::string, std::string, uint32_t, bool, std::string,
               TraceRootFlag, std::string, std::string, std::string, std::string>;

MergeKey KeyOf(const ClientGroupedStats& g) {
  std::string peer_tags;
  for (const std::string& tag : g.peer_tags) {
    peer_tags.append(tag);
    peer_tags.push_back('\0');
  }
  return {g.service,          g.name,        g.resource,           g.span_kind,
          g.http_status_code, g.synthetics,  std::move(peer_tags), g.is_trace_root,
          g.grpc_status_code, g.http_method, g.http_endpoint,      g.type};
}

void MergeDuplicates(ClientStatsBucket& bucket) {
  absl::flat_hash_map<MergeKey, size_t> first;
  first.reserve(bucket.stats.size());
  for (size_t i = 0; i < bucket.stats.size(); ++i) {
    auto [it, inserted] = first.try_emplace(KeyOf(bucket.stats[i]), i);
    if (inserted) {
      continue;
    }
    ClientGroupedStats& keep = bucket.stats[it->second];
    ClientGroupedStats& dup = bucket.stats[i];
    keep.hits += dup.hits;
    keep.errors += dup.errors;
    keep.duration += dup.duration;
    dup.hits = 0;
    dup.errors = 0;
    dup.duration = 0;
  }
}

}  // namespace

void NormalizeClientStats(ClientStatsPayload& payload, const ClientStatsRequest& request,
                          const ClientStatsHooks& hooks) {
  if (payload.lang.empty()) {
    payload.lang = request.lang;
  }
  if (payload.tracer_version.empty()) {
    payload.tracer_version = request.tracer_version;
  }
  payload.container_id = request.container_id;
  for (ClientStatsBucket& bucket : payload.stats) {
    std::vector<ClientGroupedStats> kept;
    kept.reserve(bucket.stats.size());
    for (ClientGroupedStats& group : bucket.stats) {
      if (hooks.normalize_name) {
        group.name = hooks.normalize_name(group.name);
      }
      if (hooks.normalize_service) {
        group.service = hooks.normalize_service(group.service, payload.lang);
      }
      if (group.resource.empty()) {
        group.resource = group.name;
      }
      TruncateUtf8(group.resource, kMaxClientStatsResourceBytes);
      if (hooks.resource_ignored && hooks.resource_ignored(group.resource)) {
        continue;
      }
      if (!request.tracer_obfuscated && hooks.obfuscate) {
        hooks.obfuscate(group);
      }
      if (hooks.replace_tags) {
        hooks.replace_tags(group);
      }
      kept.push_back(std::move(group));
    }
    bucket.stats = std::move(kept);
    MergeDuplicates(bucket);
  }
}

StatsPayload WrapClientStats(ClientStatsPayload payload, std::string agent_hostname,
                             std::string agent_env, std::string agent_version) {
  StatsPayload out;
  out.agent_hostname = std::move(agent_hostname);
  out.agent_env = std::move(agent_env);
  out.agent_version = std::move(agent_version);
  out.client_computed = true;
  out.stats.push_back(std::move(payload));
  return out;
}

}  // namespace sidecar::apm
