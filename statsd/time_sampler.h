// File: statsd/time_sampler.h
//
// DogStatsD aggregation (spec ../shared/spec/dogstatsd.md §7, conformance cases §14.F): enriched
// samples go into 10 s buckets per context; Flush() turns closed buckets into series and sketches,
// zero-fills counters for 300 s after their last sample, expires idle contexts, and hands over the
// buffered timestamped series, events and service checks.
//
//   TimeSampler sampler(TimeSamplerConfig{}, stats);
//   for (const EnrichedSample& s : enricher.Enrich(sample)) sampler.Add(s, now);
//   FlushResult out = sampler.Flush(now, /*force=*/false);   // every 10-15 s
//   FlushResult last = sampler.Flush(now, /*force=*/true);   // SIGTERM: open bucket too
//
// Semantics (Agent TimeSampler unless noted):
// - bucket start = floor(t) - floor(t) mod 10; a point's timestamp is its bucket start; a bucket
//   flushes when start + 10 <= BucketStart(now), or always with force=true (our contract:
//   nothing lost at stop; the Agent drops the open bucket).
// - All flushed buckets of one (context, suffix, type) become one Serie with several points
//   (F01), in ascending bucket order.
// - Per type (§7.3): gauge = last value; counter = sum(v / rate) sent as a RATE of sum / 10; set =
//   number of unique values (kept as 64-bit hashes) as a gauge; histogram/timing = the configured
//   aggregates (`.count` as a RATE of count / 10) and percentiles with weights int64(1 / rate);
//   distribution = a DDSketch per bucket. NaN and ±Inf values are dropped and counted.
// - The type is not part of the context: in one bucket the first sample's type decides how later
//   samples of that context are aggregated.
// - Counter zero-fill (§7.4): every flushed bucket gets a 0 for each counter context whose last
//   sample + counter_expiry_seconds is after the bucket start; with no bucket at all and 10 s since
//   the previous cutoff, bucket cutoff - 10 is zero-filled. Unlike the Agent we do not push that 0
//   into a context whose bucket holds another type (it would skew a histogram's count).
// - Contexts idle for more than context_expiry_seconds (and no longer zero-filled) are removed.
// - Timestamped samples (§7.5) skip aggregation: a gauge becomes a one-point gauge serie, a counter
//   a one-point rate serie of value / 10 (sample rate not applied), other types are dropped and
//   counted. They, events and service checks are handed over at the next Flush(), closed bucket or
//   not; each buffer is bounded (max_buffered_items, drops counted as buffer_full).
//
// Time is passed in (seconds since the epoch), never read from a clock. Single-threaded: owned by
// one strand. Adding a sample of a known context allocates nothing once the bucket storage has
// warmed up.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "statsd/chunked_vector.h"
#include "statsd/context_resolver.h"
#include "statsd/ddsketch.h"
#include "statsd/enricher.h"
#include "statsd/metric_types.h"
#include "statsd/statsd_stats.h"

namespace sidecar::statsd {

inline constexpr int64_t kBucketSeconds = 10;

// floor(t) - floor(t) mod 10 (123456.5 -> 123450).
int64_t BucketStart(double t);

// `histogram_percentiles` as the Agent reads them (F08): each string parsed as a float, kept when
// in [0, 1], as int(p * 100 + 0.5); unparsable or out-of-range entries are skipped. Input order.
std::vector<int> ParseHistogramPercentiles(const std::vector<std::string>& percentiles);

struct TimeSamplerConfig {
  // `histogram_aggregates`: any of max, min, median, avg, sum, count; unknown names are skipped.
  std::vector<std::string> histogram_aggregates = {"max", "median", "avg", "count"};
  // `histogram_percentiles`: strings in [0, 1] (see ParseHistogramPercentiles).
  std::vector<std::string> histogram_percentiles = {"0.95"};
  // `dogstatsd_expiry_seconds`: how long counters keep reporting 0 after their last sample.
  int64_t counter_expiry_seconds = 300;
  // `dogstatsd_context_expiry_seconds`: idle time after which a context is forgotten (at least 10).
  int64_t context_expiry_seconds = 20;
  // Bound on live contexts; samples of new contexts beyond it are dropped (context_limit).
  size_t max_contexts = 200'000;
  // Bound on each of the buffers of timestamped series, events and service checks between flushes.
  size_t max_buffered_items = 100'000;
  // Bound on the histogram values and set members buffered in all open buckets together (16 bytes
  // each after merging equal values); beyond it new ones are dropped (buffer_full). Unbounded, like
  // the Agent, unless a memory limit sets it.
  size_t max_buffered_values = std::numeric_limits<size_t>::max();
  // Shares of the sidecar's memory pool (agent/runtime/memory_account.h) that live contexts
  // (ContextResolver::kBytesPerContext each) and buffered values (16 bytes each) are charged to;
  // a refused charge drops the sample like the bounds above (context_limit, buffer_full). Null:
  // only the bounds apply.
  runtime::MemoryShare* contexts_share = nullptr;
  runtime::MemoryShare* values_share = nullptr;
};

class TimeSampler {
 public:
  TimeSampler(TimeSamplerConfig config, StatsdStats& stats);
  ~TimeSampler();
  TimeSampler(const TimeSampler&) = delete;
  TimeSampler& operator=(const TimeSampler&) = delete;

