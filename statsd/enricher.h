// File: statsd/enricher.h
//
// Per-sample enrichment between the parser and the aggregator (spec ../shared/spec/dogstatsd.md
// §5, conformance cases §14.E): `host:` tag -> host, `dd.internal.*` tags -> origin metadata,
// namespace, name blocklist, histogram-to-distribution copy, and the tags we add to every metric,
// event and service check (DD_DOGSTATSD_TAGS, DD_TAGS/DD_EXTRA_TAGS, task/container tags, unified
// service tags).
//
//   Enricher enricher(config, &origin_tags, stats);
//   for (const EnrichedSample& s : enricher.Enrich(metric_sample)) sampler.Add(s, now);
//   sampler.AddEvent(enricher.EnrichEvent(event), now);
//
// Allocation-free for metric samples in steady state: the client's tags stay views into the
// packet (minus the ones removed here), the added tags are an `ExtraTags` set built once per
// (origin, which unified-service-tag keys the client sent) and cached.
//
// Unified service tags (architecture.md, "Contract decisions"): `env`, `service` and `version`
// are added only when the client's own tags lack that key (a client's `env:` always wins), and
// never with two values: each key is taken from the first of these sources that has it, and
// dropped from the others: client tags > origin (task/container) tags > EnricherConfig::env/
// service/version (DD_ENV, DD_SERVICE, DD_VERSION) > dogstatsd_tags > static_tags.
//
// Mapper profiles (E09, statsd/mapper.h) run first, as in the Agent: a mapped sample gets the new
// name (then namespaced like any other) and the captured tags after its own, before the tag
// extraction above. Names under no profile prefix cost one prefix scan and no allocation.
//
// Left out: the tag cardinality (`card:` field or
// `dd.internal.card:` tag, E11) is extracted and carried on the sample, but the origin lookup seam
// does not take it yet.
//
// Single-threaded; results are valid until the next call on the same Enricher.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "statsd/context_resolver.h"
#include "statsd/mapper.h"
#include "statsd/message.h"
#include "statsd/metric_types.h"
#include "statsd/statsd_stats.h"

namespace sidecar::statsd {

// The Agent's `statsd_metric_namespace_blacklist` default (StandardStatsdPrefixes).
std::vector<std::string> DefaultNamespaceBlocklist();

struct EnricherConfig {
  // Host of samples without a `host:` tag. "" in sidecar mode (ECS Fargate): identity comes from
  // the task tags (spec §5, E10).
  std::string default_host{};
  // `statsd_metric_namespace`: prefixed to metric names; a '.' is appended when missing. Default
  // "" (off).
  std::string namespace_prefix{};
  // `statsd_metric_namespace_blacklist`: names starting with one of these are not prefixed.
  std::vector<std::string> namespace_blocklist = DefaultNamespaceBlocklist();
  // `statsd_metric_blocklist`: metric names (after the namespace) that produce no sample; exact
  // matches unless name_blocklist_match_prefix. Counted as dropped (filtered).
  std::vector<std::string> name_blocklist{};
  bool name_blocklist_match_prefix = false;
  // `dogstatsd_tags` (DD_DOGSTATSD_TAGS): added to every metric, event and service check.
  std::vector<std::string> dogstatsd_tags{};
  // DD_TAGS + DD_EXTRA_TAGS: added to every signal in sidecar mode (E10).
  std::vector<std::string> static_tags{};
  // DD_ENV, DD_SERVICE, DD_VERSION: unified service tags, added as `env:`/`service:`/`version:`
  // where the item lacks that key. Empty = not added.
  std::string env{};
  std::string service{};
  std::string version{};
  // `histogram_copy_to_distribution` + `_prefix`: each `h`/`ms` sample is also emitted as a
  // distribution named prefix + name (E08).
  bool histogram_copy_to_distribution = false;
  std::string histogram_copy_to_distribution_prefix{};
  // `dogstatsd_mapper_profiles` (DD_DOGSTATSD_MAPPER_PROFILES), compiled; null or empty = off.
  std::shared_ptr<const MapperProfiles> mapper_profiles{};
  // `dogstatsd_mapper_cache_size`: names whose mapping (or miss) is remembered. Default 1000.
  size_t mapper_cache_size = Mapper::kDefaultCacheSize;
};

// Where task and container tags come from (the ECS tagger implements it).
class OriginTags {
 public:
  virtual ~OriginTags() = default;
  // Tags for samples from `container_id` (the `c:` field as sent; empty = no origin, i.e.
  // task-level tags). Null or empty = none. Called rarely: the Enricher caches the answer until
  // RefreshOrigins().
  virtual std::shared_ptr<const std::vector<std::string>> TagsFor(
      std::string_view container_id) = 0;
  // Changes whenever TagsFor() may answer differently (new task metadata). The pipeline compares it
  // once per packet batch and calls Enricher::RefreshOrigins() when it moved.
  virtual uint64_t Version() const { return 0; }
};

// Fixed tags: the task tags for every origin, unless a container has its own list.
class StaticOriginTags : public OriginTags {
 public:
  StaticOriginTags() = default;
  explicit StaticOriginTags(std::vector<std::string> task_tags);
  void SetTaskTags(std::vector<std::string> tags);
  // The full list for samples carrying `c:<container_id>` (task tags are not merged in).
  void SetContainerTags(std::string container_id, std::vector<std::string> tags);

