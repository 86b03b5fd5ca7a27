#include "agent/forwarder/retry_classifier.h"

#include <span>

namespace sidecar::forwarder {
namespace {

// Statuses in [low, high] map to `outcome`; the first matching row wins.
struct Row {
  int low;
  int high;
  Outcome outcome;
};

struct Table {
  Outcome transport_error;
  std::span<const Row> rows;
  Outcome otherwise;  // Statuses no row covers (0, 1xx, >= 600).
};

// Agent defaultforwarder transaction.go: below 400 is success, 400/403/413 are dropped, every
// other status above 400 is retried (404 too, forever, by design).
constexpr Row kMetricsRows[] = {
    {100, 399, Outcome::kSuccess}, {400, 400, Outcome::kDrop},  {403, 403, Outcome::kDrop},
    {413, 413, Outcome::kDrop},    {401, 599, Outcome::kRetry},
};
constexpr Table kMetrics{Outcome::kRetry, kMetricsRows, Outcome::kRetry};

// Agent trace writer sender.go: only 408 and 5xx are retriable; any other non-2xx is rejected.
constexpr Row kTracesRows[] = {
    {200, 299, Outcome::kSuccess},
    {408, 408, Outcome::kRetry},
    {500, 599, Outcome::kRetry},
};
constexpr Table kTraces{Outcome::kRetry, kTracesRows, Outcome::kDrop};

// Agent logs destination.go: 400/401/403/413 are client errors and dropped; any other status
// >= 400 is retried; below 400 is success.
constexpr Row kLogsRows[] = {
    {100, 399, Outcome::kSuccess}, {400, 401, Outcome::kDrop},  {403, 403, Outcome::kDrop},
    {413, 413, Outcome::kDrop},    {402, 599, Outcome::kRetry},
};
constexpr Table kLogs{Outcome::kRetry, kLogsRows, Outcome::kRetry};

const Table& TableFor(Intake intake) {
  switch (intake) {
    case Intake::kTraces:
      return kTraces;
    case Intake::kLogs:
      return kLogs;
    case Intake::kMetrics:
      break;
  }
  return kMetrics;
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kDrop:
      return "drop";
    case Outcome::kRetry:
      break;
  }
  return "retry";
}

Outcome Classify(Intake intake, const HttpResult& result) {
  const Table& table = TableFor(intake);
  if (result.IsTransportError()) {
    return table.transport_error;
  }
  const int status = result.response.status;
  for (const Row& row : table.rows) {
    if (status >= row.low && status <= row.high) {
      return row.outcome;
    }
  }
  return table.otherwise;
}

std::string_view DropHint(int status) {
  switch (status) {
    case 400:
      return "payload rejected as malformed: likely a sidecar encoding bug, please report it";
    case 401:
      return "API key missing: set DD_API_KEY";
    case 403:
      return "API key invalid: check DD_API_KEY / the secret";
    case 404:
      return "route not found: check DD_SITE / DD_DD_URL (and the APM/logs URL overrides)";
    case 408:
      return "intake timed out reading the request: check network egress and proxy";
    case 413:
      return "payload too large for the intake: lower the payload size caps";
    case 429:
      return "rate limited by the intake";
    default:
      break;
  }
  if (status >= 500) {
    return "intake or proxy unavailable";
  }
  if (status >= 300 && status < 400) {
    return "unexpected redirect: check DD_DD_URL / proxy settings";
  }
  return "unexpected status from the intake";
}

}  // namespace sidecar::forwarder
