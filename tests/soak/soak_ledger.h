// SoakLedger: the intake side of the soak's bookkeeping. FakeIntake hands it every recorded
// request (SetOnRequest); it keeps only compact per-item tallies (trace and log ids are dense
// indexes, series points are keyed by metric/context/timestamp) so a long run does not hold every
// decoded request in memory, and the runner can clear the fake's own record list as it goes.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "tests/testing/fake_intake.h"

namespace sidecar::soak {

// Trace ids the load sends are kTraceIdBase + index; log messages are "soak-log <index> ...".
inline constexpr uint64_t kTraceIdBase = 7'000'000'000'000;
inline constexpr char kLogPrefix[] = "soak-log ";
// DogStatsD counter names, one per transport, tagged ctx:<n>.
inline constexpr char kUdsMetric[] = "soak.dsd.uds";
inline constexpr char kUdpMetric[] = "soak.dsd.udp";

// How the fake answered requests on one route, and the items they carried.
struct RouteTally {
  uint64_t requests_2xx = 0;
  uint64_t requests_413 = 0;
  uint64_t requests_other_error = 0;     // 5xx and other 4xx: the sidecar retries these.
  uint64_t requests_reset_or_stall = 0;  // Status 0: no answer reached the sidecar.
  uint64_t items_2xx = 0;
  uint64_t items_413 = 0;
  uint64_t items_reset_or_stall = 0;
  uint64_t decode_errors = 0;
};

// Per-id view of a dense id space (traces, log records).
struct IdTally {
  std::vector<uint8_t> delivered;  // Times seen in 2xx-answered requests (saturates at 255).
  std::vector<uint8_t> rejected_413;
};

// Sum of one DogStatsD counter upstream, as count = value * interval.
struct CounterTally {
  double value_2xx = 0;  // First occurrence of each (ctx, timestamp) point.
  double value_413 = 0;
  uint64_t points_2xx = 0;
  uint64_t duplicate_points = 0;  // Same (ctx, timestamp) in two 2xx-answered requests.
  double duplicate_value = 0;
};

class SoakLedger {
 public:
  // `max_traces` / `max_logs`: size of the id spaces (ids beyond are counted as foreign).
  SoakLedger(size_t max_traces, size_t max_logs);

  void OnRequest(const testing::RecordedRequest& request);

  // Copies, taken under the lock.
  std::map<std::string, RouteTally> Routes() const;
  IdTally Traces() const;
  IdTally Logs() const;
  CounterTally Counter(const std::string& metric) const;
  uint64_t foreign_items() const;

 private:
  void CountTraces(const nlohmann::json& payload, int status, RouteTally& route);
  void CountLogs(const nlohmann::json& payload, int status, RouteTally& route);
  void CountSeries(const nlohmann::json& payload, int status, RouteTally& route);

  mutable std::mutex mu_;
  std::map<std::string, RouteTally> routes_;
  IdTally traces_;
  IdTally logs_;
  std::map<std::string, CounterTally> counters_;
  // (metric, ctx tag, timestamp) of points already delivered, to spot duplicates.
  std::map<std::tuple<std::string, std::string, int64_t>, uint8_t> delivered_points_;
  uint64_t foreign_items_ = 0;
};

}  // namespace sidecar::soak
