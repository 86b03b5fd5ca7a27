// What the DogStatsD aggregator hands the encoders at each flush: owned values, no views into
// packets (packets are long gone by then). Encoders turn these into upstream payloads
// (spec dogstatsd.md §9); the aggregator (§7) and the sketch (§8) produce them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sidecar::statsd {

// The v2 MetricSeries.type enum values (spec §9.4): DogStatsD produces kRate and kGauge only.
enum class SeriesType : int { kUnspecified = 0, kCount = 1, kRate = 2, kGauge = 3 };

struct Point {
  int64_t timestamp = 0;  // Seconds; the bucket start for aggregated series.
  double value = 0;
};

// One upstream serie: a context (name, host, tags) with one point per flushed bucket.
struct Serie {
  std::string name;               // Including any aggregate suffix (".max", ".95percentile").
  std::string host;               // "" in sidecar mode.
  std::vector<std::string> tags;  // Sorted, unique. May contain "device:x" (the encoder moves it).
  SeriesType type = SeriesType::kGauge;
  std::vector<Point> points;
  int64_t interval = 10;
};

// One closed bucket of a DDSketch, in the upstream Dogsketch form (spec §8.2).
struct SketchPoint {
  int64_t timestamp = 0;  // Bucket start, seconds.
  int64_t count = 0;
  double min = 0;
  double max = 0;
  double avg = 0;
  double sum = 0;
  std::vector<int32_t> keys;     // Ascending.
  std::vector<uint32_t> counts;  // Same length as keys.
};

struct SketchSerie {
  std::string name;
  std::string host;
  std::vector<std::string> tags;  // Sorted, unique.
  std::vector<SketchPoint> points;
};

enum class RecordPriority { kUnset, kNormal, kLow };
enum class RecordAlertType { kUnset, kError, kWarning, kInfo, kSuccess };

// An event after enrichment (spec §3, §7.6, §9.7).
struct EventRecord {
  std::string title;
  std::string text;  // "\\n" already unescaped.
  int64_t timestamp = 0;
  std::string host;
  std::string aggregation_key;
  std::string source_type_name;
  RecordPriority priority = RecordPriority::kUnset;
  RecordAlertType alert_type = RecordAlertType::kUnset;
  std::vector<std::string> tags;  // Sorted, unique.
};

// A service check after enrichment (spec §4, §7.6, §9.6).
struct ServiceCheckRecord {
  std::string name;
  std::string host;
  int64_t timestamp = 0;
  int status = 0;  // 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
  std::string message;
  std::vector<std::string> tags;  // Sorted, unique.
};

// Everything one flush produced.
struct FlushResult {
  std::vector<Serie> series;
  std::vector<SketchSerie> sketches;
  std::vector<EventRecord> events;
  std::vector<ServiceCheckRecord> service_checks;
};

}  // namespace sidecar::statsd
