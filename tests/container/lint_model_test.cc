// Parsing and normalizing task definitions for the linter (container/lint/task_model.h): the
// input shapes the issue lists (task definition, describe-task-definition wrapper, JSON
// CloudFormation), intrinsic functions as "some value", and hostile input that must not crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "container/lint/lint_rules.h"
#include "container/lint/task_model.h"
#include "tests/testing/status_matchers.h"

namespace sidecar::container::lint {
namespace {

using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::vector<TaskDefinition> ParseOk(std::string_view text) {
  absl::StatusOr<std::vector<TaskDefinition>> tasks = ParseTaskDefinitions(text);
  EXPECT_THAT(tasks, IsOk()) << tasks.status();
  return tasks.ok() ? *tasks : std::vector<TaskDefinition>{};
}

TEST(TaskModelTest, ReadsContainerFieldsWithTheirPaths) {
  const auto tasks = ParseOk(R"({
    "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
    "containerDefinitions": [{
      "name": "sidecar-agent", "image": "sidecar-agent:1", "essential": false,
      "environment": [{"name": "A", "value": "1"}, {"name": "DD_ENV", "value": "prod"}],
      "secrets": [{"name": "DD_API_KEY", "valueFrom": "arn"}],
      "memory": 256, "memoryReservation": 64, "stopTimeout": 30,
      "dockerLabels": {"com.datadoghq.tags.env": "prod"},
      "portMappings": [{"containerPort": 8126, "hostPort": 8126}],
      "healthCheck": {"command": ["CMD", "x", "health"]}
    }]})");
  ASSERT_THAT(tasks, SizeIs(1));
  const TaskDefinition& task = tasks[0];
  EXPECT_TRUE(task.IsFargate());
  EXPECT_EQ(task.network_mode_path, "$.networkMode");
  ASSERT_THAT(task.containers.items, SizeIs(1));
  const Container& c = task.containers.items[0];
  EXPECT_EQ(c.path, "$.containerDefinitions[0]");
  EXPECT_EQ(c.DisplayName(), "sidecar-agent");
  EXPECT_TRUE(c.essential.LiteralEquals("false"));
  ASSERT_NE(c.Env("DD_ENV"), nullptr);
  EXPECT_EQ(c.Env("DD_ENV")->path, "$.containerDefinitions[0].environment[1]");
  EXPECT_EQ(c.EnvLiteral("DD_ENV"), "prod");
  EXPECT_TRUE(c.HasEnvOrSecret("DD_API_KEY"));
  EXPECT_FALSE(c.HasEnvOrSecret("DD_HOSTNAME"));
  EXPECT_EQ(c.memory.value, 256);
  EXPECT_EQ(c.memory.path, "$.containerDefinitions[0].memory");
  EXPECT_EQ(c.memory_reservation.value, 64);
  EXPECT_EQ(c.stop_timeout.value, 30);
  ASSERT_THAT(c.docker_labels.items, SizeIs(1));
  // Label keys hold dots, so the path quotes them.
  EXPECT_EQ(c.docker_labels.items[0].path,
            R"($.containerDefinitions[0].dockerLabels["com.datadoghq.tags.env"])");
  ASSERT_THAT(c.port_mappings.items, SizeIs(1));
  EXPECT_EQ(c.port_mappings.items[0].host_port.value, 8126);
  EXPECT_EQ(c.health_check.command, (std::vector<std::string>{"CMD", "x", "health"}));
}

TEST(TaskModelTest, DescribeTaskDefinitionWrapperPathsStartAtTheWrapper) {
  const auto tasks = ParseOk(R"({"taskDefinition": {"networkMode": "bridge",
      "containerDefinitions": [{"name": "a"}]}})");
  ASSERT_THAT(tasks, SizeIs(1));
  EXPECT_EQ(tasks[0].network_mode_path, "$.taskDefinition.networkMode");
  ASSERT_THAT(tasks[0].containers.items, SizeIs(1));
  EXPECT_EQ(tasks[0].containers.items[0].path, "$.taskDefinition.containerDefinitions[0]");
}

