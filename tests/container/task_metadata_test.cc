// Parsing of the ECS task metadata documents (container/task_metadata.h), against the fixtures in
// tests/testdata/ecs (spec ecs-logs.md §A1.3) and inline v3/v2 and malformed documents.
#include "container/task_metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/status_matchers.h"
#include "tests/testing/testdata.h"

namespace sidecar::container {
namespace {

using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

std::string Fixture(std::string_view name) {
  absl::StatusOr<std::string> text =
      sidecar::testing::ReadFileToString(sidecar::testing::TestdataPath(name));
  EXPECT_THAT(text, IsOk());
  return text.ok() ? *text : std::string();
}

TEST(TaskMetadataTest, ParsesFargateTaskFixture) {
  absl::StatusOr<TaskMetadata> task = ParseTaskDocument(Fixture("ecs/fargate_task.json"));
  ASSERT_THAT(task, IsOk());
  EXPECT_EQ(task->cluster,
            "arn:aws:ecs:ap-northeast-1:601427279990:cluster/akira-fargate-check-cluster");
  EXPECT_EQ(task->cluster_name, "akira-fargate-check-cluster");
  EXPECT_EQ(task->task_arn,
            "arn:aws:ecs:ap-northeast-1:601427279990:task/akira-fargate-check-cluster/"
            "67cd8a22b533459696d4ccab5278e009");
  EXPECT_EQ(task->task_id, "67cd8a22b533459696d4ccab5278e009");
  EXPECT_EQ(task->family, "akira-fargate-check");
  EXPECT_EQ(task->revision, "1");
  EXPECT_EQ(task->desired_status, "RUNNING");
  EXPECT_EQ(task->known_status, "RUNNING");
  EXPECT_EQ(task->limits.cpu, 1.0);
  EXPECT_EQ(task->limits.memory_mib, 3072);
  EXPECT_EQ(task->pull_started_at, "2023-06-20T01:13:03.763177835Z");
  EXPECT_EQ(task->pull_stopped_at, "2023-06-20T01:13:30.942112076Z");
  EXPECT_EQ(task->execution_stopped_at, "");
  EXPECT_EQ(task->availability_zone, "ap-northeast-1d");
  EXPECT_EQ(task->launch_type, LaunchType::kFargate);
  EXPECT_EQ(task->launch_type_name, "FARGATE");
  EXPECT_EQ(task->service_name, "");
  EXPECT_EQ(task->partition, "aws");
  EXPECT_EQ(task->region, "ap-northeast-1");
  EXPECT_EQ(task->account_id, "601427279990");
  ASSERT_TRUE(task->ephemeral_storage.has_value());
  EXPECT_EQ(task->ephemeral_storage->utilized_mib, 2925);
  EXPECT_EQ(task->ephemeral_storage->reserved_mib, 21499);
  EXPECT_TRUE(task->task_tags.empty());
  ASSERT_EQ(task->containers.size(), 2u);

  const ContainerMetadata& agent = task->containers[0];
  EXPECT_EQ(agent.docker_id, "67cd8a22b533459696d4ccab5278e009-2860414825");
  EXPECT_EQ(agent.name, "dd-agent");
  EXPECT_EQ(agent.docker_name, "dd-agent");
  EXPECT_EQ(agent.image, "public.ecr.aws/b1o7r7e0/akira-agent-fgcheck:9");
  EXPECT_EQ(agent.image_id,
            "sha256:9d285ef4b9bac6f4c58211b711436dd507db7ba1f52605ae463102ee31b0f49b");
  EXPECT_EQ(agent.labels.size(), 5u);
  EXPECT_EQ(agent.labels.at("com.amazonaws.ecs.container-name"), "dd-agent");
  EXPECT_EQ(agent.known_status, "RUNNING");
  EXPECT_EQ(agent.limits.cpu, 2.0);
  EXPECT_FALSE(agent.limits.memory_mib.has_value());  // Fargate omits an unset Memory.
  EXPECT_EQ(agent.type, ContainerType::kNormal);
  EXPECT_EQ(agent.created_at, "2023-06-20T01:13:35.073930071Z");
  ASSERT_EQ(agent.networks.size(), 1u);
  EXPECT_EQ(agent.networks[0].network_mode, "awsvpc");
  EXPECT_THAT(agent.networks[0].ipv4_addresses, ElementsAre("172.31.38.118"));
  EXPECT_EQ(agent.networks[0].attachment_index, 0);
  EXPECT_EQ(agent.networks[0].mac_address, "0e:e9:74:a3:d1:ab");
  EXPECT_EQ(agent.networks[0].private_dns_name, "ip-172-31-38-118.ap-northeast-1.compute.internal");
  EXPECT_THAT(agent.networks[0].domain_name_servers, ElementsAre("172.31.0.2"));
  EXPECT_EQ(agent.log_driver, "awslogs");
  EXPECT_THAT(agent.log_options,
              ElementsAre(Pair("awslogs-create-group", "true"),
                          Pair("awslogs-group", "/ecs/akira-fargate-check"),
                          Pair("awslogs-region", "us-east-2"),
                          Pair("awslogs-stream", "ecs/dd-agent/67cd8a22b533459696d4ccab5278e009")));
  EXPECT_THAT(agent.container_arn, HasSubstr(":container/akira-fargate-check-cluster/"));
  EXPECT_FALSE(agent.health.has_value());
  EXPECT_TRUE(agent.ports.empty());

  const ContainerMetadata& web = task->containers[1];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.limits.memory_mib, 2048);
  EXPECT_EQ(web.labels.at("com.datadoghq.tags.env"), "staging");
  ASSERT_EQ(web.ports.size(), 1u);
  EXPECT_EQ(web.ports[0].container_port, 80);
  EXPECT_EQ(web.ports[0].protocol, "tcp");
  ASSERT_TRUE(web.health.has_value());
  EXPECT_EQ(web.health->status, "HEALTHY");
  EXPECT_EQ(web.health->status_since, "2023-06-20T01:14:06.198812513Z");
  EXPECT_FALSE(web.health->exit_code.has_value());

