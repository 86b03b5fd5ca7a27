// File: statsd/mapper.h
//
// DogStatsD mapper profiles (`dogstatsd_mapper_profiles`, env DD_DOGSTATSD_MAPPER_PROFILES; spec
// ../shared/spec/dogstatsd.md §5 "Mapper", conformance case E09): rewrite a metric name and add
// tags captured from it, e.g. `test.job.duration.my_type.my_name` -> `test.job.duration` with
// `job_type:my_type`, `job_name:my_name`.
//
//   auto profiles = MapperProfiles::FromJson(R"([{"name": "jobs", "prefix": "test.job.",
//       "mappings": [{"match": "test.job.duration.*.*", "name": "test.job.duration",
//                     "tags": {"job_type": "$1", "job_name": "$2"}}]}])");
//   Mapper mapper(*profiles, /*cache_size=*/1000);
//   if (const MapResult* r = mapper.Map(name)) { use(r->name, r->tags); }
//
// Semantics are the Agent's (comp/dogstatsd/mapper/mapper.go):
// - Only the FIRST profile whose `prefix` the name starts with (or whose prefix is "*") is
//   consulted; if none of its mappings matches, the name is not mapped (later profiles are not
//   tried). Within it, the first matching mapping wins.
// - `match_type` "wildcard" (default): only [a-zA-Z0-9_.*-], no `**`; each `*` matches one
//   dot-free segment (possibly empty) and is a capture group. "regex": RE2 syntax (Go's regexp is
//   RE2 too). Either way the pattern is compiled as "^" + match + "$", as the Agent does, so it
//   matches the whole name (beware: a top-level `a|b` anchors only its ends, as in the Agent).
// - `name` and tag values expand `$1`, `${1}`, `$name`, `${name}` (named groups) and `$$` with
//   Go's Regexp.Expand rules: `$1x` means group "1x" (so empty), unknown groups expand to "".
// - Results, matches and misses alike, are cached per original name (LRU,
//   `dogstatsd_mapper_cache_size`, default 1000); names under no profile prefix are neither
//   cached nor allocated for.
//
// MapperProfiles is immutable (patterns compiled once) and may be shared across threads; Mapper
// holds the cache and scratch space and is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "statsd/context_resolver.h"

namespace re2 {
class RE2;
}

namespace sidecar::statsd {

// One rule of a profile, as configured.
struct MapperMappingConfig {
  std::string match;
  std::string match_type;  // "wildcard" (default when empty) or "regex".
  std::string name;
  std::vector<std::pair<std::string, std::string>> tags;  // key -> value template, in order.
};

struct MapperProfileConfig {
  std::string name;
  std::string prefix;  // "*" applies the profile to every name.
  std::vector<MapperMappingConfig> mappings;
};

// Parses the Agent's JSON form: `[{"name": ..., "prefix": ..., "mappings": [{"match": ...,
// "match_type": ..., "name": ..., "tags": {"k": "v"}}]}]`. Unknown fields are ignored. The error
// message says what is wrong and where (it does not name the variable).
absl::StatusOr<std::vector<MapperProfileConfig>> ParseMapperProfilesJson(std::string_view json);

// A successful mapping: the new name and the `key:value` tags to append.
struct MapResult {
  std::string name;
  std::vector<std::string> tags;
};

class MapperProfiles {
 public:
  // Validates and compiles (the Agent's checks and messages: missing profile name or prefix,
  // missing match or name, invalid match type, disallowed wildcard characters, bad regex).
  static absl::StatusOr<std::shared_ptr<const MapperProfiles>> Compile(
      std::vector<MapperProfileConfig> profiles);
  static absl::StatusOr<std::shared_ptr<const MapperProfiles>> FromJson(std::string_view json);

  ~MapperProfiles();
  MapperProfiles(const MapperProfiles&) = delete;
  MapperProfiles& operator=(const MapperProfiles&) = delete;

  bool empty() const { return profiles_.empty(); }
  size_t size() const { return profiles_.size(); }

 private:
  friend class Mapper;

  // A name or tag-value template, split into literal text and capture-group references.
  struct TemplatePart {
    std::string literal;
    int group = -1;  // >= 0: insert that capture group (after `literal`).
  };
  using Template = std::vector<TemplatePart>;

  struct Mapping {
    std::unique_ptr<re2::RE2> regex;
    int groups = 0;  // Capturing groups.
    Template name;
    std::vector<std::pair<std::string, Template>> tags;  // "key:" -> value template.
  };
  struct Profile {
    std::string name;
    std::string prefix;
    bool any_prefix = false;  // prefix "*"
    std::vector<Mapping> mappings;
  };

  MapperProfiles() = default;

  // The first profile that applies to `name`, or nullptr.
  const Profile* ProfileFor(std::string_view name) const;

  std::vector<Profile> profiles_;
  int max_groups_ = 0;
};

class Mapper {
 public:
  static constexpr size_t kDefaultCacheSize = 1000;  // dogstatsd_mapper_cache_size

  // `profiles` may be null (nothing is mapped). cache_size 0 is taken as 1.
  Mapper(std::shared_ptr<const MapperProfiles> profiles, size_t cache_size = kDefaultCacheSize);
  ~Mapper();
  Mapper(const Mapper&) = delete;
  Mapper& operator=(const Mapper&) = delete;

  // The mapping of `name`, or nullptr. Valid until the next call. Allocation-free when no profile
  // prefix matches and on cache hits.
  const MapResult* Map(std::string_view name);

  // Cache introspection (tests, status).
  size_t cached() const { return lru_.size(); }
  uint64_t cache_hits() const { return cache_hits_; }

 private:
  struct Entry {
    std::string key;
    bool matched = false;
    MapResult result;
  };
  using Lru = std::list<Entry>;

  const MapResult* Remember(std::string_view name, bool matched, MapResult* result);
  struct Groups;  // Capture-group scratch (re2::StringPiece), kept out of this header.
  static void Expand(const MapperProfiles::Template& parts, const Groups& groups, std::string& out);

  std::shared_ptr<const MapperProfiles> profiles_;
  size_t cache_size_;
  Lru lru_;  // Most recently used first.
  absl::flat_hash_map<std::string_view, Lru::iterator, internal::StringViewHash,
                      internal::StringViewEq>
      index_;  // Keys view Entry::key.
  uint64_t cache_hits_ = 0;
  std::unique_ptr<Groups> groups_;
};

}  // namespace sidecar::statsd
