// Self-telemetry: one Registry per process, handed to every component. Components take their
// Counter/Gauge references once at construction (see *_stats.h files) and bump them lock-free on
// the data path; /status and `sidecar-agent status` read Collect().
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sidecar::telemetry {

// Tags from a closed set of keys: component_id, reason, error_type, endpoint, type, ...
using Tags = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

enum class MetricKind { kCounter, kGauge };

struct MetricValue {
  std::string name;
  Tags tags;
  MetricKind kind = MetricKind::kCounter;
  int64_t value = 0;
};

enum class HealthState { kStarting, kReady, kFailed, kStopping };
std::string_view HealthStateName(HealthState state);

struct ComponentHealth {
  std::string component_id;
  HealthState state = HealthState::kStarting;
  std::string detail;
};

class Registry {
 public:
  // Returns the counter for (name, tags), creating it on first use. The reference stays valid for
  // the registry's lifetime; take it once, not per event.
  Counter& GetCounter(std::string_view name, Tags tags = {});
  Gauge& GetGauge(std::string_view name, Tags tags = {});

  // Sorted by name, then tags.
  std::vector<MetricValue> Collect() const;
  // The value of one series, 0 when it was never created. For tests and status summaries.
  int64_t ValueOf(std::string_view name, const Tags& tags = {}) const;
  // Sum over every tag set of `name`.
  int64_t SumOf(std::string_view name) const;

  void SetHealth(std::string_view component_id, HealthState state, std::string detail = "");
  std::vector<ComponentHealth> Health() const;
  // True when at least one component registered and every one is kReady.
  bool AllReady() const;

 private:
  using Key = std::pair<std::string, Tags>;
  struct Entry {
    MetricKind kind;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
  };
  Entry& FindOrCreate(std::string_view name, Tags tags, MetricKind kind);

  mutable absl::Mutex mutex_;
  std::map<Key, Entry> entries_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, ComponentHealth, std::less<>> health_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace sidecar::telemetry
