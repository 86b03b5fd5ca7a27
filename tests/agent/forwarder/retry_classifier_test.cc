#include "agent/forwarder/retry_classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace sidecar::forwarder {
namespace {

constexpr int kTransport = -1;  // Row marker: a transport error instead of a status.

struct Case {
  const char* spec;  // Conformance case the row comes from.
  Intake intake;
  int status;
  Outcome expected;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  return std::string(IntakeName(c.intake)) + "_" +
         (c.status == kTransport ? std::string("transport_error") : std::to_string(c.status));
}

class ClassifyTest : public ::testing::TestWithParam<Case> {};

TEST_P(ClassifyTest, MapsTheResultToTheIntakeTableOutcome) {
  const Case& c = GetParam();
  HttpResult result;
  if (c.status == kTransport) {
    result.transport_error = absl::UnavailableError("connection refused");
  } else {
    result.response.status = c.status;
  }
  EXPECT_EQ(OutcomeName(Classify(c.intake, result)), OutcomeName(c.expected)) << c.spec;
}

// Metrics: Agent defaultforwarder (dogstatsd.md §10).
INSTANTIATE_TEST_SUITE_P(
    Metrics, ClassifyTest,
    ::testing::Values(Case{"H10", Intake::kMetrics, 200, Outcome::kSuccess},
                      Case{"H10", Intake::kMetrics, 202, Outcome::kSuccess},
                      Case{"§10 3xx", Intake::kMetrics, 307, Outcome::kSuccess},
                      Case{"H07", Intake::kMetrics, 400, Outcome::kDrop},
                      Case{"§10 other>=400", Intake::kMetrics, 401, Outcome::kRetry},
                      Case{"H08", Intake::kMetrics, 403, Outcome::kDrop},
                      Case{"H09", Intake::kMetrics, 404, Outcome::kRetry},
                      Case{"H09", Intake::kMetrics, 408, Outcome::kRetry},
                      Case{"H07", Intake::kMetrics, 413, Outcome::kDrop},
                      Case{"H09", Intake::kMetrics, 429, Outcome::kRetry},
                      Case{"H09", Intake::kMetrics, 500, Outcome::kRetry},
                      Case{"H09", Intake::kMetrics, 503, Outcome::kRetry},
                      Case{"H09", Intake::kMetrics, kTransport, Outcome::kRetry}),
    CaseName);

// Traces: trace writer sender (apm.md §7, W2): only 408, 5xx and transport errors retry.
INSTANTIATE_TEST_SUITE_P(
    Traces, ClassifyTest,
    ::testing::Values(Case{"W1", Intake::kTraces, 200, Outcome::kSuccess},
                      Case{"W1", Intake::kTraces, 202, Outcome::kSuccess},
                      Case{"§7 other non-2xx", Intake::kTraces, 307, Outcome::kDrop},
                      Case{"W2", Intake::kTraces, 400, Outcome::kDrop},
                      Case{"§7 other non-2xx", Intake::kTraces, 401, Outcome::kDrop},
                      Case{"W2", Intake::kTraces, 403, Outcome::kDrop},
                      Case{"§7 other non-2xx", Intake::kTraces, 404, Outcome::kDrop},
                      Case{"W2", Intake::kTraces, 408, Outcome::kRetry},
                      Case{"W2", Intake::kTraces, 413, Outcome::kDrop},
                      Case{"§7 other non-2xx", Intake::kTraces, 429, Outcome::kDrop},
                      Case{"W2", Intake::kTraces, 500, Outcome::kRetry},
                      Case{"W2", Intake::kTraces, 503, Outcome::kRetry},
                      Case{"W2", Intake::kTraces, kTransport, Outcome::kRetry}),
    CaseName);

// Logs: logs destination (ecs-logs.md §B5.2, B5-2).
INSTANTIATE_TEST_SUITE_P(Logs, ClassifyTest,
                         ::testing::Values(Case{"B5.1", Intake::kLogs, 200, Outcome::kSuccess},
                                           Case{"B5.1", Intake::kLogs, 202, Outcome::kSuccess},
                                           Case{"B5-2", Intake::kLogs, 400, Outcome::kDrop},
                                           Case{"B5-2", Intake::kLogs, 401, Outcome::kDrop},
                                           Case{"B5-2", Intake::kLogs, 403, Outcome::kDrop},
                                           Case{"B5-2", Intake::kLogs, 404, Outcome::kRetry},
                                           Case{"B5-2", Intake::kLogs, 408, Outcome::kRetry},
                                           Case{"B5-2", Intake::kLogs, 413, Outcome::kDrop},
                                           Case{"B5-2", Intake::kLogs, 429, Outcome::kRetry},
                                           Case{"B5-2", Intake::kLogs, 500, Outcome::kRetry},
                                           Case{"B5-2", Intake::kLogs, 503, Outcome::kRetry},
                                           Case{"B5-2", Intake::kLogs, kTransport,
                                                Outcome::kRetry}),
                         CaseName);

TEST(DropHintTest, NamesTheSettingAnOperatorShouldCheck) {
  EXPECT_THAT(std::string(DropHint(403)), ::testing::HasSubstr("DD_API_KEY"));  // H08
  EXPECT_THAT(std::string(DropHint(401)), ::testing::HasSubstr("DD_API_KEY"));
  EXPECT_THAT(std::string(DropHint(404)), ::testing::HasSubstr("DD_SITE"));
  EXPECT_THAT(std::string(DropHint(404)), ::testing::HasSubstr("DD_DD_URL"));
  EXPECT_THAT(std::string(DropHint(413)), ::testing::HasSubstr("too large"));  // H07
  EXPECT_THAT(std::string(DropHint(400)), ::testing::HasSubstr("malformed"));  // H07
  EXPECT_THAT(std::string(DropHint(503)), ::testing::HasSubstr("unavailable"));
}

}  // namespace
}  // namespace sidecar::forwarder
