#include "apm/score_sampler.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace sidecar::apm {
namespace {

// Large prime that fits in int64 (so tracers without uint64 can compute the same decision).
constexpr uint64_t kKnuthFactor = 1111111111111111111ULL;

uint32_t FnvByte(uint32_t hash, uint8_t byte) { return (hash ^ byte) * kFnv32Prime; }

const std::string& SampleRateKey() {
  static const std::string key = "_sample_rate";
  return key;
}
const std::string& PreSampleRateKey() {
  static const std::string key = "_dd1.sr.rapre";
  return key;
}

int64_t BucketId(std::chrono::steady_clock::time_point now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  return seconds.count() / kBucketDuration.count();
}

size_t BucketIndex(int64_t bucket_id) {
  return static_cast<size_t>(((bucket_id % kNumBuckets) + kNumBuckets) % kNumBuckets);
}

// Zeroes buckets that fell out of the window between the two rotations and returns the largest
// count of the window. The bucket being reused is read before it is zeroed, so a full window of
// history always takes part.
template <typename Buckets>
double ZeroAndGetMax(Buckets& buckets, int64_t previous_bucket, int64_t new_bucket) {
  double max_count = 0;
  for (int64_t i = previous_bucket + 1; i <= previous_bucket + kNumBuckets; ++i) {
    double& bucket = buckets[BucketIndex(i)];
    if (i < new_bucket) {
      bucket = 0;
      continue;
    }
    max_count = std::max(max_count, bucket);
    if (i == new_bucket) {
      bucket = 0;
    }
  }
  return max_count;
}

}  // namespace

uint32_t Fnv1a32(std::string_view data, uint32_t hash) {
  for (char c : data) {
    hash = FnvByte(hash, static_cast<uint8_t>(c));
  }
  return hash;
}

uint32_t ComputeSpanHash(const Span& span, std::string_view env, bool with_resource) {
  uint32_t hash = Fnv1a32(env);
  hash = Fnv1a32(span.service(), hash);
  hash = Fnv1a32(span.name(), hash);
  // The Agent hashes the error flag as a single byte (truncated).
  hash = FnvByte(hash, static_cast<uint8_t>(span.error()));
  if (with_resource) {
    hash = Fnv1a32(span.resource(), hash);
  }
  if (auto it = span.meta().find("http.status_code"); it != span.meta().end()) {
    hash = Fnv1a32(it->second, hash);
  }
  if (auto it = span.meta().find("error.type"); it != span.meta().end()) {
    hash = Fnv1a32(it->second, hash);
  }
  return hash;
}

Signature ComputeTraceSignature(const TraceChunk& chunk, const Span& root, std::string_view env) {
  const uint32_t root_hash = ComputeSpanHash(root, env, /*with_resource=*/true);
  std::vector<uint32_t> span_hashes;
  span_hashes.reserve(static_cast<size_t>(chunk.spans_size()));
  for (const Span& span : chunk.spans()) {
    span_hashes.push_back(ComputeSpanHash(span, env, /*with_resource=*/false));
  }
  if (span_hashes.empty()) {
    return root_hash;
  }
  std::sort(span_hashes.begin(), span_hashes.end());
  span_hashes.erase(std::unique(span_hashes.begin(), span_hashes.end()), span_hashes.end());
  uint32_t trace_hash = root_hash;
  for (uint32_t hash : span_hashes) {
    trace_hash ^= hash;
  }
  return trace_hash;
}

Signature ComputeServiceSignature(std::string_view service, std::string_view env) {
  uint32_t hash = Fnv1a32(service);
  hash = FnvByte(hash, ',');
  return Fnv1a32(env, hash);
}

bool SampleByRate(uint64_t trace_id, double rate) {
  if (rate >= 1) {
    return true;
  }
  if (!(rate > 0)) {
    return false;
  }
  // (2^64 − 1) rounds to 2^64 as a double; a product that rounds up to it would overflow the
  // conversion, and every hash is below it anyway.
  const double threshold = rate * static_cast<double>(std::numeric_limits<uint64_t>::max());
  if (threshold >= 18446744073709551616.0) {
    return true;
  }
  return trace_id * kKnuthFactor < static_cast<uint64_t>(threshold);
}

double MetricOr(const Span& span, const std::string& key, double fallback) {
  const auto it = span.metrics().find(key);
  return it == span.metrics().end() ? fallback : it->second;
}

bool HasMetric(const Span& span, const std::string& key) {
  return span.metrics().find(key) != span.metrics().end();
}

double RootWeight(const Span& root) {
  double client_rate = MetricOr(root, SampleRateKey(), 1);
  if (!(client_rate > 0 && client_rate <= 1)) {
    client_rate = 1;
  }
  double pre_sampler_rate = MetricOr(root, PreSampleRateKey(), 1);
  if (!(pre_sampler_rate > 0 && pre_sampler_rate <= 1)) {
    pre_sampler_rate = 1;
  }
  return 1.0 / (pre_sampler_rate * client_rate);
}

