#include "apm/priority_sampler.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "agent/common/json_writer.h"
#include "fmt/format.h"

namespace sidecar::apm {
namespace {

const std::string& AgentRateKey() {
  static const std::string key = "_dd.agent_psr";
  return key;
}
const std::string& RuleRateKey() {
  static const std::string key = "_dd.rule_psr";
  return key;
}
const std::string& DeprecatedRateKey() {
  static const std::string key = "_sampling_priority_rate_v1";
  return key;
}

std::string ServiceKey(std::string_view service, std::string_view env) {
  return fmt::format("service:{},env:{}", service, env);
}

}  // namespace

std::string_view RatesBodyFor(const RatesResponse& rates, std::string_view client_version) {
  if (!client_version.empty() && client_version == rates.version) {
    return "{}";
  }
  return rates.body;
}

std::string RenderRatesBody(const std::map<std::string, double>& rates) {
  std::string body = R"({"rate_by_service":{)";
  bool first = true;
  for (const auto& [key, rate] : rates) {
    if (!first) {
      body.push_back(',');
    }
    first = false;
    common::AppendJsonString(body, key);
    body.push_back(':');
    // Shortest round-trip form, as Go's encoder writes it (0.1, 1, 0.144).
    body += fmt::format("{}", std::clamp(rate, 0.0, 1.0));
  }
  body += "}}";
  return body;
}

PrioritySampler::PrioritySampler(double target_tps, std::string agent_env,
                                 const common::Clock& clock, size_t max_catalog_entries)
    : core_(target_tps),
      agent_env_(std::move(agent_env)),
      clock_(clock),
      max_catalog_entries_(std::max<size_t>(max_catalog_entries, 1)),
      current_(std::make_shared<const RatesResponse>(
          RatesResponse{RenderRatesBody({}), /*version=*/""})) {}

std::shared_ptr<const RatesResponse> PrioritySampler::CurrentRates() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

Signature PrioritySampler::Register(std::string_view service, std::string_view env) {
  std::string key = ServiceKey(service, env);
  if (auto it = catalog_.find(key); it != catalog_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->signature;
  }
  const Signature signature = ComputeServiceSignature(service, env);
  lru_.push_front(CatalogEntry{key, std::string(service), std::string(env), signature});
  catalog_.emplace(std::move(key), lru_.begin());
  if (lru_.size() > max_catalog_entries_) {
    // Too many services (a cardinality bug in the app, or abuse): forget the stalest one
    // entirely so the counting window stays bounded too.
    const CatalogEntry& oldest = lru_.back();
    core_.Forget(oldest.signature);
    catalog_.erase(oldest.key);
    lru_.pop_back();
    ++catalog_evictions_;
  }
  return signature;
}

bool PrioritySampler::Sample(std::chrono::steady_clock::time_point now, TraceChunk& chunk,
                             Span& root, std::string_view tracer_env,
                             double client_dropped_p0_weight) {
  if (chunk.spans_size() == 0) {
    return false;
  }
  const int32_t priority = chunk.priority();
  const bool sampled = priority > 0;
  // Only automatic decisions (0, 1) are the tracer following our rates; user decisions and a
  // missing priority must not move them.
  if (priority < kPriorityAutoDrop || priority > kPriorityAutoKeep) {
    return sampled;
  }
  // The weight comes from a request header; a bogus value must not poison the window.
  if (!std::isfinite(client_dropped_p0_weight) || client_dropped_p0_weight < 0) {
    client_dropped_p0_weight = 0;
  }
  const std::string_view env = tracer_env.empty() ? std::string_view(agent_env_) : tracer_env;
  const Signature signature = Register(root.service(), env);
  if (core_.CountWeighted(now, signature, RootWeight(root) + client_dropped_p0_weight)) {
    PublishRates();
  }
  if (sampled && root.parentid() == 0 && !HasMetric(root, AgentRateKey()) &&
      !HasMetric(root, RuleRateKey()) && !HasMetric(root, DeprecatedRateKey())) {
    // Old tracers do not report the rate they applied; record ours for the backend.
    (*root.mutable_metrics())[DeprecatedRateKey()] = core_.SignatureRate(signature);
  }
  return sampled;
}

void PrioritySampler::PublishRates() {
  std::map<std::string, double> rates;
  const auto& local = core_.Rates();
  for (auto it = lru_.begin(); it != lru_.end();) {
    const auto rate = local.find(it->signature);
    if (rate == local.end()) {
      // No traffic left in the window: the service leaves the catalog and the response.
      catalog_.erase(it->key);
      it = lru_.erase(it);
      continue;
    }
    const double clamped = std::clamp(rate->second, 0.0, 1.0);
    rates[it->key] = clamped;
    if (it->env == agent_env_) {
      rates[ServiceKey(it->service, "")] = clamped;
    }
    ++it;
  }
  rates[ServiceKey("", "")] = std::clamp(core_.DefaultRate(), 0.0, 1.0);
  if (rates == published_rates_ && version_counter_ != 0) {
    return;
  }
  const auto unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.SystemNow().time_since_epoch())
          .count();
  auto response = std::make_shared<const RatesResponse>(RatesResponse{
      RenderRatesBody(rates), fmt::format("{:x}-{:x}", unix_seconds, ++version_counter_)});
  published_rates_ = std::move(rates);
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(response);
}

}  // namespace sidecar::apm
