// `sidecar-agent lint-task-def` (agent/app/lint_command.h): arguments, output formats and the
// exit statuses the issue specifies (0 clean/info, 1 warning, 2 error, 3 unreadable).
#include "agent/app/lint_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/testing/testdata.h"

namespace sidecar::app {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct CommandRun {
  int status = -1;
  std::string out;
  std::string err;
};

std::string Drain(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[4096];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, read);
  }
  std::fclose(file);
  return text;
}

CommandRun Lint(std::vector<std::string> words) {
  std::vector<std::string_view> args(words.begin(), words.end());
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  CommandRun run;
  run.status = RunLintTaskDef(args, out, err);
  run.out = Drain(out);
  run.err = Drain(err);
  return run;
}

std::string Fixture(const std::string& name) {
  return sidecar::testing::TestdataPath("taskdef-lint/" + name);
}

TEST(LintCommandTest, ExitStatusFollowsTheWorstFinding) {
  EXPECT_EQ(Lint({Fixture("network-mode.pass.json")}).status, 0);
  EXPECT_EQ(Lint({Fixture("essential.fail.json")}).status, 0);  // info only
  EXPECT_EQ(Lint({Fixture("hostname-set.fail.json")}).status, 1);
  EXPECT_EQ(Lint({Fixture("network-mode.fail.json")}).status, 2);
}

TEST(LintCommandTest, TextOutputHasOneBlockPerFindingAndASummary) {
  const std::string file = Fixture("network-mode.fail.json");
  const CommandRun run = Lint({file});
  EXPECT_THAT(run.out, StartsWith("ERROR network-mode at $.networkMode\n  why: "));
  EXPECT_THAT(run.out, HasSubstr("\n  fix: set \"networkMode\": \"awsvpc\"\n"));
  EXPECT_THAT(run.out, HasSubstr(file + ": 1 error, 0 warnings, 0 info\n"));
  EXPECT_TRUE(run.err.empty());
}

TEST(LintCommandTest, JsonOutputListsFindingsAndTheWorstSeverity) {
  const std::string file = Fixture("stop-timeout.fail.json");
  const CommandRun run = Lint({"--json", file});
  EXPECT_EQ(run.status, 1);
  const nlohmann::json report = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out;
  EXPECT_EQ(report["file"], file);
  EXPECT_EQ(report["worst"], "warning");
  ASSERT_EQ(report["findings"].size(), 1u);
  const nlohmann::json& finding = report["findings"][0];
  EXPECT_EQ(finding["severity"], "warning");
  EXPECT_EQ(finding["rule"], "stop-timeout");
  EXPECT_EQ(finding["path"], "$.containerDefinitions[0].stopTimeout");
  EXPECT_TRUE(finding["why"].is_string());
  EXPECT_TRUE(finding["fix"].is_string());
}

TEST(LintCommandTest, CleanFileInJsonSaysWorstNone) {
  const CommandRun run = Lint({Fixture("memory.pass.json"), "--json"});
  EXPECT_EQ(run.status, 0);
  const nlohmann::json report = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["worst"], "none");
  EXPECT_TRUE(report["findings"].empty());
}

TEST(LintCommandTest, UnreadableOrUnparsableFilesExitThree) {
  const CommandRun missing = Lint({"/nonexistent/taskdef.json"});
  EXPECT_EQ(missing.status, 3);
  EXPECT_THAT(missing.err, HasSubstr("cannot open /nonexistent/taskdef.json"));

  const std::string yaml = ::testing::TempDir() + "/lint_template.yaml";
  std::FILE* file = std::fopen(yaml.c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fputs("Resources:\n  TaskDef:\n    Type: AWS::ECS::TaskDefinition\n", file);
  std::fclose(file);
  const CommandRun text = Lint({yaml});
  EXPECT_EQ(text.status, 3);
  EXPECT_THAT(text.err, HasSubstr("YAML"));

  const CommandRun json = Lint({"--json", yaml});
  EXPECT_EQ(json.status, 3);
  const nlohmann::json report = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << json.out;
  EXPECT_THAT(report["error"].get<std::string>(), HasSubstr("YAML"));
}

TEST(LintCommandTest, DirectoryIsUnreadable) { EXPECT_EQ(Lint({::testing::TempDir()}).status, 3); }

TEST(LintCommandTest, BadUsageExitsThreeAndHelpExitsZero) {
  EXPECT_EQ(Lint({}).status, 3);
  EXPECT_EQ(Lint({"a.json", "b.json"}).status, 3);
  const CommandRun unknown = Lint({"--yaml", "a.json"});
  EXPECT_EQ(unknown.status, 3);
  EXPECT_THAT(unknown.err, HasSubstr("unknown option --yaml"));
  const CommandRun help = Lint({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_THAT(help.out, HasSubstr("Exit status:"));
  EXPECT_THAT(help.out, HasSubstr("3  the file cannot be read or parsed"));
}

}  // namespace
}  // namespace sidecar::app
