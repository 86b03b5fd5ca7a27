// The branches of each lint rule that the one-fixture-per-rule table does not reach, on a small
// task built in code: a sidecar and one app that would lint clean, then one change per test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "container/lint/lint_rules.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testdata.h"

namespace sidecar::container::lint {
namespace {

using Json = nlohmann::json;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Json Env(std::initializer_list<std::pair<const char*, const char*>> entries) {
  Json list = Json::array();
  for (const auto& [name, value] : entries) {
    list.push_back({{"name", name}, {"value", value}});
  }
  return list;
}

// Mirrors tests/testdata/taskdef-lint/*.pass.json: clean under every rule.
Json CleanTask() {
  return Json{
      {"networkMode", "awsvpc"},
      {"requiresCompatibilities", {"FARGATE"}},
      {"containerDefinitions",
       {{{"name", "sidecar-agent"},
         {"image", "sidecar-agent:0.1.0"},
         {"environment", Env({{"DD_ENV", "prod"}})},
         {"secrets", {{{"name", "DD_API_KEY"}, {"valueFrom", "arn:secret"}}}},
         {"healthCheck", {{"command", {"CMD", "/usr/local/bin/sidecar-agent", "health"}}}},
         {"memoryReservation", 64},
         {"stopTimeout", 30}},
        {{"name", "app"},
         {"image", "example/app:1"},
         {"environment", Env({{"DD_SERVICE", "web"}, {"DD_VERSION", "1"}})},
         {"dependsOn", {{{"containerName", "sidecar-agent"}, {"condition", "HEALTHY"}}}}}}}};
}

Json& Sidecar(Json& task) { return task["containerDefinitions"][0]; }
Json& App(Json& task) { return task["containerDefinitions"][1]; }

std::vector<Finding> Lint(const Json& task) {
  absl::StatusOr<std::vector<Finding>> findings = LintText(task.dump());
  EXPECT_TRUE(findings.ok()) << findings.status();
  return findings.ok() ? *findings : std::vector<Finding>{};
}

auto IsFinding(Severity severity, const std::string& rule, const std::string& path) {
  return AllOf(Field(&Finding::severity, severity), Field(&Finding::rule, rule),
               Field(&Finding::path, path));
}

auto HasRule(const std::string& rule) { return Contains(Field(&Finding::rule, rule)); }

TEST(LintRuleCasesTest, CleanTaskHasNoFindings) { EXPECT_THAT(Lint(CleanTask()), IsEmpty()); }

// ---- sidecar detection ----

TEST(LintRuleCasesTest, SidecarIsFoundByDatadogImageOrName) {
  Json by_image = CleanTask();
  Sidecar(by_image)["name"] = "agent";
  Sidecar(by_image)["image"] = "public.ecr.aws/datadog/agent:7";
  App(by_image)["dependsOn"][0]["containerName"] = "agent";
  EXPECT_THAT(Lint(by_image), IsEmpty());

  Json by_name = CleanTask();
  Sidecar(by_name)["name"] = "datadog";
  Sidecar(by_name)["image"] = "example/custom:1";
  Sidecar(by_name).erase("secrets");
  App(by_name)["dependsOn"][0]["containerName"] = "datadog";
  // Without the name rule the sidecar (no DD_API_KEY, custom image) would not be found.
  EXPECT_THAT(Lint(by_name), Not(HasRule("sidecar-present")));
}

// ---- network-mode ----

TEST(LintRuleCasesTest, HostOrMissingNetworkModeIsAnError) {
  Json task = CleanTask();
  task["networkMode"] = "host";
  const std::vector<Finding> host = Lint(task);
  ASSERT_THAT(host,
              ::testing::ElementsAre(IsFinding(Severity::kError, "network-mode", "$.networkMode")));
  EXPECT_THAT(host[0].why, HasSubstr("cannot bind 8125/8126"));
  task.erase("networkMode");
  EXPECT_THAT(Lint(task),
              ::testing::ElementsAre(IsFinding(Severity::kError, "network-mode", "$.networkMode")));
}

// ---- api-key-plain-env ----

TEST(LintRuleCasesTest, ApiKeyInFirelensOptionsIsAnError) {
  Json task = CleanTask();
  App(task)["logConfiguration"] = {{"logDriver", "awslogs"}, {"options", {{"apikey", "abc"}}}};
  EXPECT_THAT(Lint(task),
              Contains(IsFinding(Severity::kError, "api-key-plain-env",
                                 "$.containerDefinitions[1].logConfiguration.options.apikey")));
}

TEST(LintRuleCasesTest, ApiKeyInAnAppsEnvironmentIsAnErrorToo) {
  Json task = CleanTask();
  App(task)["environment"].push_back({{"name", "DD_API_KEY"}, {"value", "abc"}});
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kError, "api-key-plain-env",
                                             "$.containerDefinitions[1].environment[2]")));
}

