// File: statsd/context_resolver.h
//
// Turns (name, host, tags) into a small integer context id without allocating for contexts already
// known (spec ../shared/spec/dogstatsd.md §7.2). The key is a 64-bit hash of the name, the host and
// the *set* of tags: order and duplicates do not matter (F14), and the metric type is not part of
// it. The tags of a sample come in two parts, as in the Agent: the client's own tags (views into
// the packet) and an `ExtraTags` set (DogStatsD tags, static tags, origin tags, unified service
// tags) whose hashes are computed once when the set is built; the union of both is the context's
// tag set (a tag in both counts once).
//
//   ContextResolver resolver(/*max_contexts=*/200'000);
//   ExtraTags extra({"team:a"});
//   std::array<std::string_view, 2> tags = {"b", "a"};
//   ResolveResult r = resolver.Resolve("m", "", tags, extra);   // r.status == kResolved
//   const Context& context = resolver.Get(r.id);                 // tags {"a", "b", "team:a"}
//
// Design notes:
// - Per-tag hashes are combined by wrapping addition of the sorted, de-duplicated per-tag hashes
//   (order-independent), plus the unique count; the client's hashes are sorted in a reused scratch
//   vector, so a lookup costs one hash per string, a tiny sort and one map probe. Callers that
//   pass a precomputed TagSetKey (the Enricher, for a tag section it has seen) skip the tag part:
//   two hashes (name, host) and the probe.
// - A hit is verified with a second, independently mixed fingerprint of the same inputs (32 bits
//   of it, kept next to the key in the map: 16-byte entries, and a hit touches no other memory):
//   two contexts whose 64-bit keys collide are told apart (the second one is dropped and counted
//   as kCollision) unless their fingerprints collide too. Two different strings with the same
//   64-bit string hash are not told apart (probability about n^2 / 2^65 for n distinct names or
//   tags).
// - Names, hosts and tags are interned (reference-counted, shared between contexts), so 200k
//   contexts that share `env:prod` store it once; so are whole tag sets, so the contexts of one
//   service that differ only by name share one tag array.
// - Bounded: beyond `max_contexts` new contexts are refused (kLimit); the caller counts the drop.
// Single-threaded (one aggregation strand owns it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "agent/runtime/memory_account.h"
#include "statsd/chunked_vector.h"

namespace sidecar::statsd {

namespace internal {

// A fast 64-bit hash of bytes (multiply-fold mixing, 16 bytes per step). Not stable across
// versions of this file: keys never leave the process.
uint64_t HashBytes(std::string_view bytes, uint64_t seed);
// The hash of one tag as used in context keys.
inline uint64_t HashTag(std::string_view tag) { return HashBytes(tag, 0x7467u); }

// Transparent hash/equality so maps keyed by std::string can be probed with std::string_view
// (Debian's abseil has its own string_view type, so its default hash does not accept ours).
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return static_cast<size_t>(HashBytes(s, 0)); }
};
struct StringViewEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

// Reference-counted string storage; the returned views stay valid until the matching Release.
class StringInterner {
 public:
  std::string_view Intern(std::string_view s);
  void Release(std::string_view s);
  size_t size() const { return strings_.size(); }

 private:
  // node_hash_map: the std::string keys (and so their bytes) never move.
  absl::node_hash_map<std::string, uint32_t, StringViewHash, StringViewEq> strings_;
};

// Sorted, unique tag lists, one copy per distinct list, reference-counted: the contexts of a
// service mostly differ by name and share one tag set, so a context holds a view of the shared list
// instead of its own array. The tag strings themselves are interned in `strings`.
class TagSetInterner {
 public:
  explicit TagSetInterner(StringInterner& strings) : strings_(strings) {}
  TagSetInterner(const TagSetInterner&) = delete;
  TagSetInterner& operator=(const TagSetInterner&) = delete;

  // The shared list equal to `sorted_unique_tags` (views into anything; the returned views are
  // interned), valid until the matching Release.
  std::span<const std::string_view> Intern(std::span<const std::string_view> sorted_unique_tags);
  void Release(std::span<const std::string_view> tags);
  size_t size() const { return lists_.size(); }

 private:
  struct TagList {
    std::unique_ptr<std::string_view[]> tags;  // Heap storage: views of it survive rehashing.
    size_t size = 0;
  };
  static std::span<const std::string_view> View(std::span<const std::string_view> tags) {
    return tags;
  }
  static std::span<const std::string_view> View(const TagList& list) {
    return {list.tags.get(), list.size};
  }
  struct TagListHash {
    using is_transparent = void;
    template <typename List>
    size_t operator()(const List& list) const {
      uint64_t hash = View(list).size();
      for (const std::string_view tag : View(list)) {
        hash = HashBytes(tag, hash);
      }
      return static_cast<size_t>(hash);
    }
  };
  struct TagListEq {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::ranges::equal(View(a), View(b));
    }
  };

  StringInterner& strings_;
  absl::node_hash_map<TagList, uint32_t, TagListHash, TagListEq> lists_;
};

}  // namespace internal

