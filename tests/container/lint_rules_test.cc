// lint-task-def rules against the fixtures in tests/testdata/taskdef-lint: for every rule one
// fixture that breaks it (and nothing else) and one that passes every rule. Expected findings are
// written from the rule list and the facts of spec ecs-logs.md C6.1 (canonical sidecar)
// and C7 (known user problems), cited per case.
#include "container/lint/lint_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "container/lint/lint_report.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testdata.h"

namespace sidecar::container::lint {
namespace {

using ::sidecar::testing::IsOk;
using ::testing::IsEmpty;

std::vector<Finding> LintFile(const std::string& path) {
  absl::StatusOr<std::string> text = sidecar::testing::ReadFileToString(path);
  EXPECT_THAT(text, IsOk()) << path;
  absl::StatusOr<std::vector<Finding>> findings = LintText(text.ok() ? *text : "");
  EXPECT_THAT(findings, IsOk()) << path << ": " << findings.status();
  return findings.ok() ? *findings : std::vector<Finding>{};
}

std::vector<Finding> LintFixture(const std::string& name) {
  return LintFile(sidecar::testing::TestdataPath("taskdef-lint/" + name));
}

std::string Describe(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& finding : findings) {
    out += std::string(SeverityName(finding.severity)) + " " + finding.rule + " at " +
           finding.path + "\n";
  }
  return out;
}

// Errors and warnings only: info findings are advice, not a failed lint.
std::vector<Finding> Blocking(const std::vector<Finding>& findings) {
  std::vector<Finding> blocking;
  for (const Finding& finding : findings) {
    if (finding.severity != Severity::kInfo) {
      blocking.push_back(finding);
    }
  }
  return blocking;
}

struct FailCase {
  const char* rule;
  Severity severity;
  const char* path;
  const char* why;  // the spec fact behind the rule
};

void PrintTo(const FailCase& c, std::ostream* os) { *os << c.rule; }

class FailingFixtureTest : public ::testing::TestWithParam<FailCase> {};

TEST_P(FailingFixtureTest, ReportsTheRuleAtThePathAndNothingElseBlocking) {
  const FailCase& c = GetParam();
  const std::vector<Finding> findings = LintFixture(std::string(c.rule) + ".fail.json");
  bool found = false;
  for (const Finding& finding : findings) {
    if (finding.rule == c.rule && finding.severity == c.severity && finding.path == c.path) {
      found = true;
      EXPECT_FALSE(finding.why.empty());
      EXPECT_FALSE(finding.fix.empty());
    } else {
      // The fixture breaks one rule only; anything else would be a false positive.
      EXPECT_EQ(finding.severity, Severity::kInfo)
          << "unexpected " << finding.rule << " at " << finding.path;
    }
  }
  EXPECT_TRUE(found) << "want " << SeverityName(c.severity) << " " << c.rule << " at " << c.path
                     << " (" << c.why << "), got:\n"
                     << Describe(findings);
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, FailingFixtureTest,
    ::testing::Values(
        FailCase{"sidecar-present", Severity::kError, "$.containerDefinitions",
                 "an app alone has nothing to send to"},
        FailCase{"network-mode", Severity::kError, "$.networkMode",
                 "C6.1: localhost clients need awsvpc's shared loopback"},
        FailCase{"api-key-plain-env", Severity::kError, "$.containerDefinitions[0].environment[2]",
                 "C6.1 IAM row: the key belongs in secrets"},
        FailCase{"health-check", Severity::kError, "$.containerDefinitions[0]",
                 "C6.1: ECS ignores the image HEALTHCHECK"},
        FailCase{"depends-on-healthy", Severity::kWarning, "$.containerDefinitions[1]",
                 "C7 traces refused before agent ready (#23048)"},
        FailCase{"ports-or-non-local", Severity::kWarning,
                 "$.containerDefinitions[1].environment[2]",
                 "C6.1: apps reach the sidecar on localhost; do not set DD_AGENT_HOST"},
        FailCase{"uds-volume-shared", Severity::kError, "$.containerDefinitions[1].mountPoints[0]",
                 "C6.1: UDS via a shared task volume dd-sockets"},
        FailCase{"apm-disabled", Severity::kWarning, "$.containerDefinitions[0].environment[2]",
                 "C6.1 APM default row; the app traces"},
        FailCase{"memory", Severity::kError, "$.containerDefinitions[0].memory",
                 "C7 agent OOM on Fargate (#29319)"},
        FailCase{"firelens-options", Severity::kError,
                 "$.containerDefinitions[1].logConfiguration.logDriver",
                 "B4.1: the router is the container with firelensConfiguration"},
        FailCase{"unified-service-tags", Severity::kWarning, "$.containerDefinitions",
                 "C6.1 dockerLabels/env DD_ENV, DD_SERVICE, DD_VERSION"},
        FailCase{"hostname-set", Severity::kWarning, "$.containerDefinitions[0].environment[2]",
                 "C6.1: DD_HOSTNAME turns the task into a billed host"},
        FailCase{"essential", Severity::kInfo, "$.containerDefinitions[0].essential",
                 "C6.1 essential row: a deliberate choice"},
        FailCase{"stop-timeout", Severity::kWarning, "$.containerDefinitions[0].stopTimeout",
                 "C7 last seconds of metrics lost at task stop (#3940)"}),
    [](const ::testing::TestParamInfo<FailCase>& param_info) {
      std::string name = param_info.param.rule;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

class PassingFixtureTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(PassingFixtureTest, HasNoFindingOfTheRuleAndNothingBlocking) {
  const std::string rule(GetParam());
  const std::vector<Finding> findings = LintFixture(rule + ".pass.json");
  EXPECT_THAT(Blocking(findings), IsEmpty()) << Describe(findings);
  for (const Finding& finding : findings) {
    EXPECT_NE(finding.rule, rule) << Describe(findings);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRule, PassingFixtureTest, ::testing::ValuesIn(kRuleIds),
                         [](const ::testing::TestParamInfo<std::string_view>& param_info) {
                           std::string name(param_info.param);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(LintFixturesTest, EveryRuleHasAFailingFixture) {
  // Guards the table above against a rule added to kRuleIds without a failing case.
  for (std::string_view rule : kRuleIds) {
    const std::string path =
        sidecar::testing::TestdataPath("taskdef-lint/" + std::string(rule) + ".fail.json");
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  }
}

TEST(LintFixturesTest, CloudFormationTemplateWithIntrinsicsLintsClean) {
  // Fn::Sub image, Ref secrets, an Fn::If environment entry and a string MemoryReservation are
  // all "some value" and must not trip any rule.
  const std::vector<Finding> findings = LintFixture("cfn-template.pass.json");
  EXPECT_THAT(Blocking(findings), IsEmpty()) << Describe(findings);
}

TEST(LintFixturesTest, CloudFormationFindingsUsePascalCasePaths) {
  const std::vector<Finding> findings = LintFixture("cfn-template.fail.json");
  const std::string base = "$.Resources.WorkerTask.Properties";
  std::vector<std::string> got;
  for (const Finding& finding : Blocking(findings)) {
    got.push_back(finding.rule + " " + finding.path);
  }
  EXPECT_THAT(got, ::testing::UnorderedElementsAre(
                       "network-mode " + base + ".NetworkMode",
                       // A Ref to a NoEcho parameter is still plain text in the task definition.
                       "api-key-plain-env " + base + ".ContainerDefinitions[0].Environment[0]",
                       "depends-on-healthy " + base + ".ContainerDefinitions[1]"));
  EXPECT_EQ(ExitStatus(findings), kExitError);
}

// The acceptance criterion: every definition we ship lints clean. Other definitions are
// being added, so the folders are read at run time.
TEST(ShippedTaskDefinitionsTest, HaveNoErrorsOrWarnings) {
  const std::filesystem::path root = SIDECAR_SOURCE_DIR;
  int linted = 0;
  for (const char* folder : {"task-definitions", "task-definitions/cloudformation"}) {
    const std::filesystem::path dir = root / folder;
    if (!std::filesystem::is_directory(dir)) {
      continue;
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".json") {
        continue;
      }
      SCOPED_TRACE(entry.path().string());
      const std::vector<Finding> findings = LintFile(entry.path().string());
      EXPECT_THAT(Blocking(findings), IsEmpty()) << Describe(findings);
      ++linted;
    }
  }
  EXPECT_GE(linted, 1);
}

}  // namespace
}  // namespace sidecar::container::lint