TEST(TaskModelTest, BareContainerArraySaysNothingAboutTheTask) {
  const auto tasks = ParseOk(R"([{"name": "sidecar-agent"}, {"name": "app"}])");
  ASSERT_THAT(tasks, SizeIs(1));
  EXPECT_FALSE(tasks[0].has_task_fields);
  ASSERT_THAT(tasks[0].containers.items, SizeIs(2));
  EXPECT_EQ(tasks[0].containers.items[1].path, "$[1]");
  // No networkMode in a container list: the network-mode rule must stay silent.
  for (const Finding& finding : LintTaskDefinition(tasks[0])) {
    EXPECT_NE(finding.rule, "network-mode");
  }
}

TEST(TaskModelTest, CloudFormationReadsEveryTaskDefinitionResourceInPascalCase) {
  const auto tasks = ParseOk(R"({"Resources": {
      "Bucket": {"Type": "AWS::S3::Bucket"},
      "First": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"NetworkMode": "awsvpc",
        "ContainerDefinitions": [{"Name": "a", "Environment": [{"Name": "DD_ENV", "Value": "x"}],
          "MemoryReservation": "96", "DependsOn": [{"ContainerName": "b", "Condition": "START"}],
          "MountPoints": [{"SourceVolume": "v", "ContainerPath": "/v"}],
          "LogConfiguration": {"LogDriver": "awsfirelens", "Options": {"dd_service": "s"}}}]}},
      "Second": {"Type": "AWS::ECS::TaskDefinition", "Properties": {}}}})");
  ASSERT_THAT(tasks, SizeIs(2));
  const TaskDefinition& first = tasks[0];
  EXPECT_TRUE(first.pascal_case);
  EXPECT_EQ(first.Key("networkMode"), "NetworkMode");
  EXPECT_EQ(first.network_mode_path, "$.Resources.First.Properties.NetworkMode");
  EXPECT_TRUE(first.network_mode.LiteralEquals("awsvpc"));
  ASSERT_THAT(first.containers.items, SizeIs(1));
  const Container& c = first.containers.items[0];
  EXPECT_EQ(c.DisplayName(), "a");
  EXPECT_EQ(c.EnvLiteral("DD_ENV"), "x");
  // CloudFormation takes numbers as strings.
  EXPECT_EQ(c.memory_reservation.value, 96);
  ASSERT_THAT(c.depends_on.items, SizeIs(1));
  EXPECT_TRUE(c.depends_on.items[0].condition.LiteralEquals("START"));
  ASSERT_THAT(c.mount_points.items, SizeIs(1));
  EXPECT_TRUE(c.mount_points.items[0].container_path.LiteralEquals("/v"));
  EXPECT_TRUE(c.log_configuration.log_driver.LiteralEquals("awsfirelens"));
  EXPECT_EQ(c.log_configuration.options.items[0].path,
            "$.Resources.First.Properties.ContainerDefinitions[0].LogConfiguration.Options."
            "dd_service");
  EXPECT_EQ(tasks[1].path, "$.Resources.Second.Properties");
  EXPECT_TRUE(tasks[1].containers.items.empty());
}

TEST(TaskModelTest, IntrinsicsAreSomeValueAndShowTheirLiteralText) {
  const auto tasks = ParseOk(R"({"Resources": {"T": {"Type": "AWS::ECS::TaskDefinition",
      "Properties": {"NetworkMode": {"Ref": "Mode"}, "ContainerDefinitions": [
        {"Name": {"Fn::Sub": "${Prefix}-agent"},
         "Image": {"Fn::Join": ["", [{"Ref": "Registry"}, "/sidecar-agent:1"]]},
         "Memory": {"Ref": "Mem"},
         "Environment": [{"Name": "DD_APM_ENABLED", "Value": {"Fn::If": ["C", "true", "false"]}}],
         "Secrets": {"Fn::If": ["C", [], []]}}]}}}})");
  ASSERT_THAT(tasks, SizeIs(1));
  EXPECT_TRUE(tasks[0].network_mode.present);
  EXPECT_TRUE(tasks[0].network_mode.intrinsic);
  EXPECT_FALSE(tasks[0].network_mode.IsLiteral());
  const Container& c = tasks[0].containers.items[0];
  EXPECT_TRUE(c.name.intrinsic);
  EXPECT_EQ(c.name.text, "${Prefix}-agent");
  EXPECT_EQ(c.image.text, "/sidecar-agent:1");
  EXPECT_TRUE(c.memory.present);
  EXPECT_FALSE(c.memory.value.has_value());
  EXPECT_EQ(c.EnvLiteral("DD_APM_ENABLED"), std::nullopt);
  EXPECT_TRUE(c.secrets.opaque);
  // Nothing here may be taken for a literal mistake: no network-mode, memory or apm finding.
  for (const Finding& finding : LintTaskDefinition(tasks[0])) {
    EXPECT_NE(finding.rule, "network-mode");
    EXPECT_NE(finding.rule, "apm-disabled");
    if (finding.rule == "memory") {
      EXPECT_NE(finding.severity, Severity::kError);
    }
  }
}

