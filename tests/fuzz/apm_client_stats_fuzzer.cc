// Fuzz target for the /v0.6/stats decoder (apm/stats_codec.h DecodeClientStatsPayload). Besides
// "no crash", it checks cheap invariants: every error is InvalidArgument; an accepted payload stays
// within the per-payload limits; decoding is deterministic (compared through the encoder); and,
// msgpack being prefix-free, dropping the last byte of an accepted body makes it fail.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "apm/stats_codec.h"

namespace sidecar::apm {
namespace {

void Require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void CheckLimits(const ClientStatsPayload& payload) {
  Require(payload.stats.size() <= kMaxClientStatsBuckets);
  size_t groups = 0;
  size_t tag_strings = payload.tags.size();
  for (const ClientStatsBucket& bucket : payload.stats) {
    groups += bucket.stats.size();
    for (const ClientGroupedStats& group : bucket.stats) {
      tag_strings += group.peer_tags.size() + group.span_derived_primary_tags.size() +
                     group.additional_metric_tags.size();
    }
  }
  Require(groups <= kMaxClientStatsGroups);
  Require(tag_strings <= kMaxClientStatsTagStrings);
}

std::string Encoded(ClientStatsPayload payload) {
  StatsPayload wrapper;
  wrapper.stats.push_back(std::move(payload));
  return EncodeStatsPayload(wrapper);
}

void Check(std::string_view body) {
  absl::StatusOr<ClientStatsPayload> first = DecodeClientStatsPayload(body);
  absl::StatusOr<ClientStatsPayload> second = DecodeClientStatsPayload(body);
  Require(first.ok() == second.ok());
  if (!first.ok()) {
    Require(absl::IsInvalidArgument(first.status()));
    Require(first.status() == second.status());
    return;
  }
  CheckLimits(*first);
  Require(Encoded(*first) == Encoded(*second));
  Require(!body.empty());
  Require(!DecodeClientStatsPayload(body.substr(0, body.size() - 1)).ok());
}

}  // namespace
}  // namespace sidecar::apm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sidecar::apm::Check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