  EXPECT_EQ(task->FindContainer("67cd8a22b533459696d4ccab5278e009-3591238047"), &web);
  EXPECT_EQ(task->FindContainer("67cd8a22b533459696d4ccab5278e009"), nullptr);
  EXPECT_EQ(DetectLaunchType(*task), LaunchType::kFargate);
}

TEST(TaskMetadataTest, ParsesEc2AwsvpcTaskFixture) {
  absl::StatusOr<TaskMetadata> task = ParseTaskDocument(Fixture("ecs/ec2_awsvpc_task.json"));
  ASSERT_THAT(task, IsOk());
  EXPECT_EQ(task->cluster, "default");
  EXPECT_EQ(task->cluster_name, "default");  // A1-5: short names are accepted as they are.
  EXPECT_EQ(task->task_id, "158d1c8083dd49d6b527399fd6414f5c");
  EXPECT_EQ(task->family, "curltest");
  EXPECT_EQ(task->revision, "26");
  EXPECT_EQ(task->service_name, "MyService");
  EXPECT_EQ(task->vpc_id, "vpc-1234567890abcdef0");
  EXPECT_EQ(task->launch_type, LaunchType::kEc2);
  EXPECT_FALSE(task->limits.cpu.has_value());  // EC2: only when task-level limits are set.
  EXPECT_FALSE(task->ephemeral_storage.has_value());
  EXPECT_EQ(task->region, "us-west-2");
  EXPECT_EQ(task->account_id, "111122223333");
  EXPECT_THAT(task->task_tags, ElementsAre(Pair("tag-use", "task-metadata-endpoint-test")));
  EXPECT_THAT(task->container_instance_tags, ElementsAre(Pair("tag_key", "tag_value")));
  ASSERT_EQ(task->containers.size(), 3u);
  EXPECT_EQ(task->containers[0].docker_name, "ecs-curltest-26-curl-a0e7dba5aca6d8cb2e00");
  EXPECT_EQ(task->containers[0].limits.memory_mib, 128);
  EXPECT_EQ(task->containers[1].ports.size(), 2u);
  EXPECT_EQ(task->containers[1].ports[0].protocol, "udp");
  const ContainerMetadata& pause = task->containers[2];
  EXPECT_EQ(pause.name, "~internal~ecs~pause");
  EXPECT_EQ(pause.type, ContainerType::kCniPause);
  EXPECT_EQ(pause.type_name, "CNI_PAUSE");
  EXPECT_EQ(pause.image_id, "");
  EXPECT_EQ(pause.known_status, "RESOURCES_PROVISIONED");
  EXPECT_EQ(pause.log_driver, "");
  EXPECT_EQ(DetectLaunchType(*task), LaunchType::kEc2);
}

TEST(TaskMetadataTest, ParsesContainerFixtures) {
  absl::StatusOr<ContainerMetadata> fargate =
      ParseContainerDocument(Fixture("ecs/fargate_container.json"));
  ASSERT_THAT(fargate, IsOk());
  EXPECT_EQ(fargate->docker_id, "67cd8a22b533459696d4ccab5278e009-2860414825");
  EXPECT_EQ(fargate->name, "dd-agent");
  EXPECT_EQ(fargate->log_driver, "awslogs");

  absl::StatusOr<ContainerMetadata> ec2 =
      ParseContainerDocument(Fixture("ecs/ec2_awsvpc_container.json"));
  ASSERT_THAT(ec2, IsOk());
  EXPECT_EQ(ec2->docker_id, "3b7c1f0e9a2d4c6b8e5f7a9c1d3e5b7f9a2c4e6d8b0f1a3c5e7d9b2f4a6c8e0d");
  EXPECT_EQ(ec2->name, "datadog-agent");
  EXPECT_EQ(ec2->image, "public.ecr.aws/datadog/agent:7");
}

// §A1.1: v3 lacks the v4-only fields; v2 also lacks LaunchType/ServiceName/VPCID and the
// container log fields. Restated from the Agent's v2 testdata shape (pause container CNI_PAUSE).
TEST(TaskMetadataTest, ParsesV2DocumentWithoutV4Fields) {
  constexpr std::string_view kV2 = R"({
    "Cluster": "default",
    "TaskARN": "arn:aws:ecs:us-east-2:012345678910:task/9781c248-0edd-4cdb-9a93-f63cb662a5d3",
    "Family": "nginx", "Revision": "5", "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
    "Containers": [
      {"DockerId": "731a0d6a3b4210e2448339bc7015aaa79bfe4fa256384f4102db86ef94cbbc4c",
       "Name": "~internal~ecs~pause", "DockerName": "ecs-nginx-5-internalecspause-acc699c0cbf2d6d11700",
       "Image": "amazon/amazon-ecs-pause:0.1.0", "ImageID": "",
       "Labels": {"com.amazonaws.ecs.cluster": "default"},
       "DesiredStatus": "RESOURCES_PROVISIONED", "KnownStatus": "RESOURCES_PROVISIONED",
       "Limits": {"CPU": 0, "Memory": 0}, "CreatedAt": "2018-02-01T20:55:08.366329616Z",
       "StartedAt": "2018-02-01T20:55:09.058354915Z", "Type": "CNI_PAUSE",
       "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.2.106"]}]}
    ],
    "PullStartedAt": "2018-02-01T20:55:09.372495529Z",
    "PullStoppedAt": "2018-02-01T20:55:10.552018345Z"
  })";
  absl::StatusOr<TaskMetadata> task = ParseTaskDocument(kV2);
  ASSERT_THAT(task, IsOk());
  EXPECT_EQ(task->launch_type, LaunchType::kUnknown);
  EXPECT_EQ(DetectLaunchType(*task), LaunchType::kUnknown);
  // Old-format task ARN (no cluster in the resource): the id is still after the last '/'.
  EXPECT_EQ(task->task_id, "9781c248-0edd-4cdb-9a93-f63cb662a5d3");
  EXPECT_EQ(task->region, "us-east-2");
  EXPECT_EQ(task->account_id, "012345678910");  // Leading zero kept (string, not int).
  ASSERT_EQ(task->containers.size(), 1u);
  EXPECT_EQ(task->containers[0].limits.memory_mib, 0);
  EXPECT_EQ(task->containers[0].log_driver, "");
  EXPECT_TRUE(task->containers[0].log_options.empty());
}

