#include "container/origin.h"

#include "agent/common/strings.h"

namespace sidecar::container {
namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// 8-4-4-4-12 hex digits.
bool IsUuid(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !IsHex(text[i])) {
      return false;
    }
  }
  return true;
}

bool IsDecimal(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// One item (no comma).
OriginRef ParseOne(std::string_view item) {
  item = common::TrimAsciiSpace(item);
  if (item.empty()) {
    return {};
  }
  std::string_view rest = item;
  if (common::ConsumePrefix(rest, "ci-") || common::ConsumePrefix(rest, "cid-")) {
    return rest.empty() ? OriginRef{} : OriginRef{OriginKind::kContainerId, rest};
  }
  if (common::ConsumePrefix(rest, "in-")) {
    return IsDecimal(rest) ? OriginRef{OriginKind::kCgroupInode, rest} : OriginRef{};
  }
  if (IsUuid(item)) {
    return {OriginKind::kPodUid, item};
  }
  return {OriginKind::kContainerId, item};
}

}  // namespace

OriginRef ParseOriginId(std::string_view raw) {
  if (raw.find(',') == std::string_view::npos) {
    return ParseOne(raw);
  }
  OriginRef fallback;
  for (const std::string_view item : common::SplitAnyOf(raw, ",")) {
    const OriginRef ref = ParseOne(item);
    if (ref.kind == OriginKind::kContainerId) {
      return ref;
    }
    if (fallback.kind == OriginKind::kNone) {
      fallback = ref;
    }
  }
  return fallback;
}

std::string_view ResolveContainerId(const TagStore& store, std::string_view raw) {
  const OriginRef ref = ParseOriginId(raw);
  if (ref.kind != OriginKind::kContainerId) {
    return {};
  }
  if (const std::string_view id = store.FindContainerId(ref.value); !id.empty()) {
    return id;
  }
  const std::string lower = common::AsciiToLower(ref.value);
  if (lower != ref.value) {
    return store.FindContainerId(lower);
  }
  return {};
}

TagStore::TagList TagsForOrigin(const TagStore& store, std::string_view raw,
                                Cardinality cardinality) {
  if (const std::string_view id = ResolveContainerId(store, raw); !id.empty()) {
    if (TagStore::TagList tags = store.ContainerTags(id, cardinality)) {
      return tags;
    }
  }
  return store.TaskTags(cardinality);
}

TaggerOriginTags::TaggerOriginTags(const common::Snapshot<TagStore>& snapshot,
                                   Cardinality cardinality)
    : snapshot_(snapshot), cardinality_(cardinality) {}

std::shared_ptr<const std::vector<std::string>> TaggerOriginTags::TagsFor(
    std::string_view container_id) {
  const std::shared_ptr<const TagStore> store = snapshot_.Get();
  return TagsForOrigin(*store, container_id, cardinality_);
}

}  // namespace sidecar::container
