// The soak's fault script: which fault starts when, as a pure function of the run's length, so
// the same cycle repeats in a long run and shrinks to fit a short smoke run.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace sidecar::soak {

enum class FaultKind {
  kIntake503,    // FailFor(503, length): the intake is down.
  kSlowIntake,   // SetResponseDelay(delay) for `length`.
  kIntake413,    // FailNext(413, count): those payloads are dropped by design.
  kIntakeReset,  // ResetNext(count): the connection is reset, no answer.
  kIntakeStall,  // StallNext(count): never answered, the sidecar's request times out.
  kEcsOutage,    // FakeEcsMetadataServer::FailFor(500, length).
};

struct FaultEvent {
  std::chrono::milliseconds at{0};  // Since the load started.
  FaultKind kind = FaultKind::kIntake503;
  std::chrono::milliseconds length{0};  // For windowed faults.
  std::chrono::milliseconds delay{0};   // kSlowIntake only.
  int count = 0;                        // kIntake413 / kIntakeReset / kIntakeStall.
};

// Faults for a run of `duration`, one cycle every `cycle` (clamped to [duration/10, duration]).
// Windowed faults last at most 15-20 % of a cycle; nothing starts in the last 10 % of the run, so
// the sidecar has recovered before SIGTERM. `smoke` uses the gentle variant (no stall, short
// windows) that fits a 20 s run on a loaded machine.
std::vector<FaultEvent> BuildFaultSchedule(std::chrono::milliseconds duration,
                                           std::chrono::milliseconds cycle, bool smoke);

std::string FaultName(FaultKind kind);

}  // namespace sidecar::soak
