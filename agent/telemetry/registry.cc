#include "agent/telemetry/registry.h"

#include <algorithm>

namespace sidecar::telemetry {

std::string_view HealthStateName(HealthState state) {
  switch (state) {
    case HealthState::kStarting:
      return "starting";
    case HealthState::kReady:
      return "ready";
    case HealthState::kFailed:
      return "failed";
    case HealthState::kStopping:
      return "stopping";
  }
  return "unknown";
}

Registry::Entry& Registry::FindOrCreate(std::string_view name, Tags tags, MetricKind kind) {
  std::sort(tags.begin(), tags.end());
  absl::MutexLock lock(&mutex_);
  auto [it, inserted] = entries_.try_emplace(Key(std::string(name), std::move(tags)));
  if (inserted) {
    it->second.kind = kind;
    it->second.counter = std::make_unique<Counter>();
    it->second.gauge = std::make_unique<Gauge>();
  }
  return it->second;
}

Counter& Registry::GetCounter(std::string_view name, Tags tags) {
  return *FindOrCreate(name, std::move(tags), MetricKind::kCounter).counter;
}

Gauge& Registry::GetGauge(std::string_view name, Tags tags) {
  return *FindOrCreate(name, std::move(tags), MetricKind::kGauge).gauge;
}

std::vector<MetricValue> Registry::Collect() const {
  absl::MutexLock lock(&mutex_);
  std::vector<MetricValue> values;
  values.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) {
    const int64_t value = entry.kind == MetricKind::kCounter
                              ? static_cast<int64_t>(entry.counter->Value())
                              : entry.gauge->Value();
    values.push_back(MetricValue{key.first, key.second, entry.kind, value});
  }
  return values;
}

int64_t Registry::ValueOf(std::string_view name, const Tags& tags) const {
  Tags sorted = tags;
  std::sort(sorted.begin(), sorted.end());
  absl::MutexLock lock(&mutex_);
  auto it = entries_.find(Key(std::string(name), sorted));
  if (it == entries_.end()) {
    return 0;
  }
  return it->second.kind == MetricKind::kCounter ? static_cast<int64_t>(it->second.counter->Value())
                                                 : it->second.gauge->Value();
}

int64_t Registry::SumOf(std::string_view name) const {
  absl::MutexLock lock(&mutex_);
  int64_t sum = 0;
  for (auto it = entries_.lower_bound(Key(std::string(name), {}));
       it != entries_.end() && it->first.first == name; ++it) {
    sum += it->second.kind == MetricKind::kCounter
               ? static_cast<int64_t>(it->second.counter->Value())
               : it->second.gauge->Value();
  }
  return sum;
}

void Registry::SetHealth(std::string_view component_id, HealthState state, std::string detail) {
  absl::MutexLock lock(&mutex_);
  auto& health = health_[std::string(component_id)];
  health.component_id = std::string(component_id);
  health.state = state;
  health.detail = std::move(detail);
}

std::vector<ComponentHealth> Registry::Health() const {
  absl::MutexLock lock(&mutex_);
  std::vector<ComponentHealth> result;
  result.reserve(health_.size());
  for (const auto& [id, health] : health_) {
    result.push_back(health);
  }
  return result;
}

bool Registry::AllReady() const {
  absl::MutexLock lock(&mutex_);
  return !health_.empty() && std::all_of(health_.begin(), health_.end(), [](const auto& entry) {
    return entry.second.state == HealthState::kReady;
  });
}

}  // namespace sidecar::telemetry