  // Aggregates every value of `sample` into the bucket of `now` (or, when the sample carries a
  // timestamp, buffers it for the no-aggregation path).
  void Add(const EnrichedSample& sample, double now);
  // Buffers an event / service check; timestamp 0 becomes floor(now).
  void AddEvent(EventRecord event, double now);
  void AddServiceCheck(ServiceCheckRecord check, double now);

  // Emits the closed buckets (all buckets when `force`), the counter zero-fill, the buffered
  // timestamped series, events and service checks; then expires idle contexts.
  FlushResult Flush(double now, bool force);
  FlushResult Flush(std::chrono::system_clock::time_point now, bool force) {
    return Flush(std::chrono::duration<double>(now.time_since_epoch()).count(), force);
  }
  // The same, but the series of a closed bucket are handed to `piece` as they are made, at most
  // `max_series` at a time (the last piece may be shorter), so that a flush of many contexts never
  // holds all its series at once; the returned result has the timestamped series, the sketches,
  // events and checks. The series of a piece are valid only during the call: their storage is
  // reused for the next piece. When two or more buckets close at once (a late flush, or `force`),
  // their series merge and are returned whole instead.
  using SeriesPiece = std::function<void(std::span<const Serie> series)>;
  FlushResult Flush(double now, bool force, size_t max_series, const SeriesPiece& piece);

  // The same flush in steps, so that its owner can do other work between them (the pipeline
  // aggregates the lines that arrive during a flush between its pieces instead of leaving them
  // queued): BeginFlush zero-fills counters and takes the closed buckets out of reach of Add();
  // each ContinueFlush hands over the next piece and says whether the flush has no more;
  // EndFlush returns the rest (as Flush does) and then forgets idle contexts. Samples added between
  // the steps go to the open bucket, for a later flush. Not reentrant: one flush at a time.
  void BeginFlush(double now, bool force);
  bool ContinueFlush(size_t max_series, const SeriesPiece& piece);
  FlushResult EndFlush();
  bool flushing() const { return flush_.active; }

  size_t context_count() const { return resolver_.size(); }
  size_t buffered_values() const { return buffered_values_; }
  size_t bucket_count() const { return buckets_.size(); }

 private:
  enum class Aggregate : uint8_t { kMax, kMin, kMedian, kAvg, kSum, kCount };

  // What sets, histograms and distributions keep besides a Slot's value and count.
  struct SlotData {
    std::vector<std::pair<double, int64_t>> samples;  // Histogram (value, weight).
    std::vector<uint64_t> set_hashes;                 // Set values, hashed.
    std::unique_ptr<DDSketch> sketch;                 // Distribution; kept for reuse.
    uint32_t samples_compacted = 0;  // Sizes after the last compaction (time_sampler.cc).
    uint32_t hashes_compacted = 0;
  };

  // Small (32 bytes) so that the slots of 10k+ contexts stay in cache: most samples are gauges and
  // counters, which need only `value`; the rest lives behind `data`.
  struct Slot {
    bool live = false;                     // The context has a sample (or a zero) in the bucket.
    MetricType type = MetricType::kGauge;  // kTiming is stored as kHistogram.
    double value = 0;                      // Gauge last value, counter sum, histogram sum.
    int64_t count = 0;                     // Histogram count (sum of weights).
    std::unique_ptr<SlotData> data;        // Created on first use; kept for reuse.
  };