TEST(TaskMetadataTest, DetectsFargateFromDockerIdWhenLaunchTypeIsAbsent) {
  // v3 on Fargate: no LaunchType, Fargate-form DockerIds.
  constexpr std::string_view kV3 = R"({
    "Cluster": "arn:aws:ecs:us-west-2:111122223333:cluster/c",
    "TaskARN": "arn:aws:ecs:us-west-2:111122223333:task/c/0123456789abcdef0123456789abcdef",
    "Family": "f", "Revision": "3",
    "Containers": [{"DockerId": "0123456789abcdef0123456789abcdef-1234567890", "Name": "app"}]
  })";
  absl::StatusOr<TaskMetadata> task = ParseTaskDocument(kV3);
  ASSERT_THAT(task, IsOk());
  EXPECT_EQ(task->launch_type, LaunchType::kUnknown);
  EXPECT_EQ(DetectLaunchType(*task), LaunchType::kFargate);
}

TEST(TaskMetadataTest, ToleratesNullsUnknownFieldsAndEarlyReads) {
  // §A1.4: an early read can show task KnownStatus NONE; not an error (A1-1). Unknown fields
  // (FaultInjectionEnabled, ClockDrift, future ones) are ignored and null counts as absent.
  constexpr std::string_view kDoc = R"({
    "TaskARN": "arn:aws:ecs:us-east-1:123456789012:task/c/abc", "KnownStatus": "NONE",
    "Family": null, "Limits": null, "FaultInjectionEnabled": false,
    "ClockDrift": {"ClockErrorBound": 0.5}, "SomethingNew": [1, {"x": null}],
    "Containers": [{"DockerId": "abc", "Labels": null, "Networks": null, "Extra": 7}]
  })";
  absl::StatusOr<TaskMetadata> task = ParseTaskDocument(kDoc);
  ASSERT_THAT(task, IsOk());
  EXPECT_EQ(task->known_status, "NONE");
  EXPECT_EQ(task->family, "");
  EXPECT_FALSE(task->limits.cpu.has_value());
  ASSERT_EQ(task->containers.size(), 1u);
  EXPECT_TRUE(task->containers[0].labels.empty());
  EXPECT_EQ(task->cluster_name, "");
}