// A fixed set of tags added to samples (not from the client), sorted and de-duplicated, with the
// per-tag hashes computed once. Immutable after construction.
class ExtraTags {
 public:
  ExtraTags() = default;
  explicit ExtraTags(std::vector<std::string> tags);

  // Sorted by string, unique.
  const std::vector<std::string>& tags() const { return tags_; }
  // The per-tag hashes, sorted by value, unique.
  std::span<const uint64_t> hashes() const { return hashes_; }
  // Wrapping sums of hashes() and of their fingerprint mixes.
  uint64_t hash_sum() const { return hash_sum_; }
  uint64_t check_sum() const { return check_sum_; }

 private:
  std::vector<std::string> tags_;
  std::vector<uint64_t> hashes_;
  uint64_t hash_sum_ = 0;
  uint64_t check_sum_ = 0;
};

// The tag part of a context key: what the union of a sample's client tags and its ExtraTags
// contributes. It depends only on those two, so a caller that sees the same tag list again (the
// Enricher caches it per raw tag section) computes it once and passes it to Resolve(), which then
// hashes just the name and the host.
struct TagSetKey {
  uint64_t sum = 0;    // Wrapping sum of the unique tag hashes.
  uint64_t check = 0;  // Wrapping sum of their fingerprint mixes.
  size_t count = 0;    // Number of unique tags.
};

// The TagSetKey of `tags` (any order, duplicates allowed) ∪ `extra`. `scratch` is working storage
// (its capacity is reused; its contents are unspecified afterwards).
TagSetKey ComputeTagSetKey(std::span<const std::string_view> tags, const ExtraTags& extra,
                           std::vector<uint64_t>& scratch);

using ContextId = uint32_t;

struct Context {
  uint64_t key = 0;
  std::string_view name;                   // Interned.
  std::string_view host;                   // Interned.
  std::span<const std::string_view> tags;  // Shared; sorted by string, unique (client ∪ extra).
};

struct ResolveResult {
  enum class Status : uint8_t {
    kResolved,   // `id` is the context (found or created)
    kLimit,      // new context refused: max_contexts reached, or no memory for it
    kCollision,  // 64-bit key collision with a different context (astronomically rare)
  };
  Status status = Status::kResolved;
  ContextId id = 0;
  bool created = false;
};

class ContextResolver {
 public:
  // What one live context costs, everything it holds in the sampler included (its interned
  // strings, index entry, state, a slot in each open bucket, its share of a flush): an upper
  // estimate, charged to `share` (agent/runtime/memory_account.h) in chunks of 256 contexts.
  static constexpr uint64_t kBytesPerContext = 512;

  // Beyond `max_contexts` live contexts, or when `share` (may be null) has no room for one more,
  // new contexts are refused (kLimit).
  explicit ContextResolver(size_t max_contexts, runtime::MemoryShare* share = nullptr);
  ContextResolver(const ContextResolver&) = delete;
  ContextResolver& operator=(const ContextResolver&) = delete;

  // Finds or creates the context of `name`, `host` and the union of `tags` (any order, duplicates
  // allowed) and `extra`. Allocates only when it creates a context. `tag_key`, when given, must be
  // ComputeTagSetKey(tags, extra): it saves hashing and sorting the tags.
  ResolveResult Resolve(std::string_view name, std::string_view host,
                        std::span<const std::string_view> tags, const ExtraTags& extra,
                        const TagSetKey* tag_key = nullptr);

  // The key Resolve() would use, without looking anything up. For tests.
  uint64_t KeyOf(std::string_view name, std::string_view host,
                 std::span<const std::string_view> tags, const ExtraTags& extra);

  const Context& Get(ContextId id) const { return contexts_[id]; }
  // Forgets a context; its id may be reused by the next created context.
  void Remove(ContextId id);

  size_t size() const { return index_.size(); }
  // Distinct tag sets among the live contexts (they share one copy each).
  size_t tag_set_count() const { return tag_sets_.size(); }
  size_t max_contexts() const { return max_contexts_; }
  // One past the largest id ever handed out (ids below it may be free).
  size_t id_bound() const { return contexts_.size(); }
  bool IsLive(ContextId id) const { return id < live_.size() && live_[id] != 0; }

 private:
  struct Entry {
    ContextId id;
    uint32_t check;  // The fingerprint's high half.
  };
  struct Keys {
    uint64_t key;
    uint64_t check;
  };
  Keys CombineKeys(std::string_view name, std::string_view host, const TagSetKey& tag_key) const;

  size_t max_contexts_;
  runtime::ChunkedCharge charge_;
  uint64_t empty_host_hash_;  // Sidecar mode has no hosts: hashed once.
  absl::flat_hash_map<uint64_t, Entry> index_;
  ChunkedVector<Context> contexts_;
  std::vector<uint8_t> live_;
  std::vector<ContextId> free_ids_;
  internal::StringInterner strings_;
  internal::TagSetInterner tag_sets_{strings_};
  std::vector<uint64_t> scratch_;               // For ComputeTagSetKey().
  std::vector<std::string_view> tags_scratch_;  // A new context's tag union.
};

}  // namespace sidecar::statsd
