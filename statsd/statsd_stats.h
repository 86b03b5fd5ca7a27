// File: statsd/statsd_stats.h
//
// Self-telemetry of the DogStatsD hot path (component id dsd_agg), spec §6. Counter references
// are taken once at construction and bumped lock-free per sample. Names follow the Agent's
// DogStatsD telemetry where it has one:
//   dogstatsd.metric_type_count{metric_type}        per parsed metric line (Enricher)
//   dogstatsd.processed{message_type,state}         parse ok/error, bumped by the pipeline
//   aggregator.dogstatsd_contexts                   gauge: live contexts (TimeSampler)
// and one family for samples we drop after parsing (the Agent spreads these over
// `listener_filtered_points`, `no_aggregation.processed{state:unsupported_type}` and debug logs):
//   dogstatsd.samples_dropped{reason}   reason: filtered (name blocklist), context_limit,
//                                       context_collision, nan_or_inf, no_agg_unsupported_type,
//                                       buffer_full (timestamped series / events / service checks
//                                       between two flushes), sketch_weight_limit (see ddsketch.h)
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "agent/telemetry/registry.h"
#include "statsd/message.h"

namespace sidecar::statsd {

inline constexpr std::string_view kMetricTypeCount = "dogstatsd.metric_type_count";
inline constexpr std::string_view kProcessed = "dogstatsd.processed";
inline constexpr std::string_view kContexts = "aggregator.dogstatsd_contexts";
inline constexpr std::string_view kSamplesDropped = "dogstatsd.samples_dropped";
inline constexpr std::string_view kNoAggregationProcessed = "dogstatsd.no_aggregation_processed";

inline constexpr std::string_view kDropFiltered = "filtered";
inline constexpr std::string_view kDropContextLimit = "context_limit";
inline constexpr std::string_view kDropContextCollision = "context_collision";
inline constexpr std::string_view kDropNanOrInf = "nan_or_inf";
inline constexpr std::string_view kDropNoAggUnsupportedType = "no_agg_unsupported_type";
inline constexpr std::string_view kDropBufferFull = "buffer_full";
inline constexpr std::string_view kDropSketchWeightLimit = "sketch_weight_limit";

// The Agent's `metric_type` tag values, indexed by MetricType.
inline constexpr std::array<std::string_view, 6> kMetricTypeTagValues = {
    "gauge", "counter", "histogram", "distribution", "set", "timing"};

class StatsdStats {
 public:
  explicit StatsdStats(telemetry::Registry& registry)
      : metric_type_count_{&MetricTypeCounter(registry, 0), &MetricTypeCounter(registry, 1),
                           &MetricTypeCounter(registry, 2), &MetricTypeCounter(registry, 3),
                           &MetricTypeCounter(registry, 4), &MetricTypeCounter(registry, 5)},
        processed_{&Processed(registry, "metrics", "ok"),
                   &Processed(registry, "metrics", "error"),
                   &Processed(registry, "events", "ok"),
                   &Processed(registry, "events", "error"),
                   &Processed(registry, "service_checks", "ok"),
                   &Processed(registry, "service_checks", "error")},
        contexts_(registry.GetGauge(kContexts)),
        dropped_filtered_(Dropped(registry, kDropFiltered)),
        dropped_context_limit_(Dropped(registry, kDropContextLimit)),
        dropped_context_collision_(Dropped(registry, kDropContextCollision)),
        dropped_nan_or_inf_(Dropped(registry, kDropNanOrInf)),
        dropped_no_agg_unsupported_type_(Dropped(registry, kDropNoAggUnsupportedType)),
        dropped_buffer_full_(Dropped(registry, kDropBufferFull)),
        dropped_sketch_weight_limit_(Dropped(registry, kDropSketchWeightLimit)),
        no_aggregation_ok_(
            registry.GetCounter(kNoAggregationProcessed, {{"state", std::string("ok")}})) {}

  telemetry::Counter& metric_type_count(MetricType type) {
    return *metric_type_count_[static_cast<size_t>(type)];
  }
  // For the pipeline: one bump per parsed line.
  telemetry::Counter& processed(MessageKind kind, bool ok) {
    return *processed_[static_cast<size_t>(kind) * 2 + (ok ? 0 : 1)];
  }
  telemetry::Gauge& contexts() { return contexts_; }
  telemetry::Counter& dropped_filtered() { return dropped_filtered_; }
  telemetry::Counter& dropped_context_limit() { return dropped_context_limit_; }
  telemetry::Counter& dropped_context_collision() { return dropped_context_collision_; }
  telemetry::Counter& dropped_nan_or_inf() { return dropped_nan_or_inf_; }
  telemetry::Counter& dropped_no_agg_unsupported_type() { return dropped_no_agg_unsupported_type_; }
  telemetry::Counter& dropped_buffer_full() { return dropped_buffer_full_; }
  telemetry::Counter& dropped_sketch_weight_limit() { return dropped_sketch_weight_limit_; }
  telemetry::Counter& no_aggregation_ok() { return no_aggregation_ok_; }

 private:
  static telemetry::Counter& MetricTypeCounter(telemetry::Registry& registry, size_t index) {
    return registry.GetCounter(kMetricTypeCount,
                               {{"metric_type", std::string(kMetricTypeTagValues[index])}});
  }
  static telemetry::Counter& Processed(telemetry::Registry& registry, std::string_view type,
                                       std::string_view state) {
    return registry.GetCounter(
        kProcessed, {{"message_type", std::string(type)}, {"state", std::string(state)}});
  }
  static telemetry::Counter& Dropped(telemetry::Registry& registry, std::string_view reason) {
    return registry.GetCounter(kSamplesDropped, {{"reason", std::string(reason)}});
  }

  std::array<telemetry::Counter*, 6> metric_type_count_;
  std::array<telemetry::Counter*, 6> processed_;
  telemetry::Gauge& contexts_;
  telemetry::Counter& dropped_filtered_;
  telemetry::Counter& dropped_context_limit_;
  telemetry::Counter& dropped_context_collision_;
  telemetry::Counter& dropped_nan_or_inf_;
  telemetry::Counter& dropped_no_agg_unsupported_type_;
  telemetry::Counter& dropped_buffer_full_;
  telemetry::Counter& dropped_sketch_weight_limit_;
  telemetry::Counter& no_aggregation_ok_;
};

}  // namespace sidecar::statsd