double ComputeTpsPerSignature(double target_tps, std::vector<double> seen_tps) {
  if (seen_tps.empty()) {
    return target_tps;
  }
  std::sort(seen_tps.begin(), seen_tps.end());
  const size_t n = seen_tps.size();
  double per_signature = target_tps / static_cast<double>(n);
  for (size_t i = 0; i + 1 < n; ++i) {
    if (seen_tps[i] >= per_signature) {
      break;
    }
    // This signature needs less than its share: give the rest to the busier ones.
    target_tps -= seen_tps[i];
    per_signature = target_tps / static_cast<double>(n - i - 1);
  }
  return per_signature;
}

bool CoreSampler::CountWeighted(std::chrono::steady_clock::time_point now, Signature signature,
                                double weight) {
  const int64_t bucket_id = BucketId(now);
  if (!started_) {
    // The first count opens the window; it is not a rotation (nothing to rate yet).
    started_ = true;
    last_bucket_id_ = bucket_id;
  }
  const int64_t previous_bucket = last_bucket_id_;
  last_bucket_id_ = bucket_id;
  const bool rotated = previous_bucket != bucket_id;
  if (rotated) {
    UpdateRates(previous_bucket, bucket_id);
  }
  const size_t index = BucketIndex(bucket_id);
  all_seen_[index] += weight;
  seen_[signature][index] += weight;
  return rotated;
}

void CoreSampler::UpdateRates(int64_t previous_bucket, int64_t new_bucket) {
  if (seen_.empty()) {
    return;
  }
  std::vector<Signature> signatures;
  std::vector<double> seen_tps;
  signatures.reserve(seen_.size());
  seen_tps.reserve(seen_.size());
  const auto bucket_seconds = static_cast<double>(kBucketDuration.count());
  for (auto& [signature, buckets] : seen_) {
    signatures.push_back(signature);
    seen_tps.push_back(ZeroAndGetMax(buckets, previous_bucket, new_bucket) / bucket_seconds);
  }
  ZeroAndGetMax(all_seen_, previous_bucket, new_bucket);

  const double tps_per_signature = ComputeTpsPerSignature(target_tps_, seen_tps);
  absl::flat_hash_map<Signature, double> rates;
  rates.reserve(signatures.size());
  lowest_rate_ = 1;
  for (size_t i = 0; i < signatures.size(); ++i) {
    const double tps = seen_tps[i];
    double rate = 1;
    if (tps_per_signature < tps && tps > 0) {
      rate = tps_per_signature / tps;
    }
    // Rates fall at once but rise slowly: ×1.2 per 5 s is ×10 in about a minute.
    if (auto it = rates_.find(signatures[i]); it != rates_.end() && it->second != 0) {
      if (rate / it->second > kMaxRateIncrease) {
        rate = it->second * kMaxRateIncrease;
      }
    }
    rate = std::min(rate, 1.0);
    if (rate == 1.0 && tps == 0) {
      seen_.erase(signatures[i]);  // idle for a whole window: forget it
      continue;
    }
    lowest_rate_ = std::min(lowest_rate_, rate);
    rates[signatures[i]] = rate;
  }
  rates_ = std::move(rates);
}

double CoreSampler::SignatureRate(Signature signature) const {
  const auto it = rates_.find(signature);
  return it == rates_.end() ? DefaultRate() : it->second;
}

double CoreSampler::DefaultRate() const {
  if (target_tps_ == 0) {
    return 0;
  }
  const double max_seen = *std::max_element(all_seen_.begin(), all_seen_.end());
  const double seen_tps = max_seen / static_cast<double>(kBucketDuration.count());
  double rate = 1;
  if (target_tps_ < seen_tps && seen_tps > 0) {
    rate = target_tps_ / seen_tps;
  }
  if (lowest_rate_ != 0 && lowest_rate_ < rate) {
    return lowest_rate_;
  }
  return rate;
}

void CoreSampler::Forget(Signature signature) {
  seen_.erase(signature);
  rates_.erase(signature);
}

Signature ScoreSampler::Shrink(Signature signature) {
  if (core_.Size() < kShrinkCardinality / 2) {
    shrinking_ = false;
    shrink_allow_list_.clear();
    return signature;
  }
  if (!shrinking_) {
    shrinking_ = true;
    shrink_allow_list_ = core_.Rates();
  }
  if (shrink_allow_list_.contains(signature)) {
    return signature;
  }
  return signature % (kShrinkCardinality / 2);
}

bool ScoreSampler::Sample(std::chrono::steady_clock::time_point now, const TraceChunk& chunk,
                          Span& root, std::string_view env) {
  if (disabled_ || chunk.spans_size() == 0) {
    return false;
  }
  const Signature signature = Shrink(ComputeTraceSignature(chunk, root, env));
  core_.CountWeighted(now, signature, RootWeight(root));
  const double rate = core_.SignatureRate(signature);
  // The tracer's own sampling compounds with ours: keep by the product, report only ours.
  const double combined = MetricOr(root, SampleRateKey(), 1) * rate;
  if (!SampleByRate(root.traceid(), combined)) {
    return false;
  }
  (*root.mutable_metrics())[rate_key_] = rate;
  return true;
}

}  // namespace sidecar::apm