// ---- health-check ----

TEST(LintRuleCasesTest, HealthCommandThatDoesNotRunHealthIsAWarning) {
  Json task = CleanTask();
  Sidecar(task)["healthCheck"]["command"] = {"CMD-SHELL", "exit 0"};
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kWarning, "health-check",
                                             "$.containerDefinitions[0].healthCheck.command")));
}

TEST(LintRuleCasesTest, AgentStyleHealthCommandsAreAccepted) {
  // C6.1: docs `agent health`, Terraform `/probe.sh`, CDK bare `/probe.sh`.
  for (const Json& command : {Json{"CMD-SHELL", "agent health"}, Json{"CMD-SHELL", "/probe.sh"},
                              Json{"/probe.sh"}, Json{"CMD", "sidecar-agent", "health"},
                              Json{"CMD-SHELL", "sidecar-agent health||exit 1"}}) {
    Json task = CleanTask();
    Sidecar(task)["healthCheck"]["command"] = command;
    EXPECT_THAT(Lint(task), Not(HasRule("health-check"))) << command.dump();
  }
}

// ---- depends-on-healthy ----

TEST(LintRuleCasesTest, DependingOnTheSidecarStartOnlyIsAWarningAtTheDependency) {
  // C7: tracers still met refused connections until the condition was HEALTHY (#23048).
  Json task = CleanTask();
  App(task)["dependsOn"][0]["condition"] = "START";
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kWarning, "depends-on-healthy",
                                             "$.containerDefinitions[1].dependsOn[0]")));
}

TEST(LintRuleCasesTest, AppWithTracingDisabledAndNoDatadogClientNeedsNoDependency) {
  Json task = CleanTask();
  App(task)["environment"] = Env({{"DD_TRACE_ENABLED", "false"}, {"DD_SERVICE", "web"}});
  App(task).erase("dependsOn");
  Sidecar(task)["environment"] = Env({{"DD_ENV", "prod"}, {"DD_VERSION", "1"}});
  EXPECT_THAT(Lint(task), Not(HasRule("depends-on-healthy")));
}

TEST(LintRuleCasesTest, AppLoggingThroughTheSidecarRouterNeedsTheDependency) {
  Json task = CleanTask();
  Sidecar(task)["firelensConfiguration"] = {{"type", "fluentbit"}};
  Sidecar(task)["environment"].push_back({{"name", "DD_LOGS_ENABLED"}, {"value", "true"}});
  App(task)["environment"] = Json::array();
  App(task)["dockerLabels"] = {{"com.datadoghq.tags.service", "web"},
                               {"com.datadoghq.tags.version", "1"}};
  App(task)["logConfiguration"] = {{"logDriver", "awsfirelens"},
                                   {"options", {{"dd_service", "web"}}}};
  EXPECT_THAT(Lint(task), IsEmpty());
  App(task).erase("dependsOn");
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kWarning, "depends-on-healthy",
                                             "$.containerDefinitions[1]")));
}

// ---- ports-or-non-local ----

TEST(LintRuleCasesTest, NonLocalTraceUrlNamesOnlyTheApmFlag) {
  Json task = CleanTask();
  App(task)["environment"].push_back(
      {{"name", "DD_TRACE_AGENT_URL"}, {"value", "http://10.0.3.7:8126"}});
  const std::vector<Finding> findings = Lint(task);
  ASSERT_THAT(findings, Contains(IsFinding(Severity::kWarning, "ports-or-non-local",
                                           "$.containerDefinitions[1].environment[2]")));
  for (const Finding& finding : findings) {
    EXPECT_THAT(finding.fix, HasSubstr("DD_APM_NON_LOCAL_TRAFFIC"));
    EXPECT_THAT(finding.fix, Not(HasSubstr("DD_DOGSTATSD_NON_LOCAL_TRAFFIC")));
  }
}

