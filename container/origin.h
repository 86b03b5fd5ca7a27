// File: container/origin.h
//
// Origin detection (spec ../shared/spec/ecs-logs.md §A2.3): which container of the task sent a
// metric, span or log, from the in-band id the client attached, and the tags that follow. Source
// addresses never identify a sender (every container of an awsvpc task shares one loopback), so
// only these ids do:
//   DogStatsD `c:` field          `ci-<id>`, `in-<cgroup inode>`, a raw `<id>`, or a comma list
//   `dd.internal.entity_id:` tag  a container id (a UUID is a Kubernetes pod uid: no container)
//   Datadog-Entity-ID header      `ci-<id>` / `cid-<id>` (legacy) / `in-<inode>`
//   Datadog-Container-ID header   a raw `<id>`
// where `<id>` is the DockerId: 64 hex on EC2, `<32 hex>-<digits>` on Fargate, or a unique prefix
// of at least 12 characters (Docker's short id). Unknown ids, inodes (we cannot read cgroups) and
// pod uids get the task-level tags.
//
//   common::Snapshot<TagStore> tags;                 // published by the metadata poller
//   TaggerOriginTags origin(tags, cardinality);      // DD_DOGSTATSD_TAG_CARDINALITY
//   statsd::Enricher enricher(config, &origin, stats);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/snapshot.h"
#include "container/tagger.h"
#include "statsd/enricher.h"

namespace sidecar::container {

enum class OriginKind {
  kNone,         // Empty, or nothing usable.
  kContainerId,  // `value` is a container id (maybe short).
  kCgroupInode,  // `value` is a cgroup v2 inode number.
  kPodUid,       // `value` is a UUID: a Kubernetes pod uid, not a container.
};

struct OriginRef {
  OriginKind kind = OriginKind::kNone;
  std::string_view value;  // Points into the parsed text.
};

// Classifies one origin value as sent (any of the forms above). For a comma list, the first
// container id wins, else the first inode. Surrounding ASCII spaces are ignored.
OriginRef ParseOriginId(std::string_view raw);

// The DockerId in `store` that `raw` designates, or "" (see TagStore::FindContainerId; ids are
// also tried lower-cased). The view points into `store`.
std::string_view ResolveContainerId(const TagStore& store, std::string_view raw);

// Tags for telemetry carrying `raw`: the container's at `cardinality`, else the task's. Never null.
TagStore::TagList TagsForOrigin(const TagStore& store, std::string_view raw,
                                Cardinality cardinality);

// statsd::OriginTags over the latest published TagStore. TagsFor() reads the snapshot on each call
// (the Enricher calls it once per origin and caches the answer until RefreshOrigins()).
class TaggerOriginTags : public statsd::OriginTags {
 public:
  // `snapshot` must outlive this object.
  TaggerOriginTags(const common::Snapshot<TagStore>& snapshot, Cardinality cardinality);

  // statsd::OriginTags
  std::shared_ptr<const std::vector<std::string>> TagsFor(std::string_view container_id) override;
  uint64_t Version() const override { return snapshot_.Version(); }

  Cardinality cardinality() const { return cardinality_; }

 private:
  const common::Snapshot<TagStore>& snapshot_;
  Cardinality cardinality_;
};

}  // namespace sidecar::container
