#include "tests/soak/soak_ledger.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace sidecar::soak {
namespace {

// proto3 JSON renders 64-bit integers as strings; accept numbers too.
bool JsonToInt64(const nlohmann::json& value, int64_t& out) {
  if (value.is_number_integer()) {
    out = value.get<int64_t>();
    return true;
  }
  if (!value.is_string()) {
    return false;
  }
  const std::string& text = value.get_ref<const std::string&>();
  char* end = nullptr;
  errno = 0;
  const long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') {
    return false;
  }
  out = parsed;
  return true;
}

bool JsonToUint64(const nlohmann::json& value, uint64_t& out) {
  if (value.is_number_unsigned()) {
    out = value.get<uint64_t>();
    return true;
  }
  if (!value.is_string()) {
    return false;
  }
  const std::string& text = value.get_ref<const std::string&>();
  char* end = nullptr;
  errno = 0;
  const unsigned long long parsed = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') {
    return false;
  }
  out = parsed;
  return true;
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

void Bump(std::vector<uint8_t>& counts, size_t index) {
  if (counts[index] < 255) {
    ++counts[index];
  }
}

}  // namespace

SoakLedger::SoakLedger(size_t max_traces, size_t max_logs) {
  traces_.delivered.assign(max_traces, 0);
  traces_.rejected_413.assign(max_traces, 0);
  logs_.delivered.assign(max_logs, 0);
  logs_.rejected_413.assign(max_logs, 0);
}

void SoakLedger::OnRequest(const testing::RecordedRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  RouteTally& route = routes_[request.path];
  const int status = request.status;
  if (Is2xx(status)) {
    ++route.requests_2xx;
  } else if (status == 413) {
    ++route.requests_413;
  } else if (status == 0) {
    ++route.requests_reset_or_stall;
  } else {
    ++route.requests_other_error;
  }
  if (!request.decode_error.empty()) {
    ++route.decode_errors;
    return;
  }
  // nlohmann::json throws on a field of an unexpected type; this runs on the fake's server thread,
  // so a surprising payload is counted, never fatal.
  try {
    if (request.path == "/api/v0.2/traces") {
      CountTraces(request.decoded, status, route);
    } else if (request.path == "/api/v2/logs") {
      CountLogs(request.decoded, status, route);
    } else if (request.path == "/api/v2/series") {
      CountSeries(request.decoded, status, route);
    }
  } catch (const std::exception&) {
    ++route.decode_errors;
  }
}

void SoakLedger::CountTraces(const nlohmann::json& payload, int status, RouteTally& route) {
  // One trace may be split over several chunks; count each trace id once per request.
  std::vector<size_t> seen;
  for (const auto& tracer_payload : payload.value("tracerPayloads", nlohmann::json::array())) {
    for (const auto& chunk : tracer_payload.value("chunks", nlohmann::json::array())) {
      for (const auto& span : chunk.value("spans", nlohmann::json::array())) {
        uint64_t id = 0;
        if (!span.contains("traceID") || !JsonToUint64(span["traceID"], id) || id < kTraceIdBase ||
            id - kTraceIdBase >= traces_.delivered.size()) {
          ++foreign_items_;
          continue;
        }
        seen.push_back(static_cast<size_t>(id - kTraceIdBase));
      }
    }
  }
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  for (const size_t index : seen) {
    if (Is2xx(status)) {
      Bump(traces_.delivered, index);
    } else if (status == 413) {
      Bump(traces_.rejected_413, index);
    }
  }
  if (Is2xx(status)) {
    route.items_2xx += seen.size();
  } else if (status == 413) {
    route.items_413 += seen.size();
  } else if (status == 0) {
    route.items_reset_or_stall += seen.size();
  }
}

void SoakLedger::CountLogs(const nlohmann::json& payload, int status, RouteTally& route) {
  if (!payload.is_array()) {
    return;
  }
  uint64_t items = 0;
  for (const auto& log : payload) {
    const std::string message = log.is_object() ? log.value("message", "") : "";
    const std::string_view prefix = kLogPrefix;
    if (message.compare(0, prefix.size(), prefix) != 0) {
      ++foreign_items_;
      continue;
    }
    const size_t index = std::strtoull(message.c_str() + prefix.size(), nullptr, 10);
    if (index >= logs_.delivered.size()) {
      ++foreign_items_;
      continue;
    }
    ++items;
    if (Is2xx(status)) {
      Bump(logs_.delivered, index);
    } else if (status == 413) {
      Bump(logs_.rejected_413, index);
    }
  }
  if (Is2xx(status)) {
    route.items_2xx += items;
  } else if (status == 413) {
    route.items_413 += items;
  } else if (status == 0) {
    route.items_reset_or_stall += items;
  }
}

void SoakLedger::CountSeries(const nlohmann::json& payload, int status, RouteTally& route) {
  uint64_t items = 0;
  for (const auto& serie : payload.value("series", nlohmann::json::array())) {
    const std::string metric = serie.value("metric", "");
    if (metric != kUdsMetric && metric != kUdpMetric) {
      continue;
    }
    std::string context;
    for (const auto& tag : serie.value("tags", nlohmann::json::array())) {
      if (tag.is_string() && tag.get_ref<const std::string&>().rfind("ctx:", 0) == 0) {
        context = tag.get<std::string>();
      }
    }
    int64_t interval = 0;
    if (!serie.contains("interval") || !JsonToInt64(serie["interval"], interval) || interval <= 0) {
      interval = 1;  // GAUGE-like shapes carry no interval; RATE counts always do.
    }
    CounterTally& tally = counters_[metric];
    for (const auto& point : serie.value("points", nlohmann::json::array())) {
      int64_t timestamp = 0;
      if (!point.contains("timestamp") || !JsonToInt64(point["timestamp"], timestamp)) {
        continue;
      }
      ++items;
      const double count = point.value("value", 0.0) * static_cast<double>(interval);
      if (Is2xx(status)) {
        uint8_t& seen = delivered_points_[{metric, context, timestamp}];
        if (seen > 0) {
          ++tally.duplicate_points;
          tally.duplicate_value += count;
        } else {
          tally.value_2xx += count;
          ++tally.points_2xx;
        }
        seen = 1;
      } else if (status == 413) {
        tally.value_413 += count;
      }
    }
  }
  if (Is2xx(status)) {
    route.items_2xx += items;
  } else if (status == 413) {
    route.items_413 += items;
  } else if (status == 0) {
    route.items_reset_or_stall += items;
  }
}

std::map<std::string, RouteTally> SoakLedger::Routes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return routes_;
}

IdTally SoakLedger::Traces() const {
  std::lock_guard<std::mutex> lock(mu_);
  return traces_;
}

IdTally SoakLedger::Logs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return logs_;
}

CounterTally SoakLedger::Counter(const std::string& metric) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = counters_.find(metric);
  return it == counters_.end() ? CounterTally{} : it->second;
}

uint64_t SoakLedger::foreign_items() const {
  std::lock_guard<std::mutex> lock(mu_);
  return foreign_items_;
}

}  // namespace sidecar::soak