TEST(LintRuleCasesTest, NonLocalHostIsFineWhenTheSidecarAcceptsNonLocalTraffic) {
  Json task = CleanTask();
  App(task)["environment"].push_back({{"name", "DD_AGENT_HOST"}, {"value", "10.0.3.7"}});
  Sidecar(task)["environment"].push_back({{"name", "DD_APM_NON_LOCAL_TRAFFIC"}, {"value", "true"}});
  Sidecar(task)["environment"].push_back(
      {{"name", "DD_DOGSTATSD_NON_LOCAL_TRAFFIC"}, {"value", "true"}});
  EXPECT_THAT(Lint(task), IsEmpty());
}

TEST(LintRuleCasesTest, LoopbackAddressesAreFine) {
  for (const char* host : {"localhost", "127.0.0.1", "::1"}) {
    Json task = CleanTask();
    App(task)["environment"].push_back({{"name", "DD_AGENT_HOST"}, {"value", host}});
    EXPECT_THAT(Lint(task), IsEmpty()) << host;
  }
}

TEST(LintRuleCasesTest, HostPortMappingOfTheAgentPortsIsAWarning) {
  // C6.1 portMappings row: a stray hostPort mapping was behind exit 137 / refused 8126 (#23048).
  Json task = CleanTask();
  Sidecar(task)["portMappings"] = {{{"containerPort", 8125}, {"protocol", "udp"}},
                                   {{"containerPort", 8126}, {"hostPort", 18126}}};
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kWarning, "ports-or-non-local",
                                             "$.containerDefinitions[0].portMappings[1]")));
}

// ---- uds-volume-shared ----

TEST(LintRuleCasesTest, UnixUrlWithoutAnyVolumeIsAnErrorAtTheUrl) {
  Json task = CleanTask();
  App(task)["environment"].push_back(
      {{"name", "DD_TRACE_AGENT_URL"}, {"value", "unix:///var/run/datadog/apm.socket"}});
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kError, "uds-volume-shared",
                                             "$.containerDefinitions[1].environment[2]")));
}

TEST(LintRuleCasesTest, VolumeMountedElsewhereInTheSidecarNeedsTheSocketSetting) {
  Json task = CleanTask();
  task["volumes"] = {{{"name", "dd-sockets"}}};
  App(task)["environment"].push_back(
      {{"name", "DD_DOGSTATSD_URL"}, {"value", "unix:///var/run/datadog/dsd.socket"}});
  App(task)["mountPoints"] = {
      {{"sourceVolume", "dd-sockets"}, {"containerPath", "/var/run/datadog"}}};
  Sidecar(task)["mountPoints"] = {{{"sourceVolume", "dd-sockets"}, {"containerPath", "/sockets"}}};
  const std::vector<Finding> findings = Lint(task);
  ASSERT_THAT(findings, Contains(IsFinding(Severity::kError, "uds-volume-shared",
                                           "$.containerDefinitions[0]")));
  for (const Finding& finding : findings) {
    EXPECT_THAT(finding.fix, HasSubstr("DD_DOGSTATSD_SOCKET=/sockets/dsd.socket"));
  }

  Sidecar(task)["environment"].push_back(
      {{"name", "DD_DOGSTATSD_SOCKET"}, {"value", "/sockets/dsd.socket"}});
  EXPECT_THAT(Lint(task), IsEmpty());
}

TEST(LintRuleCasesTest, SidecarSocketTurnedOffWhileAnAppUsesItIsAnError) {
  Json task = CleanTask();
  App(task)["environment"].push_back(
      {{"name", "DD_DOGSTATSD_URL"}, {"value", "unix:///var/run/datadog/dsd.socket"}});
  App(task)["mountPoints"] = {{{"sourceVolume", "dd"}, {"containerPath", "/var/run/datadog"}}};
  Sidecar(task)["mountPoints"] = {{{"sourceVolume", "dd"}, {"containerPath", "/var/run/datadog"}}};
  Sidecar(task)["environment"].push_back({{"name", "DD_DOGSTATSD_SOCKET"}, {"value", ""}});
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kError, "uds-volume-shared",
                                             "$.containerDefinitions[0].environment[1]")));
}