TEST(TaskModelTest, RejectsYamlWithAClearMessage) {
  EXPECT_THAT(ParseTaskDefinitions("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("YAML")));
}

TEST(TaskModelTest, RejectsBrokenJsonEmptyFilesAndOtherShapes) {
  EXPECT_THAT(ParseTaskDefinitions(R"({"containerDefinitions": [)"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(ParseTaskDefinitions("  \n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ParseTaskDefinitions("42"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTaskDefinitions(R"({"family": "x"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("containerDefinitions")));
  EXPECT_THAT(
      ParseTaskDefinitions(R"({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no AWS::ECS::TaskDefinition")));
}

// Untrusted input: every field of the wrong type, and nesting deep enough to overflow a
// recursive parser. Parsing and linting must finish without crashing.
TEST(TaskModelTest, WrongTypesEverywhereDoNotCrash) {
  const char* inputs[] = {
      R"({"containerDefinitions": {"a": 1}})",
      R"({"containerDefinitions": [1, "x", null, [], {"name": 5, "image": [1],
          "environment": "DD_API_KEY=x", "secrets": {}, "dependsOn": [1, {"containerName": []}],
          "healthCheck": {"command": "CMD-SHELL x"}, "portMappings": [{"containerPort": "x",
          "hostPort": 1e300}], "mountPoints": [{"sourceVolume": {}, "containerPath": 3}],
          "logConfiguration": {"logDriver": 7, "options": [1], "secretOptions": "x"},
          "firelensConfiguration": 1, "memory": true, "memoryReservation": -5,
          "stopTimeout": 18446744073709551615, "dockerLabels": "x", "essential": "maybe"}]})",
      R"({"taskDefinition": 5, "containerDefinitions": []})",
      R"({"Resources": {"T": {"Type": "AWS::ECS::TaskDefinition", "Properties": [1]}}})",
      R"({"Resources": {"T": {"Type": "AWS::ECS::TaskDefinition",
          "Properties": {"ContainerDefinitions": [{"Fn::If": ["c", {}, {}]}]}}}})",
  };
  for (const char* input : inputs) {
    absl::StatusOr<std::vector<Finding>> findings = LintText(input);
    EXPECT_THAT(findings, IsOk()) << input;
  }
}

TEST(TaskModelTest, DeeplyNestedInputDoesNotOverflowTheStack) {
  const std::string deep = R"({"containerDefinitions": [{"name": )" + std::string(100000, '[') +
                           std::string(100000, ']') + "}]}";
  EXPECT_THAT(LintText(deep), IsOk());
}

TEST(TaskModelTest, PathKeysThatAreNotIdentifiersAreQuoted) {
  EXPECT_EQ(AppendKey("$", "NetworkMode"), "$.NetworkMode");
  EXPECT_EQ(AppendKey("$.o", "log-driver-buffer-limit"), R"($.o["log-driver-buffer-limit"])");
  EXPECT_EQ(AppendKey("$", "a\"b"), R"($["a\"b"])");
  EXPECT_EQ(AppendKey("$", ""), R"($[""])");
  EXPECT_EQ(AppendIndex("$.x", 3), "$.x[3]");
}

}  // namespace
}  // namespace sidecar::container::lint
