#include "statsd/time_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "statsd/go_number.h"

namespace sidecar::statsd {
namespace {

constexpr uint64_t kSetSeed = 0x736574u;
// Sample buffers larger than this are freed when their bucket is flushed, so that a burst does not
// keep its memory for good; smaller ones are kept for reuse (no allocation in steady state).
constexpr size_t kMaxKeptHistogramCapacity = 16;
// Below this many buffered values a full buffer simply grows; above it, it is compacted first.
constexpr size_t kMinCompactedSize = 64;
// What the memory pool is charged per buffered histogram value (a double and a weight, 16 bytes)
// or set member (an 8-byte hash), in chunks of 4096 values: twice the larger, as a buffer grows
// by doubling and may hold up to twice its values.
constexpr uint64_t kBytesPerBufferedValue = 32;
constexpr uint64_t kValueChargeChunk = 4096 * kBytesPerBufferedValue;

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

// Equal histogram values are merged into one (value, total weight) entry. Every aggregate of the
// flush (max, min, median, percentiles over cumulative weight in value order; sum and count are
// kept in the slot) depends only on each value's total weight, so the result is exact, and a
// context that repeats a few values keeps a few entries however many samples it gets in a bucket.
void Compact(std::vector<std::pair<double, int64_t>>& samples) {
  std::sort(samples.begin(), samples.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t kept = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    if (SameBits(samples[i].first, samples[kept].first)) {
      samples[kept].second += samples[i].second;
    } else {
      samples[++kept] = samples[i];
    }
  }
  samples.resize(kept + 1);
}

// The same for set members: only the distinct hashes count.
void Compact(std::vector<uint64_t>& hashes) {
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
}

// Says whether one more value fits in `values` under `max` buffered values in all (`buffered`),
// and in what `charge` may take from the memory pool.
// A buffer is compacted before it grows, and when the bound is reached if it got new values since
// its last compaction (`compacted` is its size then), so a flood of distinct values at the bound
// costs one compaction per buffer, not one per value.
template <typename Values>
bool MakeRoomForOne(Values& values, uint32_t& compacted, size_t& buffered, size_t max,
                    runtime::ChunkedCharge& charge) {
  const auto has_room = [&] {
    return buffered < max && charge.Ensure((buffered + 1) * kBytesPerBufferedValue);
  };
  const size_t before = values.size();
  const bool full = before >= kMinCompactedSize && before == values.capacity();
  // Asked once more only after a compaction freed room: a refused charge touches the pool's
  // atomics, and at the bound every sample of a flood is refused.
  bool room = has_room();
  if (full || (!room && before > compacted)) {
    if (before > 1) {
      Compact(values);
    }
    compacted = static_cast<uint32_t>(values.size());
    const size_t merged = before - values.size();
    buffered -= merged;
    room = room || (merged > 0 && has_room());
  }
  if (!room) {
    return false;
  }
  ++buffered;
  return true;
}

template <typename Values>
void ClearAndTrim(Values& values) {
  values.clear();
  if (values.capacity() > kMaxKeptHistogramCapacity) {
    values.shrink_to_fit();
  }
}

// Go's int64(x) on amd64 (CVTTSD2SQ): truncation; NaN and out-of-range give math.MinInt64.
int64_t GoFloatToInt64(double x) {
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(x);
}

const ExtraTags& NoExtraTags() {
  static const ExtraTags* const kEmpty = new ExtraTags();
  return *kEmpty;
}

std::vector<std::string> UnionTags(std::span<const std::string_view> client,
                                   const ExtraTags& extra) {
  std::vector<std::string> tags;
  tags.reserve(client.size() + extra.tags().size());
  for (const std::string_view tag : client) {
    tags.emplace_back(tag);
  }
  tags.insert(tags.end(), extra.tags().begin(), extra.tags().end());
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

// floor(t) as an integer; NaN or absurd clocks give 0 rather than undefined behaviour.
int64_t FloorSeconds(double t) {
  const double floored = std::floor(t);
  return floored > -9.0e18 && floored < 9.0e18 ? static_cast<int64_t>(floored) : 0;
}

}  // namespace

int64_t BucketStart(double t) {
  const int64_t seconds = FloorSeconds(t);
  int64_t remainder = seconds % kBucketSeconds;
  if (remainder < 0) {
    remainder += kBucketSeconds;
  }
  return seconds - remainder;
}

std::vector<int> ParseHistogramPercentiles(const std::vector<std::string>& percentiles) {
  std::vector<int> parsed;
  for (const std::string& text : percentiles) {
    const std::optional<double> p = internal::ParseGoFloat(text);
    if (!p.has_value() || !(*p >= 0 && *p <= 1)) {
      continue;
    }
    parsed.push_back(static_cast<int>(*p * 100 + 0.5));
  }
  return parsed;
}

TimeSampler::TimeSampler(TimeSamplerConfig config, StatsdStats& stats)
    : config_(std::move(config)),
      stats_(stats),
      resolver_(config_.max_contexts, config_.contexts_share),
      values_charge_(config_.values_share, kValueChargeChunk) {
  config_.context_expiry_seconds =
      std::max<int64_t>(config_.context_expiry_seconds, kBucketSeconds);
  for (const std::string& name : config_.histogram_aggregates) {
    Aggregate aggregate;
    if (name == "max") {
      aggregate = Aggregate::kMax;
    } else if (name == "min") {
      aggregate = Aggregate::kMin;
    } else if (name == "median") {
      aggregate = Aggregate::kMedian;
    } else if (name == "avg") {
      aggregate = Aggregate::kAvg;
    } else if (name == "sum") {
      aggregate = Aggregate::kSum;
    } else if (name == "count") {
      aggregate = Aggregate::kCount;
    } else {
      continue;  // F09: unknown aggregates are skipped.
    }
    aggregates_.push_back(aggregate);
    aggregate_suffixes_.push_back("." + name);
  }
  percentiles_ = ParseHistogramPercentiles(config_.histogram_percentiles);
  std::sort(percentiles_.begin(), percentiles_.end());
  for (const int p : percentiles_) {
    percentile_suffixes_.push_back("." + std::to_string(p) + "percentile");
  }
}

TimeSampler::~TimeSampler() = default;

// ---------------------------------------------------------------------------------------------
// Adding samples

void TimeSampler::Add(const EnrichedSample& sample, double now) {
  if (sample.timestamp.has_value()) {
    AddNoAggregation(sample);
    return;
  }
  const bool is_set = sample.type == MetricType::kSet;
  const size_t value_count = is_set ? 1 : sample.values.size();
  const ExtraTags& extra = sample.extra_tags != nullptr ? *sample.extra_tags : NoExtraTags();

  const ResolveResult resolved =
      resolver_.Resolve(sample.name, sample.host, sample.tags, extra, sample.tag_key);
  if (resolved.status != ResolveResult::Status::kResolved) {
    (resolved.status == ResolveResult::Status::kLimit ? stats_.dropped_context_limit()
                                                      : stats_.dropped_context_collision())
        .Add(value_count);
    return;
  }
  const ContextId id = resolved.id;
  if (resolved.created) {
    if (states_.size() <= id) {
      states_.resize(size_t{id} + 1);
    }
    states_[id] = ContextState{};
    states_[id].last_seen = now;
    stats_.contexts().Set(static_cast<int64_t>(resolver_.size()));
  }

  Bucket& bucket = BucketFor(BucketStart(now));
  size_t added = 0;
  if (is_set) {
    AddValue(SlotFor(id, bucket, sample.type), 0.0, sample.set_value, sample.sample_rate);
    added = 1;
  } else {
    Slot* slot = nullptr;
    for (const double value : sample.values) {
      if (!std::isfinite(value)) {
        stats_.dropped_nan_or_inf().Add();
        continue;
      }
      if (slot == nullptr) {
        slot = &SlotFor(id, bucket, sample.type);
      }
      AddValue(*slot, value, {}, sample.sample_rate);
      ++added;
    }
  }
  if (added == 0) {
    return;
  }
  ContextState& state = states_[id];
  state.last_seen = std::max(state.last_seen, now);
  if (sample.type == MetricType::kCounter) {
    state.counter_last_seen = state.zero_fill ? std::max(state.counter_last_seen, now) : now;
    state.zero_fill = true;
  }
}

TimeSampler::Bucket& TimeSampler::BucketFor(int64_t start) {
  if (current_ != nullptr && current_->start == start) {
    return *current_;
  }
  for (const std::unique_ptr<Bucket>& bucket : buckets_) {
    if (bucket->start == start) {
      current_ = bucket.get();
      return *current_;
    }
  }
  std::unique_ptr<Bucket> bucket;
  if (!free_buckets_.empty()) {
    bucket = std::move(free_buckets_.back());
    free_buckets_.pop_back();
  } else {
    bucket = std::make_unique<Bucket>();
  }
  bucket->start = start;
  current_ = bucket.get();
  buckets_.push_back(std::move(bucket));
  return *current_;
}

TimeSampler::Slot& TimeSampler::SlotFor(ContextId id, Bucket& bucket, MetricType type) {
  if (bucket.slots.size() <= id) {
    bucket.slots.resize(std::max<size_t>(resolver_.id_bound(), size_t{id} + 1));
  }
  Slot& slot = bucket.slots[id];
  if (slot.live) {
    return slot;
  }
  slot.live = true;
  bucket.contexts.push_back(id);
  slot.type = type == MetricType::kTiming ? MetricType::kHistogram : type;
  slot.value = 0;
  slot.count = 0;
  if (SlotData* data = slot.data.get(); data != nullptr) {
    // Emptied when its bucket was released.
    if (data->sketch != nullptr) {
      data->sketch->Clear();
    }
  }
  return slot;
}

void TimeSampler::AddValue(Slot& slot, double value, std::string_view set_value,
                           double sample_rate) {
  const auto data = [&slot]() -> SlotData& {
    if (slot.data == nullptr) {
      slot.data = std::make_unique<SlotData>();
    }
    return *slot.data;
  };
  switch (slot.type) {
    case MetricType::kGauge:
      slot.value = value;  // Last value wins; the rate is ignored.
      break;
    case MetricType::kCounter:
      slot.value += value * (1 / sample_rate);  // No validation of the rate (§7.3).
      break;
    case MetricType::kSet: {
      uint64_t hash;
      if (set_value.data() != nullptr) {
        hash = internal::HashBytes(set_value, kSetSeed);
      } else {  // A numeric sample in a set context (type is not part of the key).
        char bytes[sizeof(double)];
        std::memcpy(bytes, &value, sizeof(bytes));
        hash = internal::HashBytes(std::string_view(bytes, sizeof(bytes)), kSetSeed);
      }
      auto& hashes = data().set_hashes;
      if (!MakeRoomForOne(hashes, data().hashes_compacted, buffered_values_,
                          config_.max_buffered_values, values_charge_)) {
        stats_.dropped_buffer_full().Add();
        break;
      }
      hashes.push_back(hash);
      break;
    }
    case MetricType::kHistogram:
    case MetricType::kTiming: {
      const double rate = sample_rate == 0 ? 1 : sample_rate;
      const int64_t weight = GoFloatToInt64(1 / rate);
      auto& samples = data().samples;
      if (!MakeRoomForOne(samples, data().samples_compacted, buffered_values_,
                          config_.max_buffered_values, values_charge_)) {
        stats_.dropped_buffer_full().Add();
        break;
      }
      samples.emplace_back(value, weight);
      slot.value += value * (1 / rate);
      slot.count += weight;
      break;
    }
    case MetricType::kDistribution: {
      std::unique_ptr<DDSketch>& sketch = data().sketch;
      if (sketch == nullptr) {
        sketch = std::make_unique<DDSketch>();
      }
      if (!sketch->Insert(value, sample_rate)) {
        stats_.dropped_sketch_weight_limit().Add();
      }
      break;
    }
  }
}

void TimeSampler::AddNoAggregation(const EnrichedSample& sample) {
  const bool is_set = sample.type == MetricType::kSet;
  if (sample.type != MetricType::kGauge && sample.type != MetricType::kCounter) {
    stats_.dropped_no_agg_unsupported_type().Add(is_set ? 1 : sample.values.size());
    return;
  }
  const ExtraTags& extra = sample.extra_tags != nullptr ? *sample.extra_tags : NoExtraTags();
  const bool is_counter = sample.type == MetricType::kCounter;
  std::vector<std::string> tags;
  for (const double value : sample.values) {
    if (!std::isfinite(value)) {
      stats_.dropped_nan_or_inf().Add();
      continue;
    }
    if (no_aggregation_series_.size() >= config_.max_buffered_items) {
      stats_.dropped_buffer_full().Add();
      continue;
    }
    if (tags.empty()) {
      tags = UnionTags(sample.tags, extra);
    }
    Serie serie;
    serie.name = std::string(sample.name);
    serie.host = std::string(sample.host);
    serie.tags = tags;
    serie.type = is_counter ? SeriesType::kRate : SeriesType::kGauge;
    // Counters become a rate of value / 10; the sample rate is not applied (§7.5, F15).
    serie.points.push_back(
        Point{*sample.timestamp, is_counter ? value / static_cast<double>(kBucketSeconds) : value});
    serie.interval = kBucketSeconds;
    no_aggregation_series_.push_back(std::move(serie));
    stats_.no_aggregation_ok().Add();
  }
}

void TimeSampler::AddEvent(EventRecord event, double now) {
  if (events_.size() >= config_.max_buffered_items) {
    stats_.dropped_buffer_full().Add();
    return;
  }
  if (event.timestamp == 0) {
    event.timestamp = FloorSeconds(now);
  }
  events_.push_back(std::move(event));
}

void TimeSampler::AddServiceCheck(ServiceCheckRecord check, double now) {
  if (service_checks_.size() >= config_.max_buffered_items) {
    stats_.dropped_buffer_full().Add();
    return;
  }
  if (check.timestamp == 0) {
    check.timestamp = FloorSeconds(now);
  }
  service_checks_.push_back(std::move(check));
}

// ---------------------------------------------------------------------------------------------
// Flushing

FlushResult TimeSampler::Flush(double now, bool force, size_t max_series,
                               const SeriesPiece& piece) {
  BeginFlush(now, force);
  while (!ContinueFlush(max_series, piece)) {
  }
  return EndFlush();
}

FlushResult TimeSampler::Flush(double now, bool force) {
  BeginFlush(now, force);
  Emit(nullptr, 0);
  return EndFlush();
}

void TimeSampler::BeginFlush(double now, bool force) {
  flush_ = FlushState{};
  flush_.active = true;
  flush_.now = now;
  const int64_t cutoff = BucketStart(now);
  serie_index_.clear();
  sketch_index_.clear();
  piece_used_ = 0;

  std::vector<std::unique_ptr<Bucket>>& closed = flush_.closed;
  if (!buckets_.empty()) {
    for (std::unique_ptr<Bucket>& bucket : buckets_) {
      if (force || bucket->start + kBucketSeconds <= cutoff) {
        closed.push_back(std::move(bucket));
      }
    }
    std::erase(buckets_, nullptr);
    std::sort(closed.begin(), closed.end(),
              [](const auto& a, const auto& b) { return a->start < b->start; });
  } else if (last_cutoff_ + kBucketSeconds <= cutoff) {
    // No bucket at all, but an interval has passed: keep the counters' zeros coming.
    BucketFor(cutoff - kBucketSeconds);
    closed.push_back(std::move(buckets_.back()));
    buckets_.pop_back();
  }
  current_ = nullptr;
  // One bucket has one slot per context, so its series are distinct: the index that merges the
  // points of several buckets into one serie is only needed for two or more.
  index_series_ = closed.size() > 1;

  // Adding a 0 to a counter already sampled in the bucket changes nothing (§7.4).
  std::vector<ContextId> expired_counters;
  for (const std::unique_ptr<Bucket>& bucket : closed) {
    ZeroFillCounters(*bucket, expired_counters);
  }
  // Now rather than at the end: a counter sampled again during the flush starts afresh.
  for (const ContextId id : expired_counters) {
    states_[id].zero_fill = false;
  }
  last_cutoff_ = cutoff;

  // Taken now: what arrives during the flush belongs to the next one.
  flush_.no_aggregation = std::move(no_aggregation_series_);
  no_aggregation_series_.clear();
  flush_.out.events = std::move(events_);
  events_.clear();
  flush_.out.service_checks = std::move(service_checks_);
  service_checks_.clear();
}

bool TimeSampler::ContinueFlush(size_t max_series, const SeriesPiece& piece) {
  return Emit(&piece, max_series);
}

bool TimeSampler::Emit(const SeriesPiece* piece, size_t max_series) {
  piece_ = piece;
  piece_size_ = std::max<size_t>(max_series, 1);
  if (HandingOverPieces()) {
    // A piece is handed over once full, after the context that filled it: a histogram may add
    // all its series past the size.
    piece_series_.reserve(piece_size_ + aggregates_.size() + percentiles_.size());
  }
  FlushResult& out = flush_.out;
  bool more = false;
  while (!more && flush_.bucket < flush_.closed.size()) {
    Bucket& bucket = *flush_.closed[flush_.bucket];
    if (flush_.position == 0) {
      // Sized exactly before the bucket is emitted: growing a vector of 10k+ series by doubling
      // holds the old and the new storage at once (12 MiB at 37 k series, the largest transient
      // of a flood at a 64 MiB limit).
      ReserveSeries(out, SeriesCount(bucket));
    }
    while (flush_.position < bucket.contexts.size()) {
      EmitContext(bucket, bucket.contexts[flush_.position++], out);
      if (HandingOverPieces() && piece_used_ >= piece_size_) {
        HandOverPiece();
        more = true;
        break;
      }
    }
    if (flush_.position == bucket.contexts.size()) {
      ++flush_.bucket;
      flush_.position = 0;
    }
  }
  if (!more && HandingOverPieces() && piece_used_ > 0) {
    HandOverPiece();
  }
  piece_ = nullptr;
  return !more && flush_.bucket == flush_.closed.size();
}

FlushResult TimeSampler::EndFlush() {
  // What no ContinueFlush emitted (none when it said the flush was complete).
  Emit(nullptr, 0);
  FlushResult out = std::move(flush_.out);
  for (std::unique_ptr<Bucket>& bucket : flush_.closed) {
    ReleaseBucket(std::move(bucket));
  }
  out.series.reserve(out.series.size() + flush_.no_aggregation.size());
  for (Serie& serie : flush_.no_aggregation) {
    out.series.push_back(std::move(serie));
  }
  const double now = flush_.now;
  flush_ = FlushState{};
  // Not kept between flushes: a burst of long names would pin its storage for good.
  piece_series_ = {};
  ExpireContexts(now);
  return out;
}

void TimeSampler::ZeroFillCounters(Bucket& bucket, std::vector<ContextId>& expired_counters) {
  const auto expiry = static_cast<double>(config_.counter_expiry_seconds);
  const auto start = static_cast<double>(bucket.start);
  for (size_t i = 0; i < states_.size(); ++i) {
    const auto id = static_cast<ContextId>(i);
    ContextState& state = states_[i];
    if (!state.zero_fill || !resolver_.IsLive(id)) {
      continue;
    }
    if (!(state.counter_last_seen + expiry > start)) {
      expired_counters.push_back(id);
      continue;
    }
    const bool has_slot = id < bucket.slots.size() && bucket.slots[id].live;
    if (!has_slot) {
      SlotFor(id, bucket, MetricType::kCounter);  // A counter slot holding 0.
    }
  }
}

void TimeSampler::EmitSerie(FlushResult& out, ContextId id, uint32_t kind, std::string_view suffix,
                            SeriesType type, int64_t timestamp, double value) {
  if (HandingOverPieces()) {
    // Assigned into the storage of an earlier piece's serie: no allocation once the strings and
    // vectors of a piece have grown to fit.
    const Context& context = resolver_.Get(id);
    Serie& serie = NextPieceSerie();
    serie.name.assign(context.name);
    serie.name.append(suffix);
    serie.host.assign(context.host);
    serie.tags.resize(context.tags.size());
    for (size_t i = 0; i < context.tags.size(); ++i) {
      serie.tags[i].assign(context.tags[i]);
    }
    serie.type = type;
    serie.interval = kBucketSeconds;
    serie.points.assign(1, Point{timestamp, value});
    return;
  }
  size_t index = out.series.size();
  bool inserted = true;
  if (index_series_) {
    const uint64_t key = (uint64_t{id} << 24) | (uint64_t{kind} << 4) |
                         static_cast<uint64_t>(static_cast<int>(type));
    const auto [it, added] = serie_index_.try_emplace(key, index);
    index = it->second;
    inserted = added;
  }
  if (inserted) {
    const Context& context = resolver_.Get(id);
    Serie serie;
    serie.name.reserve(context.name.size() + suffix.size());
    serie.name.append(context.name);
    serie.name.append(suffix);
    serie.host = std::string(context.host);
    serie.tags.reserve(context.tags.size());
    for (const std::string_view tag : context.tags) {
      serie.tags.emplace_back(tag);
    }
    serie.type = type;
    serie.interval = kBucketSeconds;
    out.series.push_back(std::move(serie));
  }
  out.series[index].points.push_back(Point{timestamp, value});
}

void TimeSampler::ReserveSeries(FlushResult& out, size_t more) const {
  if (!HandingOverPieces()) {
    out.series.reserve(out.series.size() + more);
  }
}

Serie& TimeSampler::NextPieceSerie() {
  if (piece_used_ == piece_series_.size()) {
    piece_series_.emplace_back();
  }
  return piece_series_[piece_used_++];
}

void TimeSampler::HandOverPiece() {
  (*piece_)(std::span<const Serie>(piece_series_.data(), piece_used_));
  piece_used_ = 0;
}

size_t TimeSampler::SeriesCount(const Bucket& bucket) const {
  size_t count = 0;
  for (const ContextId id : bucket.contexts) {
    switch (bucket.slots[id].type) {
      case MetricType::kHistogram:
      case MetricType::kTiming:
        count += aggregates_.size() + percentiles_.size();
        break;
      case MetricType::kDistribution:
        break;  // A sketch, not a serie.
      default:
        ++count;
    }
  }
  return count;
}

void TimeSampler::EmitContext(Bucket& bucket, ContextId id, FlushResult& out) {
  const int64_t ts = bucket.start;
  const auto interval = static_cast<double>(kBucketSeconds);
  Slot& slot = bucket.slots[id];
  switch (slot.type) {
    case MetricType::kGauge:
      EmitSerie(out, id, 0, "", SeriesType::kGauge, ts, slot.value);
      break;
    case MetricType::kCounter:
      EmitSerie(out, id, 0, "", SeriesType::kRate, ts, slot.value / interval);
      break;
    case MetricType::kSet: {
      if (slot.data == nullptr || slot.data->set_hashes.empty()) {
        break;
      }
      std::vector<uint64_t>& hashes = slot.data->set_hashes;
      std::sort(hashes.begin(), hashes.end());
      const auto unique = std::unique(hashes.begin(), hashes.end());
      EmitSerie(out, id, 0, "", SeriesType::kGauge, ts,
                static_cast<double>(unique - hashes.begin()));
      break;
    }
    case MetricType::kHistogram:
    case MetricType::kTiming: {
      if (slot.data == nullptr || slot.data->samples.empty()) {
        break;
      }
      auto& samples = slot.data->samples;
      std::sort(samples.begin(), samples.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t k = 0; k < aggregates_.size(); ++k) {
        double value = 0;
        SeriesType type = SeriesType::kGauge;
        switch (aggregates_[k]) {
          case Aggregate::kMax:
            value = samples.back().first;
            break;
          case Aggregate::kMin:
            value = samples.front().first;
            break;
          case Aggregate::kMedian: {
            const int64_t target = (slot.count - 1) / 2;
            int64_t weight = 0;
            for (const auto& [v, w] : samples) {
              weight += w;
              if (weight > target) {
                value = v;
                break;
              }
            }
            break;
          }
          case Aggregate::kAvg:
            value = slot.value / static_cast<double>(slot.count);
            break;
          case Aggregate::kSum:
            value = slot.value;
            break;
          case Aggregate::kCount:
            value = static_cast<double>(slot.count) / interval;
            type = SeriesType::kRate;
            break;
        }
        EmitSerie(out, id, static_cast<uint32_t>(1 + k), aggregate_suffixes_[k], type, ts, value);
      }
      // Percentiles (weights truncated, Agent histogram.go): the first sorted value whose
      // cumulative weight exceeds (p * count - 1) / 100.
      size_t next = 0;
      int64_t weight = 0;
      for (const auto& [v, w] : samples) {
        if (next >= percentiles_.size()) {
          break;
        }
        weight += w;
        while (next < percentiles_.size() &&
               weight > (int64_t{percentiles_[next]} * slot.count - 1) / 100) {
          EmitSerie(out, id, static_cast<uint32_t>(1 + aggregates_.size() + next),
                    percentile_suffixes_[next], SeriesType::kGauge, ts, v);
          ++next;
        }
      }
      break;
    }
    case MetricType::kDistribution: {
      if (slot.data == nullptr || slot.data->sketch == nullptr || slot.data->sketch->Empty()) {
        break;
      }
      const auto [it, inserted] = sketch_index_.try_emplace(id, out.sketches.size());
      if (inserted) {
        const Context& context = resolver_.Get(id);
        SketchSerie serie;
        serie.name = std::string(context.name);
        serie.host = std::string(context.host);
        for (const std::string_view tag : context.tags) {
          serie.tags.emplace_back(tag);
        }
        out.sketches.push_back(std::move(serie));
      }
      out.sketches[it->second].points.push_back(slot.data->sketch->ToSketchPoint(ts));
      break;
    }
  }
}

void TimeSampler::ReleaseBucket(std::unique_ptr<Bucket> bucket) {
  // Empty the bucket for reuse, keeping its storage: rotating buckets allocates nothing once
  // warmed up.
  for (const ContextId id : bucket->contexts) {
    Slot& slot = bucket->slots[id];
    slot.live = false;
    if (SlotData* data = slot.data.get(); data != nullptr) {
      buffered_values_ -= data->samples.size() + data->set_hashes.size();
      ClearAndTrim(data->samples);
      ClearAndTrim(data->set_hashes);
      data->samples_compacted = 0;
      data->hashes_compacted = 0;
    }
  }
  bucket->contexts.clear();
  values_charge_.Shrink(buffered_values_ * kBytesPerBufferedValue);
  free_buckets_.push_back(std::move(bucket));
}

void TimeSampler::ExpireContexts(double now) {
  const auto expiry = static_cast<double>(config_.context_expiry_seconds);
  for (size_t i = 0; i < states_.size(); ++i) {
    const auto id = static_cast<ContextId>(i);
    if (!resolver_.IsLive(id) || states_[i].zero_fill) {
      continue;
    }
    if (now - states_[i].last_seen > expiry) {
      resolver_.Remove(id);
      states_[i] = ContextState{};
    }
  }
  stats_.contexts().Set(static_cast<int64_t>(resolver_.size()));
}

}  // namespace sidecar::statsd
