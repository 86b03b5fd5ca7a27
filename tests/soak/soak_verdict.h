// The soak's verdict: from what the load generators saw accepted, what the fake intake tallied,
// the sidecar's own drop counters and its footprint samples, decides each check (no accepted data
// lost beyond counted drops, duplicates within the at-least-once bound, DogStatsD sums exact,
// RSS flat, clean exit) and renders the report as text and JSON.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/soak/proc_stats.h"
#include "tests/soak/soak_ledger.h"
#include "tests/soak/soak_monitor.h"

namespace sidecar::soak {

struct DogstatsdSent {
  uint64_t lines = 0;
  uint64_t value = 0;  // Sum of the increments.
  uint64_t datagrams = 0;
  uint64_t failures = 0;
  // Accepted in the shutdown window (UDP: from SIGTERM - 1 s, its queue at close; UDS: from
  // SIGTERM on, when the sidecar may stop reading before it closes the socket).
  uint64_t lines_after_sigterm = 0;
  uint64_t value_after_sigterm = 0;
};

struct IdOutcome {
  std::vector<uint8_t> client_state;  // IdState per index.
  std::vector<float> sent_at;
  size_t used = 0;  // Indexes handed out.
};

struct FaultRecord {
  double t = 0;
  std::string name;
  std::string detail;
};

struct SoakRun {
  bool smoke = false;
  double duration_s = 0;
  double sigterm_s = 0;
  std::optional<int> exit_code;
  double exit_s = 0;  // When the exit was seen.
  int spans_per_trace = 1;
  int dsd_lines_per_datagram = 1;
  int dsd_max_increment = 5;
  std::map<std::string, double> rates;  // Target rates per signal.
  DogstatsdSent uds;
  DogstatsdSent udp;
  IdOutcome traces;
  IdOutcome logs;
  std::map<int, uint64_t> trace_requests_by_status;
  uint64_t forward_acked_messages = 0;
  uint64_t forward_ack_timeouts = 0;
  std::vector<FaultRecord> faults;
  std::vector<ProcessSample> processes;
  std::vector<StatusSample> statuses;
  UdpSocketCounters udp_socket;
  std::string agent_log_tail;
};

struct Check {
  std::string name;
  bool passed = false;
  std::string message;
};

struct Verdict {
  std::vector<Check> checks;
  nlohmann::json report;
  bool passed() const;
};

Verdict Judge(const SoakRun& run, const SoakLedger& ledger);

// Human-readable report (what goes to stdout and soak-report.txt).
std::string RenderText(const Verdict& verdict);

}  // namespace sidecar::soak
