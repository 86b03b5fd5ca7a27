#include "agent/status/status_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sidecar::status {
namespace {

using ::testing::HasSubstr;

TEST(StatusHandlerTest, HealthIsUnavailableUntilEveryComponentIsReady) {
  telemetry::Registry registry;
  StatusView view{&registry, false, nullptr};
  EXPECT_EQ(HandleStatusRequest("GET", "/health", view).status, 503);
  registry.SetHealth("dd_out", telemetry::HealthState::kReady);
  registry.SetHealth("dsd_udp_in", telemetry::HealthState::kStarting);
  StatusAnswer starting = HandleStatusRequest("GET", "/health", view);
  EXPECT_EQ(starting.status, 503);
  EXPECT_THAT(starting.body, HasSubstr("dsd_udp_in"));
  registry.SetHealth("dsd_udp_in", telemetry::HealthState::kReady);
  EXPECT_EQ(HandleStatusRequest("GET", "/health", view).status, 200);
}

TEST(StatusHandlerTest, HealthIsUnavailableWhileStopping) {
  telemetry::Registry registry;
  registry.SetHealth("dd_out", telemetry::HealthState::kReady);
  StatusView view{&registry, true, nullptr};
  StatusAnswer answer = HandleStatusRequest("GET", "/health", view);
  EXPECT_EQ(answer.status, 503);
  EXPECT_THAT(answer.body, HasSubstr("stopping"));
}

TEST(StatusHandlerTest, FailedComponentMakesHealthUnavailable) {
  telemetry::Registry registry;
  registry.SetHealth("dd_out", telemetry::HealthState::kFailed, "cannot start curl");
  StatusView view{&registry, false, nullptr};
  StatusAnswer answer = HandleStatusRequest("GET", "/health", view);
  EXPECT_EQ(answer.status, 503);
  EXPECT_THAT(answer.body, HasSubstr("cannot start curl"));
}

TEST(StatusHandlerTest, StatusListsCountersWithTagsAndDetails) {
  telemetry::Registry registry;
  registry.GetCounter("forwarder.transactions_dropped", {{"reason", "403"}}).Add(2);
  StatusView view{&registry, false, [] { return nlohmann::json{{"site", "datadoghq.eu"}}; }};
  StatusAnswer answer = HandleStatusRequest("GET", "/status?verbose=1", view);
  ASSERT_EQ(answer.status, 200);
  const auto document = nlohmann::json::parse(answer.body);
  ASSERT_EQ(document["metrics"].size(), 1u);
  EXPECT_EQ(document["metrics"][0]["name"], "forwarder.transactions_dropped");
  EXPECT_EQ(document["metrics"][0]["tags"]["reason"], "403");
  EXPECT_EQ(document["metrics"][0]["value"], 2);
  EXPECT_EQ(document["details"]["site"], "datadoghq.eu");
}

TEST(StatusHandlerTest, UnknownPathAndMethodAreRejected) {
  telemetry::Registry registry;
  StatusView view{&registry, false, nullptr};
  EXPECT_EQ(HandleStatusRequest("GET", "/nope", view).status, 404);
  EXPECT_EQ(HandleStatusRequest("POST", "/health", view).status, 405);
}

}  // namespace
}  // namespace sidecar::status
