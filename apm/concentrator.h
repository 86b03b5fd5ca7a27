// The APM stats concentrator (apm.md §6): turns every processed trace chunk, before sampling, into
// time-bucketed hit / error / duration counts and latency sketches per aggregation group, and
// hands finished buckets over as a StatsPayload for /api/v0.2/stats.
//
//   Concentrator concentrator(config, clock);
//   concentrator.Add({.chunk = &chunk, .root_index = root, .env = env, ...});  // per chunk
//   if (auto payload = concentrator.Flush(/*force=*/false)) { ... }          // every 10 s
//
// Buckets: a span counts in the bucket holding its end (start + duration), aligned down to the
// bucket size; spans ending before the oldest open bucket count in that bucket instead, future
// buckets are accepted. Flush keeps the two newest bucket slots (a bucket goes out once its start
// is at least two bucket sizes in the past, ~20 s) unless forced, as on shutdown.
//
// Memory is bounded: each bucket holds at most `max_groups_per_bucket` groups; spans that would
// open another group are counted in Counters().spans_dropped and otherwise ignored.
//
// Not thread-safe: the owner serializes Add and Flush (one strand).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "agent/common/clock.h"
#include "apm/stats_types.h"
#include "apm/trace_types.h"

namespace sidecar::apm {

// The peer tag keys of apm.md §6 "Default peer tag keys", sorted.
const std::vector<std::string>& DefaultPeerTagKeys();

struct ConcentratorConfig {
  std::chrono::nanoseconds bucket_size = std::chrono::seconds(10);
  std::string agent_hostname;  // "" on Fargate.
  std::string agent_env;       // Default env ("none"), used when a chunk has none.
  std::string agent_version;
  // Also compute stats for spans whose span.kind is server/client/producer/consumer.
  bool compute_stats_by_span_kind = true;
  // Peer tag keys for client/producer/consumer spans; empty means DefaultPeerTagKeys().
  std::vector<std::string> peer_tag_keys;
  // ContainerID as a payload dimension (on for Fargate, apm.md §8 "Stats").
  bool include_container_id = true;
  // Cap on groups per bucket (all payload keys together).
  size_t max_groups_per_bucket = 10000;
};

// What the processor hands over per chunk, before sampling (apm.md §6 Input / Weight / Payload
// key). Views must stay valid for the duration of Add only.
struct StatsInput {
  const TraceChunk* chunk = nullptr;
  size_t root_index = 0;  // Index of the root span in chunk->spans() (weight comes from it).
  std::string_view env, hostname, version, container_id, lang, git_commit_sha, image_tag;
};

namespace internal {
// A peer tag value with IP addresses masked (apm.md §6 "IPs quantized"): each comma-separated
// entry that is an IPv4 / IPv6 address, optionally behind "ip-" or "<scheme>://" and followed by a
// port or (IPv4) trailing text, becomes "blocked-ip-address" with prefix, port and suffix kept;
// loopback, cloud metadata and ECS task metadata addresses stay. Duplicate entries collapse.
//   "10.0.0.1:5432,10.0.0.2:5432" -> "blocked-ip-address:5432"
std::string QuantizePeerIpAddresses(std::string_view value);
}  // namespace internal

class Concentrator {
 public:
  struct Counters {
    uint64_t spans_counted = 0;  // Eligible spans added to a group.
    uint64_t spans_dropped = 0;  // Eligible spans refused by the group cap.
  };

  Concentrator(ConcentratorConfig config, const common::Clock& clock);
  ~Concentrator();
  Concentrator(const Concentrator&) = delete;
  Concentrator& operator=(const Concentrator&) = delete;

  void Add(const StatsInput& input);

  // Flushes every bucket older than the two newest (force: all buckets). Empty optional when
  // nothing to send. Output is sorted (payload key, bucket start, group key) so it is
  // deterministic.
  std::optional<StatsPayload> Flush(bool force);

  const Counters& GetCounters() const { return counters_; }
  size_t OpenBuckets() const { return buckets_.size(); }

 private:
  struct Bucket;
  class KeyIndex;
  struct ChunkKey;

  void AddSpan(const Span& span, const ChunkKey& chunk_key);

  ConcentratorConfig config_;
  const common::Clock& clock_;
  int64_t bucket_ns_;
  int64_t oldest_ts_;                       // Start of the oldest bucket still accepting spans.
  std::vector<std::string> peer_tag_keys_;  // sorted, unique
  // The meta and metrics keys AddSpan reads, the peer tag keys among them.
  std::unique_ptr<KeyIndex> key_index_;
  std::string joined_peer_tags_;  // AddSpan's buffer, kept for its capacity
  std::map<int64_t, std::unique_ptr<Bucket>> buckets_;
  std::mt19937_64 rng_;  // Stochastic rounding of weighted counts at export.
  Counters counters_;
};

}  // namespace sidecar::apm
