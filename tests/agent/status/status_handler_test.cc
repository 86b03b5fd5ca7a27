#include "agent/status/status_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sidecar::status {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
  StatusAnswer missing = HandleStatusRequest("GET", "/nope", view);
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr(R"("routes":["/","/health","/status"])"));
  EXPECT_EQ(HandleStatusRequest("POST", "/health", view).status, 405);
  EXPECT_EQ(HandleStatusRequest("POST", "/", view).status, 405);
}

TEST(StatusHandlerTest, RootServesTheHtmlPageWithTheCurrentStatusInlined) {
  telemetry::Registry registry;
  registry.GetCounter("dogstatsd.lines_received").Add(42);
  StatusView view{&registry, false, [] { return nlohmann::json{{"site", "datadoghq.eu"}}; }};
  for (const std::string_view target : {"/", "/index.html", "/?refresh=1"}) {
    SCOPED_TRACE(target);
    StatusAnswer answer = HandleStatusRequest("GET", target, view);
    ASSERT_EQ(answer.status, 200);
    EXPECT_EQ(answer.content_type, "text/html; charset=utf-8");
    EXPECT_THAT(answer.body, HasSubstr("<!doctype html>"));
    // The snapshot replaced the placeholder, so the page renders before its first poll.
    EXPECT_THAT(answer.body, Not(HasSubstr(R"(type="application/json">null</script>)")));
    EXPECT_THAT(answer.body, HasSubstr(R"("name":"dogstatsd.lines_received")"));
    EXPECT_THAT(answer.body, HasSubstr(R"("site":"datadoghq.eu")"));
  }
}

TEST(StatusHandlerTest, HeadOfRootIsAllowed) {
  telemetry::Registry registry;
  StatusView view{&registry, false, nullptr};
  EXPECT_EQ(HandleStatusRequest("HEAD", "/", view).status, 200);
}

TEST(StatusHandlerTest, TagValueCannotCloseTheInlinedSnapshotScript) {
  telemetry::Registry registry;
  registry.GetCounter("logs.records_dropped", {{"reason", "</script><script>alert(1)"}}).Add();
  StatusView view{&registry, false, nullptr};
  StatusAnswer answer = HandleStatusRequest("GET", "/", view);
  ASSERT_EQ(answer.status, 200);
  EXPECT_THAT(answer.body, Not(HasSubstr("</script><script>alert")));
  EXPECT_THAT(answer.body, HasSubstr(R"(\u003c/script>\u003cscript>alert(1))"));
}

}  // namespace
}  // namespace sidecar::status