TEST(TaskMetadataTest, AcceptsFractionalTaskCpu) {
  absl::StatusOr<TaskMetadata> task =
      ParseTaskDocument(R"({"TaskARN": "t", "Limits": {"CPU": 0.25, "Memory": 512}})");
  ASSERT_THAT(task, IsOk());
  EXPECT_EQ(task->limits.cpu, 0.25);
  EXPECT_EQ(task->limits.memory_mib, 512);
  // Not an ARN: no region or account, no error.
  EXPECT_EQ(task->region, "");
  EXPECT_EQ(task->partition, "");
}

struct MalformedCase {
  const char* name;
  std::string document;
  const char* message;  // Substring of the error.
};

class MalformedTaskDocumentTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedTaskDocumentTest, IsInvalidArgument) {
  const MalformedCase& c = GetParam();
  EXPECT_THAT(ParseTaskDocument(c.document),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedTaskDocumentTest,
    ::testing::Values(
        MalformedCase{"Empty", "", "not valid JSON"},
        MalformedCase{"Truncated", R"({"TaskARN": "arn:aws:ecs:us-east-1:1:task/c/x", "Cont)",
                      "not valid JSON"},
        MalformedCase{"TrailingGarbage", R"({"TaskARN": "t"} x)", "not valid JSON"},
        MalformedCase{"InvalidUtf8", "{\"TaskARN\": \"\xff\xfe\"}", "not valid JSON"},
        MalformedCase{"Array", R"([{"TaskARN": "t"}])", "not a JSON object"},
        MalformedCase{"String", R"("TaskARN")", "not a JSON object"},
        MalformedCase{"NoTaskArn", R"({"Family": "f"})", "no TaskARN"},
        MalformedCase{"EmptyTaskArn", R"({"TaskARN": ""})", "no TaskARN"},
        MalformedCase{"TaskArnNumber", R"({"TaskARN": 12})", "TaskARN is not a string"},
        MalformedCase{"RevisionNumber", R"({"TaskARN": "t", "Revision": 26})",
                      "Revision is not a string"},
        MalformedCase{"ContainersObject", R"({"TaskARN": "t", "Containers": {}})",
                      "Containers is not an array"},
        MalformedCase{"ContainerString", R"({"TaskARN": "t", "Containers": [{}, "c"]})",
                      "Containers[1] is not an object"},
        MalformedCase{"LabelNumber",
                      R"({"TaskARN": "t", "Containers": [{"Labels": {"a": "b", "c": 1}}]})",
                      "Containers[0].Labels.c is not a string"},
        MalformedCase{"LimitsString", R"({"TaskARN": "t", "Limits": {"CPU": "1"}})",
                      "Limits.CPU is not a number"},
        MalformedCase{"NegativeMemory", R"({"TaskARN": "t", "Limits": {"Memory": -1}})",
                      "Limits.Memory is not a non-negative MiB count"},
        MalformedCase{"ExitCodeFloat", R"({"TaskARN": "t", "Containers": [{"ExitCode": 1.5}]})",
                      "Containers[0].ExitCode is not an integer"},
        MalformedCase{
            "PortTooLarge",
            R"({"TaskARN": "t", "Containers": [{"Ports": [{"HostPort": 18446744073709551615}]}]})",
            "Containers[0].Ports[0].HostPort is not a 64-bit integer"},
        MalformedCase{"IpNotString",
                      R"({"TaskARN": "t", "Containers": [{"Networks": [{"IPv4Addresses": [1]}]}]})",
                      "Containers[0].Networks[0].IPv4Addresses is not an array of strings"},
        MalformedCase{"HealthArray", R"({"TaskARN": "t", "Containers": [{"Health": []}]})",
                      "Containers[0].Health is not an object"},
        MalformedCase{"TaskTagsArray", R"({"TaskARN": "t", "TaskTags": ["a"]})",
                      "TaskTags is not an object of strings"},
        MalformedCase{
            "TooDeep",
            "{\"TaskARN\": \"t\", \"x\": " + std::string(40, '[') + std::string(40, ']') + "}",
            "nests deeper than 32"},
        MalformedCase{"TooLarge",
                      "{\"TaskARN\": \"" + std::string(kMaxMetadataDocumentBytes, 'a') + "\"}",
                      "exceeds 4194304 bytes"}),
    [](const ::testing::TestParamInfo<MalformedCase>& param) { return param.param.name; });

