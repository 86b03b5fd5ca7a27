#include "statsd/context_resolver.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace sidecar::statsd {
namespace internal {
namespace {

__extension__ typedef unsigned __int128 Uint128;

constexpr uint64_t kP0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ULL;
constexpr uint64_t kP3 = 0x589965cc75374cc3ULL;

// 64x64 -> 128 multiply, folded: the mixing step of wyhash-style hashes.
inline uint64_t Fold(uint64_t a, uint64_t b) {
  const Uint128 product = static_cast<Uint128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

inline uint64_t Read8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline uint64_t Read4(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline uint64_t Byte(const char* p) { return static_cast<unsigned char>(*p); }

}  // namespace

uint64_t HashBytes(std::string_view bytes, uint64_t seed) {
  const char* p = bytes.data();
  const size_t n = bytes.size();
  seed ^= Fold(seed ^ kP0, kP1);
  uint64_t a = 0;
  uint64_t b = 0;
  if (n <= 16) {
    if (n >= 4) {
      const size_t step = (n >> 3) << 2;  // 0 for 4..7 bytes, 4 for 8..16 bytes.
      a = (Read4(p) << 32) | Read4(p + step);
      b = (Read4(p + n - 4) << 32) | Read4(p + n - 4 - step);
    } else if (n > 0) {
      a = (Byte(p) << 16) | (Byte(p + (n >> 1)) << 8) | Byte(p + n - 1);
    }
  } else {
    size_t left = n;
    while (left > 16) {
      seed = Fold(Read8(p) ^ kP1, Read8(p + 8) ^ seed);
      p += 16;
      left -= 16;
    }
    a = Read8(p + left - 16);
    b = Read8(p + left - 8);
  }
  return Fold(kP1 ^ n, Fold(a ^ kP1, b ^ seed) ^ kP2);
}

std::string_view StringInterner::Intern(std::string_view s) {
  auto it = strings_.find(s);
  if (it == strings_.end()) {
    it = strings_.emplace(std::string(s), 0).first;
  }
  ++it->second;
  return it->first;
}

std::span<const std::string_view> TagSetInterner::Intern(
    std::span<const std::string_view> sorted_unique_tags) {
  auto it = lists_.find(sorted_unique_tags);
  if (it == lists_.end()) {
    TagList list{std::make_unique<std::string_view[]>(sorted_unique_tags.size()),
                 sorted_unique_tags.size()};
    for (size_t i = 0; i < list.size; ++i) {
      list.tags[i] = strings_.Intern(sorted_unique_tags[i]);
    }
    it = lists_.emplace(std::move(list), 0).first;
  }
  ++it->second;
  return View(it->first);
}

void TagSetInterner::Release(std::span<const std::string_view> tags) {
  const auto it = lists_.find(tags);
  if (it == lists_.end() || --it->second > 0) {
    return;
  }
  for (const std::string_view tag : View(it->first)) {
    strings_.Release(tag);
  }
  lists_.erase(it);
}

void StringInterner::Release(std::string_view s) {
  auto it = strings_.find(s);
  if (it == strings_.end()) {
    return;
  }
  if (--it->second == 0) {
    strings_.erase(it);
  }
}

}  // namespace internal

namespace {

constexpr uint64_t kNameSeed = 0x6e616d65u;
constexpr uint64_t kHostSeed = 0x686f7374u;

uint64_t CombineKey(uint64_t name_hash, uint64_t host_hash, uint64_t tag_sum, size_t tag_count) {
  const uint64_t head = internal::Fold(name_hash ^ internal::kP0, host_hash ^ internal::kP1);
  return internal::Fold(head ^ tag_sum ^ internal::kP2,
                        static_cast<uint64_t>(tag_count) ^ internal::kP3);
}

// The fingerprint: the same inputs through different constants and a different per-tag mix.
inline uint64_t CheckMix(uint64_t tag_hash) {
  return internal::Fold(tag_hash ^ internal::kP3, internal::kP0 + (tag_hash >> 29));
}

uint64_t CombineCheck(uint64_t name_hash, uint64_t host_hash, uint64_t check_sum,
                      size_t tag_count) {
  const uint64_t head = internal::Fold(name_hash ^ internal::kP2, host_hash ^ internal::kP3);
  return internal::Fold(head + check_sum + internal::kP1,
                        (static_cast<uint64_t>(tag_count) << 32) ^ internal::kP0);
}

}  // namespace

ExtraTags::ExtraTags(std::vector<std::string> tags) : tags_(std::move(tags)) {
  std::sort(tags_.begin(), tags_.end());
  tags_.erase(std::unique(tags_.begin(), tags_.end()), tags_.end());
  hashes_.reserve(tags_.size());
  for (const std::string& tag : tags_) {
    hashes_.push_back(internal::HashTag(tag));
  }
  std::sort(hashes_.begin(), hashes_.end());
  hashes_.erase(std::unique(hashes_.begin(), hashes_.end()), hashes_.end());
  for (const uint64_t h : hashes_) {
    hash_sum_ += h;
    check_sum_ += CheckMix(h);
  }
}

TagSetKey ComputeTagSetKey(std::span<const std::string_view> tags, const ExtraTags& extra,
                           std::vector<uint64_t>& scratch) {
  scratch.clear();
  for (const std::string_view tag : tags) {
    scratch.push_back(internal::HashTag(tag));
  }
  std::sort(scratch.begin(), scratch.end());
  // De-duplicate, and skip the hashes `extra` already has: the key covers the union.
  const std::span<const uint64_t> extra_hashes = extra.hashes();
  TagSetKey key{extra.hash_sum(), extra.check_sum(), extra_hashes.size()};
  size_t j = 0;
  for (size_t i = 0; i < scratch.size(); ++i) {
    const uint64_t h = scratch[i];
    if (i > 0 && h == scratch[i - 1]) {
      continue;
    }
    while (j < extra_hashes.size() && extra_hashes[j] < h) {
      ++j;
    }
    if (j < extra_hashes.size() && extra_hashes[j] == h) {
      continue;
    }
    key.sum += h;
    key.check += CheckMix(h);
    ++key.count;
  }
  return key;
}

ContextResolver::ContextResolver(size_t max_contexts, runtime::MemoryShare* share)
    : max_contexts_(max_contexts),
      charge_(share, kBytesPerContext * 256),
      empty_host_hash_(internal::HashBytes({}, kHostSeed)) {
  scratch_.reserve(64);
}

ContextResolver::Keys ContextResolver::CombineKeys(std::string_view name, std::string_view host,
                                                   const TagSetKey& tag_key) const {
  const uint64_t name_hash = internal::HashBytes(name, kNameSeed);
  const uint64_t host_hash = host.empty() ? empty_host_hash_ : internal::HashBytes(host, kHostSeed);
  return Keys{CombineKey(name_hash, host_hash, tag_key.sum, tag_key.count),
              CombineCheck(name_hash, host_hash, tag_key.check, tag_key.count)};
}

uint64_t ContextResolver::KeyOf(std::string_view name, std::string_view host,
                                std::span<const std::string_view> tags, const ExtraTags& extra) {
  return CombineKeys(name, host, ComputeTagSetKey(tags, extra, scratch_)).key;
}

ResolveResult ContextResolver::Resolve(std::string_view name, std::string_view host,
                                       std::span<const std::string_view> tags,
                                       const ExtraTags& extra, const TagSetKey* tag_key) {
  const auto [key, check] = CombineKeys(
      name, host, tag_key != nullptr ? *tag_key : ComputeTagSetKey(tags, extra, scratch_));
  ResolveResult result;
  if (const auto it = index_.find(key); it != index_.end()) {
    if (it->second.check != static_cast<uint32_t>(check >> 32)) {
      result.status = ResolveResult::Status::kCollision;
      return result;
    }
    result.id = it->second.id;
    return result;
  }
  if (index_.size() >= max_contexts_ || !charge_.Ensure((index_.size() + 1) * kBytesPerContext)) {
    result.status = ResolveResult::Status::kLimit;
    return result;
  }

  ContextId id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<ContextId>(contexts_.size());
    contexts_.resize(contexts_.size() + 1);
    live_.push_back(0);
  }
  Context& context = contexts_[id];
  context.key = key;
  context.name = strings_.Intern(name);
  context.host = strings_.Intern(host);

  std::vector<std::string_view>& all = tags_scratch_;
  all.assign(tags.begin(), tags.end());
  for (const std::string& tag : extra.tags()) {
    all.emplace_back(tag);
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  context.tags = tag_sets_.Intern(all);
  live_[id] = 1;
  index_.emplace(key, Entry{id, static_cast<uint32_t>(check >> 32)});
  result.id = id;
  result.created = true;
  return result;
}

void ContextResolver::Remove(ContextId id) {
  if (!IsLive(id)) {
    return;
  }
  Context& context = contexts_[id];
  index_.erase(context.key);
  strings_.Release(context.name);
  strings_.Release(context.host);
  tag_sets_.Release(context.tags);
  context.name = {};
  context.host = {};
  context.tags = {};
  live_[id] = 0;
  free_ids_.push_back(id);
  charge_.Shrink(index_.size() * kBytesPerContext);
}

}  // namespace sidecar::statsd