  std::shared_ptr<const std::vector<std::string>> TagsFor(std::string_view container_id) override;

 private:
  std::shared_ptr<const std::vector<std::string>> task_tags_;
  absl::flat_hash_map<std::string, std::shared_ptr<const std::vector<std::string>>,
                      internal::StringViewHash, internal::StringViewEq>
      container_tags_;
};

// One metric sample after enrichment: still views (into the packet or the Enricher).
struct EnrichedSample {
  std::string_view name;  // Namespaced / distribution-prefixed.
  std::string_view host;
  MetricType type = MetricType::kGauge;
  MetricValues values;         // Empty for kSet.
  std::string_view set_value;  // kSet only.
  double sample_rate = 1.0;
  std::optional<int64_t> timestamp;  // Set: no-aggregation path (spec §7.5).
  // The client's tags minus `host:`, `dd.internal.entity_id:`, `dd.internal.jmx_check_name:` and
  // (unless a `card:` field was given) `dd.internal.card:`; order and duplicates as sent.
  std::span<const std::string_view> tags;
  const ExtraTags* extra_tags = nullptr;  // Never null from Enrich().
  // ComputeTagSetKey(tags, *extra_tags) when the Enricher knows it (null: the resolver computes
  // it). Saves the per-line tag hashing and sorting for tag sections seen before.
  const TagSetKey* tag_key = nullptr;
  std::string_view origin_id;     // `dd.internal.entity_id:` value.
  std::string_view container_id;  // `c:` field.
  std::string_view cardinality;   // `card:` field, else `dd.internal.card:` tag.
};

class Enricher {
 public:
  // `origin_tags` may be null (no task/container tags); it must outlive the Enricher.
  Enricher(EnricherConfig config, OriginTags* origin_tags, StatsdStats& stats);
  Enricher(const Enricher&) = delete;
  Enricher& operator=(const Enricher&) = delete;

  // Zero samples (blocklisted), one, or two (histogram copied to a distribution). Bumps
  // metric_type_count. Valid until the next call.
  std::span<const EnrichedSample> Enrich(const MetricSample& sample);

  // Owned records with host resolved (`h:` field > `host:` tag > default host), "\\n"
  // unescaped, tags enriched, sorted and unique. timestamp 0 = not given (the sampler sets now).
  EventRecord EnrichEvent(const Event& event);
  ServiceCheckRecord EnrichServiceCheck(const ServiceCheck& check);

  // Asks OriginTags again for every cached origin (call it at each flush) and drops the cache if
  // it has grown past its bound.
  void RefreshOrigins();