TEST(LintRuleCasesTest, SidecarSocketOutsideAnySharedVolumeIsAWarning) {
  Json task = CleanTask();
  Sidecar(task)["environment"].push_back(
      {{"name", "DD_APM_RECEIVER_SOCKET"}, {"value", "/var/run/datadog/apm.socket"}});
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kWarning, "uds-volume-shared",
                                             "$.containerDefinitions[0].environment[1]")));
  Sidecar(task)["mountPoints"] = {{{"sourceVolume", "dd"}, {"containerPath", "/var/run/datadog"}}};
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kWarning, "uds-volume-shared",
                                             "$.containerDefinitions[0].mountPoints[0]")));
  App(task)["mountPoints"] = {{{"sourceVolume", "dd"}, {"containerPath", "/var/run/datadog"}}};
  EXPECT_THAT(Lint(task), IsEmpty());
}

// ---- apm-disabled ----

TEST(LintRuleCasesTest, ApmDisabledWithoutTracingAppsIsOnlyInfo) {
  Json task = CleanTask();
  Sidecar(task)["environment"] = Env({{"DD_ENV", "prod"}, {"DD_APM_ENABLED", "false"}});
  App(task)["environment"] = Env({{"DD_DOGSTATSD_PORT", "8125"}});
  App(task)["dockerLabels"] = {{"com.datadoghq.tags.service", "web"},
                               {"com.datadoghq.tags.version", "1"}};
  EXPECT_THAT(Lint(task),
              ::testing::ElementsAre(IsFinding(Severity::kInfo, "apm-disabled",
                                               "$.containerDefinitions[0].environment[1]")));
}

// ---- memory ----

TEST(LintRuleCasesTest, SmallReservationIsAWarningAndNoLimitsAreInfo) {
  Json task = CleanTask();
  Sidecar(task)["memoryReservation"] = 32;
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kWarning, "memory",
                                             "$.containerDefinitions[0].memoryReservation")));
  Sidecar(task).erase("memoryReservation");
  EXPECT_THAT(Lint(task), ::testing::ElementsAre(
                              IsFinding(Severity::kInfo, "memory", "$.containerDefinitions[0]")));
  Sidecar(task)["memory"] = 128;
  EXPECT_THAT(Lint(task), IsEmpty());
}

// ---- firelens-options ----

Json RouterTask() {
  Json task = CleanTask();
  Sidecar(task)["firelensConfiguration"] = {{"type", "fluentbit"}};
  Sidecar(task)["environment"].push_back({{"name", "DD_LOGS_ENABLED"}, {"value", "true"}});
  App(task)["logConfiguration"] = {
      {"logDriver", "awsfirelens"},
      {"options", {{"Name", "datadog"}, {"dd_service", "web"}, {"provider", "ecs"}}}};
  return task;
}

TEST(LintRuleCasesTest, FluentBitOutputOptionsAreIgnoredByOurRouter) {
  Json task = RouterTask();
  EXPECT_THAT(Lint(task), IsEmpty());
  App(task)["logConfiguration"]["options"]["Host"] = "http-intake.logs.datadoghq.eu";
  App(task)["logConfiguration"]["options"]["TLS"] = "on";
  const std::vector<Finding> findings = Lint(task);
  ASSERT_THAT(findings, ::testing::ElementsAre(
                            IsFinding(Severity::kWarning, "firelens-options",
                                      "$.containerDefinitions[1].logConfiguration.options")));
  EXPECT_THAT(findings[0].why, HasSubstr("Host, TLS"));
}

TEST(LintRuleCasesTest, RoutingToAnotherFluentBitOutputIsAWarning) {
  Json task = RouterTask();
  App(task)["logConfiguration"]["options"]["Name"] = "cloudwatch";
  EXPECT_THAT(Lint(task), HasRule("firelens-options"));
}

