// The priority sampler and the rate_by_service feedback loop (apm.md §1.5, §4):
//
//   tracer ──chunks with priority 0/1──▶ PrioritySampler.Sample ──counts per (service, env)──▶
//   CoreSampler rates ──on each 5 s rotation──▶ RatesResponse snapshot ──HTTP response──▶ tracer
//
// The tracer decides (keep iff priority > 0); the agent only counts chunks of priority 0 and 1,
// weighted by the tracer's sample rate plus the P0 chunks the client dropped, and hands back the
// per-service rates that would bring the kept traffic to `target_tps`.
//
// Sample() runs on one thread; CurrentRates() may be called from any thread at the same time (it
// returns an immutable snapshot published under a mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "agent/common/clock.h"
#include "apm/score_sampler.h"
#include "apm/trace_types.h"

namespace sidecar::apm {

// What /v0.4+/traces answers (apm.md §1.5): a JSON body and the version sent in the
// Datadog-Rates-Payload-Version response header ("" until rates were first computed).
struct RatesResponse {
  std::string body;
  std::string version;
};

// The body to answer a request whose Datadog-Rates-Payload-Version header is `client_version`
// (R17): "{}" when the client already has the current version, the full map otherwise.
std::string_view RatesBodyFor(const RatesResponse& rates, std::string_view client_version);

// Renders `{"rate_by_service":{...}}` with the keys in order, rates clamped to [0, 1].
std::string RenderRatesBody(const std::map<std::string, double>& rates);

inline constexpr size_t kMaxCatalogEntries = 5000;

class PrioritySampler {
 public:
  // `agent_env` is the normalized DD_ENV: tracers without env share its rates, and its services
  // are also published under an empty env.
  PrioritySampler(double target_tps, std::string agent_env, const common::Clock& clock,
                  size_t max_catalog_entries = kMaxCatalogEntries);

  // Keeps iff the chunk priority is > 0. Priorities 0 and 1 are counted toward the rates
  // (weight = RootWeight(root) + client_dropped_p0_weight); a kept root without a rate from the
  // tracer gets `_sampling_priority_rate_v1`. Publishes new rates when a bucket rotated.
  bool Sample(std::chrono::steady_clock::time_point now, TraceChunk& chunk, Span& root,
              std::string_view tracer_env, double client_dropped_p0_weight);

  // Thread-safe; never null.
  std::shared_ptr<const RatesResponse> CurrentRates() const;

  size_t CatalogSize() const { return lru_.size(); }
  uint64_t CatalogEvictions() const { return catalog_evictions_; }
  const CoreSampler& Core() const { return core_; }

 private:
  struct CatalogEntry {
    std::string key;  // "service:<svc>,env:<env>"
    std::string service;
    std::string env;
    Signature signature;
  };

  // Returns the signature of (service, env), marking it most recently used; evicts the least
  // recently used entry beyond the cap.
  Signature Register(std::string_view service, std::string_view env);
  void PublishRates();

  CoreSampler core_;
  std::string agent_env_;
  const common::Clock& clock_;
  size_t max_catalog_entries_;
  std::list<CatalogEntry> lru_;  // front = most recently used
  absl::flat_hash_map<std::string, std::list<CatalogEntry>::iterator> catalog_;
  uint64_t catalog_evictions_ = 0;
  std::map<std::string, double> published_rates_;
  uint64_t version_counter_ = 0;

  mutable std::mutex mu_;
  std::shared_ptr<const RatesResponse> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sidecar::apm