  const EnricherConfig& config() const { return config_; }

 private:
  static constexpr size_t kMaxCachedOrigins = 1024;
  // Direct-mapped cache of tag sections (see SectionEntry); a power of two.
  static constexpr size_t kSectionCacheSize = 1024;
  // Longer tag sections are not cached (bounds the cache's memory).
  static constexpr size_t kMaxCachedSectionBytes = 512;

  struct Origin {
    std::shared_ptr<const std::vector<std::string>> tags;
    // Indexed by the unified-service-tag keys the client sent (bit 0 env, 1 service, 2 version).
    std::array<std::shared_ptr<const ExtraTags>, 8> extra;
  };

  // Where an extracted view lies in its tag section; kAbsent = not in the section.
  struct Piece {
    static constexpr uint32_t kAbsent = UINT32_MAX;
    uint32_t offset = kAbsent;
    uint32_t size = 0;
  };
  // What ExtractTags() + ExtraFor() + ComputeTagSetKey() made of one raw tag section (sent without
  // mapper tags, from one container id, with or without a `card:` field): real traffic repeats a
  // handful of tag sections byte for byte, so a section seen again costs one hash and one compare
  // instead of splitting, classifying, hashing and sorting its tags. Views are kept as offsets
  // into the section, so a hit rebuilds them into the current packet. `extra` points into an
  // Origin: entries from before an origin's ExtraTags may have been freed carry an old generation.
  struct SectionEntry {
    uint64_t generation = 0;  // 0 = never filled.
    uint64_t hash = 0;
    bool card_field = false;
    std::string section;
    std::string container_id;
    std::vector<Piece> tags;
    Piece host;         // kAbsent: the default host.
    Piece origin_id;    // kAbsent: none.
    Piece cardinality;  // kAbsent: the `card:` field (or none).
    const ExtraTags* extra = nullptr;
    TagSetKey key;
  };

  // Client tags of `tags` into tags_, metadata into the out-parameters. Returns the UST mask.
  // `mapped` (mapper tags) are handled after `tags`, as if the client had sent them last.
  unsigned ExtractTags(TagList tags, std::span<const std::string> mapped, std::string_view& host,
                       std::string_view& origin_id, std::string_view& cardinality);
  bool NamespaceExcluded(std::string_view name) const;
  bool Blocked(std::string_view name) const;
  const ExtraTags& ExtraFor(std::string_view container_id, unsigned ust_mask);
  std::shared_ptr<const ExtraTags> BuildExtra(const std::vector<std::string>* origin_tags,
                                              unsigned ust_mask) const;
  std::vector<std::string> SortedTags(const ExtraTags& extra) const;
  // ExtractTags() + ExtraFor() for a sample without mapper tags, through the section cache.
  const SectionEntry& CachedSection(const MetricSample& sample);

  EnricherConfig config_;
  OriginTags* origin_tags_;
  StatsdStats& stats_;
  std::vector<std::string> ust_tags_;  // "env:x", "service:y", "version:z" from config.
  absl::flat_hash_set<std::string, internal::StringViewHash, internal::StringViewEq>
      name_blocklist_;
  std::unique_ptr<Mapper> mapper_;  // Null without profiles.
  Origin no_origin_;                // container_id "" (the common case), kept out of the map.
  bool no_origin_loaded_ = false;
  absl::flat_hash_map<std::string, Origin, internal::StringViewHash, internal::StringViewEq>
      origins_;

  std::vector<SectionEntry> section_cache_;  // kSectionCacheSize entries.
  uint64_t section_generation_ = 1;          // Bumped when cached `extra` pointers may dangle.

  // Scratch reused across calls.
  std::vector<uint64_t> key_scratch_;
  std::vector<std::string_view> tags_;
  std::string name_;
  std::string dist_name_;
  std::array<EnrichedSample, 2> out_;
};

}  // namespace sidecar::statsd