  // Slots are indexed by ContextId, like states_: a sample's slot and state are found from its id
  // alone (two independent loads, no per-bucket map), and `contexts` keeps the order in which
  // contexts entered the bucket, which is the order of the flushed series.
  struct Bucket {
    int64_t start = 0;
    ChunkedVector<Slot> slots;        // Indexed by ContextId; kept for reuse.
    std::vector<ContextId> contexts;  // Those with a live slot, in arrival order.
  };

  struct ContextState {  // 24 bytes.
    double last_seen = 0;
    double counter_last_seen = 0;
    bool zero_fill = false;  // Tracked as a counter (§7.4).
  };

  // Between BeginFlush and EndFlush.
  struct FlushState {
    bool active = false;
    double now = 0;
    std::vector<std::unique_ptr<Bucket>> closed;  // Ascending start; no longer in buckets_.
    size_t bucket = 0;                            // Next context to emit: closed[bucket]
    size_t position = 0;                          // ->contexts[position].
    FlushResult out;
    std::vector<Serie> no_aggregation;  // Appended after the buckets' series.
  };

  // Emits the closed buckets' series from the cursor on, into pieces when `piece` is set (returns
  // after each piece handed over), else all into flush_.out. True when every context is emitted.
  bool Emit(const SeriesPiece* piece, size_t max_series);
  void AddNoAggregation(const EnrichedSample& sample);
  Bucket& BucketFor(int64_t start);
  Slot& SlotFor(ContextId id, Bucket& bucket, MetricType type);
  void AddValue(Slot& slot, double value, std::string_view set_value, double sample_rate);
  void ZeroFillCounters(Bucket& bucket, std::vector<ContextId>& expired_counters);
  // An upper bound of the series a bucket's contexts emit (before merging with other buckets').
  size_t SeriesCount(const Bucket& bucket) const;
  void EmitContext(Bucket& bucket, ContextId id, FlushResult& out);
  // Grows out.series for `more` series (none when handing over in pieces).
  void ReserveSeries(FlushResult& out, size_t more) const;
  bool HandingOverPieces() const { return piece_ != nullptr && !index_series_; }
  // The next serie of the current piece, its storage reused from the previous piece.
  Serie& NextPieceSerie();
  void HandOverPiece();
  void EmitSerie(FlushResult& out, ContextId id, uint32_t kind, std::string_view suffix,
                 SeriesType type, int64_t timestamp, double value);
  // Empties a flushed bucket into free_buckets_.
  void ReleaseBucket(std::unique_ptr<Bucket> bucket);
  void ExpireContexts(double now);

  TimeSamplerConfig config_;
  StatsdStats& stats_;
  std::vector<Aggregate> aggregates_;
  std::vector<std::string> aggregate_suffixes_;
  std::vector<int> percentiles_;  // Sorted.
  std::vector<std::string> percentile_suffixes_;

  ContextResolver resolver_;
  ChunkedVector<ContextState> states_;                 // Indexed by ContextId.
  std::vector<std::unique_ptr<Bucket>> buckets_;       // Open (not yet flushed).
  std::vector<std::unique_ptr<Bucket>> free_buckets_;  // Storage for reuse.
  Bucket* current_ = nullptr;                          // Last bucket used by Add().
  size_t buffered_values_ = 0;  // Histogram values and set members in the open buckets.
  runtime::ChunkedCharge values_charge_;
  int64_t last_cutoff_ = 0;

  std::vector<Serie> no_aggregation_series_;
  std::vector<EventRecord> events_;
  std::vector<ServiceCheckRecord> service_checks_;

  // Flush scratch: (context, output kind, type) -> index in FlushResult::series / sketches.
  // serie_index_ is used only while index_series_ (several buckets in one flush).
  absl::flat_hash_map<uint64_t, size_t> serie_index_;
  bool index_series_ = false;
  FlushState flush_;
  // Set during Emit() with a piece only.
  const SeriesPiece* piece_ = nullptr;
  size_t piece_size_ = 0;
  std::vector<Serie> piece_series_;  // piece_used_ of them make the current piece.
  size_t piece_used_ = 0;

  absl::flat_hash_map<ContextId, size_t> sketch_index_;
};

}  // namespace sidecar::statsd
