#include "tests/soak/fault_schedule.h"

#include <algorithm>

namespace sidecar::soak {
namespace {

using std::chrono::milliseconds;

milliseconds Fraction(milliseconds whole, double fraction) {
  return milliseconds(static_cast<int64_t>(static_cast<double>(whole.count()) * fraction));
}

}  // namespace

std::vector<FaultEvent> BuildFaultSchedule(milliseconds duration, milliseconds cycle, bool smoke) {
  std::vector<FaultEvent> events;
  if (duration <= milliseconds::zero()) {
    return events;
  }
  cycle = std::clamp(cycle, std::max(duration / 10, milliseconds(1)), duration);
  const milliseconds last_start = duration - duration / 10;
  for (milliseconds base{0}; base < duration; base += cycle) {
    const auto add = [&](double offset, FaultEvent event) {
      event.at = base + Fraction(cycle, offset);
      if (event.at < last_start) {
        events.push_back(event);
      }
    };
    add(0.10, {.kind = FaultKind::kIntake503,
               .length = std::min(milliseconds(20'000), Fraction(cycle, 0.15))});
    add(0.30, {.kind = FaultKind::kSlowIntake,
               .length = std::min(milliseconds(30'000), Fraction(cycle, 0.15)),
               .delay = std::min(milliseconds(2'000), Fraction(cycle, 0.05))});
    add(0.50, {.kind = FaultKind::kIntake413, .count = smoke ? 1 : 3});
    add(0.58, {.kind = FaultKind::kIntakeReset, .count = smoke ? 2 : 4});
    if (!smoke) {
      add(0.62, {.kind = FaultKind::kIntakeStall, .count = 1});
    }
    add(0.70, {.kind = FaultKind::kEcsOutage,
               .length = std::min(milliseconds(60'000), Fraction(cycle, 0.2))});
  }
  return events;
}

std::string FaultName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kIntake503:
      return "intake_503_burst";
    case FaultKind::kSlowIntake:
      return "slow_intake";
    case FaultKind::kIntake413:
      return "intake_413";
    case FaultKind::kIntakeReset:
      return "intake_connection_reset";
    case FaultKind::kIntakeStall:
      return "intake_stall";
    case FaultKind::kEcsOutage:
      return "ecs_metadata_outage";
  }
  return "unknown";
}

}  // namespace sidecar::soak