TEST(TaskMetadataTest, DepthCheckIgnoresBracketsInsideStrings) {
  // 40 '[' inside a string (with an escaped quote before them) are not nesting.
  const std::string doc = "{\"TaskARN\": \"t\", \"Family\": \"a\\\"" + std::string(40, '[') + "\"}";
  absl::StatusOr<TaskMetadata> task = ParseTaskDocument(doc);
  ASSERT_THAT(task, IsOk());
  EXPECT_EQ(task->family, "a\"" + std::string(40, '['));
}

TEST(TaskMetadataTest, ContainerDocumentNeedsDockerId) {
  EXPECT_THAT(ParseContainerDocument(R"({"Name": "app"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no DockerId")));
  EXPECT_THAT(
      ParseContainerDocument(R"({"DockerId": "x", "LogOptions": {"k": false}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LogOptions.k is not a string")));
  EXPECT_THAT(ParseContainerDocument("{\"DockerId\": \"x\""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
}

// §A2.1 step 2 and conformance A2-3: partitions aws, aws-cn, aws-us-gov; region needs two dashes;
// account exactly 12 characters, kept as text.
struct ArnCase {
  const char* name;
  const char* arn;
  const char* partition;
  const char* region;
  const char* account;
};

class RegionAndAccountTest : public ::testing::TestWithParam<ArnCase> {};

TEST_P(RegionAndAccountTest, FollowsTheAgentRules) {
  const ArnCase& c = GetParam();
  const RegionAndAccount parsed = ParseRegionAndAccount(c.arn);
  EXPECT_EQ(parsed.partition, c.partition);
  EXPECT_EQ(parsed.region, c.region);
  EXPECT_EQ(parsed.account_id, c.account);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RegionAndAccountTest,
    ::testing::Values(
        ArnCase{"Aws", "arn:aws:ecs:us-west-2:111122223333:task/default/158d", "aws", "us-west-2",
                "111122223333"},
        ArnCase{"China", "arn:aws-cn:ecs:cn-north-1:012345678901:task/c/1", "aws-cn", "cn-north-1",
                "012345678901"},
        ArnCase{"GovCloud", "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task/c/1", "aws-us-gov",
                "us-gov-west-1", "123456789012"},
        ArnCase{"UnknownPartition", "arn:aws-iso:ecs:us-iso-east-1:123456789012:task/c/1", "", "",
                ""},
        ArnCase{"NotAnArn", "urn:aws:ecs:us-west-2:111122223333:task/c/1", "", "", ""},
        ArnCase{"TooFewParts", "arn:aws:ecs:us-west-2", "", "", ""},
        ArnCase{"FiveParts", "arn:aws:ecs:us-west-2:111122223333", "aws", "us-west-2",
                "111122223333"},
        ArnCase{"RegionOneDash", "arn:aws:ecs:local-1:111122223333:task/c/1", "aws", "",
                "111122223333"},
        ArnCase{"ShortAccount", "arn:aws:ecs:us-east-1:12345:task/c/1", "aws", "us-east-1", ""},
        ArnCase{"LongAccount", "arn:aws:ecs:us-east-1:1234567890123:task/c/1", "aws", "us-east-1",
                ""},
        ArnCase{"Empty", "", "", "", ""}),
    [](const ::testing::TestParamInfo<ArnCase>& param) { return param.param.name; });

TEST(TaskMetadataTest, ParseArnSplitsFiveColonsAndKeepsTheResource) {
  const std::optional<ArnParts> arn =
      ParseArn("arn:aws:ecs:us-west-2:111122223333:task-definition/curltest:26");
  ASSERT_TRUE(arn.has_value());
  EXPECT_EQ(arn->partition, "aws");
  EXPECT_EQ(arn->service, "ecs");
  EXPECT_EQ(arn->region, "us-west-2");
  EXPECT_EQ(arn->account_id, "111122223333");
  EXPECT_EQ(arn->resource, "task-definition/curltest:26");
  EXPECT_FALSE(ParseArn("arn:aws:ecs:us-west-2").has_value());
  EXPECT_FALSE(ParseArn("default").has_value());
}

TEST(TaskMetadataTest, ShortClusterNameKeepsTextAfterLastSlash) {
  EXPECT_EQ(ShortClusterName("arn:aws:ecs:ap-northeast-1:601427279990:cluster/akira"), "akira");
  EXPECT_EQ(ShortClusterName("default"), "default");
  EXPECT_EQ(ShortClusterName(""), "");
}

TEST(TaskMetadataTest, RecognizesFargateDockerIds) {
  EXPECT_TRUE(IsFargateDockerId("67cd8a22b533459696d4ccab5278e009-2860414825"));
  EXPECT_TRUE(IsFargateDockerId("67cd8a22b533459696d4ccab5278e009-1"));  // Width not fixed.
  EXPECT_FALSE(IsFargateDockerId("67cd8a22b533459696d4ccab5278e009-"));
  EXPECT_FALSE(IsFargateDockerId("67cd8a22b533459696d4ccab5278e009"));
  EXPECT_FALSE(IsFargateDockerId("67CD8A22B533459696D4CCAB5278E009-2860414825"));
  EXPECT_FALSE(IsFargateDockerId("67cd8a22b533459696d4ccab5278e009-28604x4825"));
  EXPECT_FALSE(
      IsFargateDockerId("ee08638adaaf009d78c248913f629e38299471d45fe7dc944d1039077e3424ca"));
}

}  // namespace
}  // namespace sidecar::container