TEST(LintRuleCasesTest, RouterWithoutLogsEnabledIsAnError) {
  Json task = RouterTask();
  Sidecar(task)["environment"] = Env({{"DD_ENV", "prod"}});
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kError, "firelens-options",
                                             "$.containerDefinitions[0]")));
  Sidecar(task)["environment"].push_back({{"name", "DD_LOGS_ENABLED"}, {"value", "false"}});
  EXPECT_THAT(Lint(task), Contains(IsFinding(Severity::kError, "firelens-options",
                                             "$.containerDefinitions[0].environment[1]")));
}

TEST(LintRuleCasesTest, RouterWithNoFirelensAppIsInfo) {
  Json task = RouterTask();
  App(task).erase("logConfiguration");
  EXPECT_THAT(Lint(task),
              ::testing::ElementsAre(IsFinding(Severity::kInfo, "firelens-options",
                                               "$.containerDefinitions[0].firelensConfiguration")));
}

TEST(LintRuleCasesTest, RouterLoggingToItselfIsAWarning) {
  // B4.3 item 8: the router's own logs cannot go through awsfirelens.
  Json task = RouterTask();
  Sidecar(task)["logConfiguration"] = {{"logDriver", "awsfirelens"}};
  EXPECT_THAT(Lint(task),
              Contains(IsFinding(Severity::kWarning, "firelens-options",
                                 "$.containerDefinitions[0].logConfiguration.logDriver")));
}

TEST(LintRuleCasesTest, SpecCanonicalDefinitionWithFluentBitRouterLintsClean) {
  // C6.1's composite: datadog/agent sidecar, a separate Fluent Bit router whose `datadog` output
  // options are real there. Only info (no memory setting on the agent) is acceptable.
  absl::StatusOr<std::string> text = sidecar::testing::ReadFileToString(
      sidecar::testing::TestdataPath("taskdef-lint/c6-canonical.json"));
  ASSERT_TRUE(text.ok());
  absl::StatusOr<std::vector<Finding>> findings = LintText(*text);
  ASSERT_TRUE(findings.ok());
  for (const Finding& finding : *findings) {
    EXPECT_EQ(finding.severity, Severity::kInfo) << finding.rule << " at " << finding.path;
  }
}

// ---- unified-service-tags ----

TEST(LintRuleCasesTest, UnifiedTagsNameEveryMissingTag) {
  Json task = CleanTask();
  Sidecar(task)["environment"] = Json::array();
  App(task)["environment"] = Env({{"DD_TRACE_SAMPLE_RATE", "1"}});
  const std::vector<Finding> findings = Lint(task);
  ASSERT_THAT(findings, Contains(IsFinding(Severity::kWarning, "unified-service-tags",
                                           "$.containerDefinitions")));
  for (const Finding& finding : findings) {
    if (finding.rule == "unified-service-tags") {
      EXPECT_THAT(finding.why, HasSubstr("DD_ENV, DD_SERVICE, DD_VERSION"));
    }
  }
}

// ---- stop-timeout ----

TEST(LintRuleCasesTest, StopTimeoutAtOrBelowTheShutdownDeadlineIsInfo) {
  Json task = CleanTask();
  Sidecar(task)["stopTimeout"] = 20;
  EXPECT_THAT(Lint(task),
              ::testing::ElementsAre(IsFinding(Severity::kInfo, "stop-timeout",
                                               "$.containerDefinitions[0].stopTimeout")));
  Sidecar(task)["environment"].push_back(
      {{"name", "DD_SIDECAR_SHUTDOWN_TIMEOUT"}, {"value", "15"}});
  EXPECT_THAT(Lint(task), IsEmpty());
}

TEST(LintRuleCasesTest, MissingStopTimeoutIsInfoOnEc2Only) {
  Json task = CleanTask();
  Sidecar(task).erase("stopTimeout");
  EXPECT_THAT(Lint(task), IsEmpty());
  task["requiresCompatibilities"] = {"EC2"};
  EXPECT_THAT(Lint(task), ::testing::ElementsAre(IsFinding(Severity::kInfo, "stop-timeout",
                                                           "$.containerDefinitions[0]")));
}

}  // namespace
}  // namespace sidecar::container::lint
