// The shipped example task definitions (task-definitions/*.json): the properties issue #8 asks of
// every variant, with the facts from spec ecs-logs.md part C (C6.1 canonical Fargate sidecar, C6.2
// EC2 awsvpc sidecar, C7 known user problems) cited where a property comes from one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/task-definitions/task_definition_files.h"

namespace sidecar::taskdefs {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::UnorderedElementsAre;
using Json = nlohmann::json;

TEST(TaskDefinitionFilesTest, EveryJsonFileParses) {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(TaskDefinitionsDir())) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      ++count;
      EXPECT_FALSE(ReadJson(entry.path().string()).is_discarded()) << entry.path();
    }
  }
  // Four examples and the CloudFormation template.
  EXPECT_GE(count, 5);
}

TEST(TaskDefinitionFilesTest, ReadmeNamesEveryVariantFile) {
  const std::string readme = ReadText(TaskDefinitionsDir() + "/README.md");
  for (const Variant& variant : Variants()) {
    EXPECT_NE(readme.find(variant.stem + ".json"), std::string::npos) << variant.stem;
  }
}

// C6.1: the API key reaches the sidecar from Secrets Manager or SSM. The examples show both forms.
TEST(TaskDefinitionFilesTest, ExamplesShowBothSecretsManagerAndSsm) {
  std::set<std::string> services;
  for (const Variant& variant : Variants()) {
    const Json task = ReadExample(variant);
    const Json* sidecar = FindContainer(task, kSidecarName);
    ASSERT_NE(sidecar, nullptr) << variant.stem;
    for (const Json& secret : sidecar->value("secrets", Json::array())) {
      const std::string arn = secret.value("valueFrom", "");
      services.insert(arn.substr(0, arn.find(':', std::string("arn:aws:").size())));
    }
  }
  EXPECT_THAT(services, UnorderedElementsAre("arn:aws:secretsmanager", "arn:aws:ssm"));
}

class VariantTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    task_ = ReadExample(GetParam());
    ASSERT_TRUE(task_.is_object());
    sidecar_ = FindContainer(task_, kSidecarName);
    app_ = FindContainer(task_, kAppName);
    ASSERT_NE(sidecar_, nullptr);
    ASSERT_NE(app_, nullptr);
  }

  Json task_;
  const Json* sidecar_ = nullptr;
  const Json* app_ = nullptr;
};

// A document `aws ecs register-task-definition --cli-input-json` accepts: camelCase keys, awsvpc
// (C6.1, C6.2), an execution role to pull the secret, the task size Fargate requires.
TEST_P(VariantTest, IsARegisterTaskDefinitionDocument) {
  EXPECT_EQ(task_.value("family", ""), "checkout-" + GetParam().stem);
  EXPECT_EQ(task_.value("networkMode", ""), "awsvpc");
  EXPECT_EQ(task_["requiresCompatibilities"],
            Json::array({GetParam().fargate ? "FARGATE" : "EC2"}));
  EXPECT_EQ(task_.value("executionRoleArn", ""),
            "arn:aws:iam::123456789012:role/ecsTaskExecutionRole");
  EXPECT_EQ(task_["containerDefinitions"].size(), 2U);
  if (GetParam().fargate) {
    EXPECT_EQ(task_["cpu"], "512");
    EXPECT_EQ(task_["memory"], "1024");
  } else {
    // C6.2: on EC2 the task-level size is optional; the container reservations are what counts.
    EXPECT_FALSE(task_.contains("cpu"));
    EXPECT_FALSE(task_.contains("memory"));
    EXPECT_TRUE(app_->contains("memory") || app_->contains("memoryReservation"));
  }
}

// C6.1 (IAM, secrets): DD_API_KEY only in `secrets`, never in any container's environment or in
// log-driver options.
TEST_P(VariantTest, ApiKeyComesOnlyFromSecrets) {
  ASSERT_TRUE(sidecar_->contains("secrets"));
  EXPECT_EQ((*sidecar_)["secrets"],
            Json::array({{{"name", "DD_API_KEY"},
                          {"valueFrom", ExampleValues(GetParam()).at("api_key_secret_arn")}}}));
  for (const Json& container : task_["containerDefinitions"]) {
    EXPECT_EQ(EnvValue(container, "DD_API_KEY"), std::nullopt) << container["name"];
    const Json options =
        container.value("logConfiguration", Json::object()).value("options", Json{});
    if (options.is_object()) {
      for (const auto& [key, value] : options.items()) {
        EXPECT_NE(key, "apikey") << container["name"];
      }
    }
  }
}

// C6.1 and C7 (traces refused before the agent is ready): ECS ignores the image HEALTHCHECK, so the
// task definition runs `sidecar-agent health`.
TEST_P(VariantTest, SidecarHealthCheckRunsHealthCommand) {
  ASSERT_TRUE(sidecar_->contains("healthCheck"));
  const Json& check = (*sidecar_)["healthCheck"];
  EXPECT_EQ(check["command"], Json::array({"CMD", "/usr/local/bin/sidecar-agent", "health"}));
  EXPECT_EQ(check.value("interval", 0), 10);
  EXPECT_EQ(check.value("timeout", 0), 5);
  EXPECT_EQ(check.value("retries", 0), 3);
  EXPECT_EQ(check.value("startPeriod", 0), 5);
}

// C7 (last metrics lost at stop): the sidecar gets time to flush after SIGTERM, more than
// DD_SIDECAR_SHUTDOWN_TIMEOUT (25 s). Sizes from the measured peak RSS (~50 MiB under APM load);
// the linter's floors are 128 MiB hard and 64 MiB reserved.
TEST_P(VariantTest, SidecarIsEssentialWithStopTimeoutAndMeasuredSizes) {
  EXPECT_EQ(sidecar_->value("essential", false), true);
  EXPECT_EQ(sidecar_->value("stopTimeout", 0), 30);
  EXPECT_GT(sidecar_->value("stopTimeout", 0), 25);
  EXPECT_EQ(sidecar_->value("cpu", 0), 128);
  EXPECT_EQ(sidecar_->value("memory", 0), 256);
  EXPECT_EQ(sidecar_->value("memoryReservation", 0), 96);
  EXPECT_GE(sidecar_->value("memory", 0), 128);
  EXPECT_GE(sidecar_->value("memoryReservation", 0), 64);
}

// C6.1 (dependsOn): HEALTHY fixes both start order and stop order (the app stops first).
TEST_P(VariantTest, AppIsEssentialAndWaitsForHealthySidecar) {
  EXPECT_EQ(app_->value("essential", false), true);
  EXPECT_EQ((*app_)["dependsOn"],
            Json::array({{{"containerName", kSidecarName}, {"condition", "HEALTHY"}}}));
}

// Unified service tags on both containers: env on the sidecar (its own default), env and docker
// labels on the app (C7: Fargate cannot read other containers' env, labels come from TMDS).
TEST_P(VariantTest, UnifiedServiceTagsOnSidecarAndApp) {
  for (const Json* container : {sidecar_, app_}) {
    EXPECT_THAT(EnvValue(*container, "DD_ENV"), Optional(std::string("prod")));
    EXPECT_THAT(EnvValue(*container, "DD_SERVICE"), Optional(std::string("checkout")));
    EXPECT_THAT(EnvValue(*container, "DD_VERSION"), Optional(std::string("1.4.2")));
  }
  EXPECT_EQ((*app_)["dockerLabels"], Json({{"com.datadoghq.tags.env", "prod"},
                                           {"com.datadoghq.tags.service", "checkout"},
                                           {"com.datadoghq.tags.version", "1.4.2"}}));
}

// C6.1: no DD_HOSTNAME (billing), no DD_AGENT_HOST on Fargate (tasks share the loopback), and no
// port mappings (a stray hostPort/8126 mapping was blamed for connection refused).
TEST_P(VariantTest, NoHostnameNoAgentHostNoPortMappings) {
  for (const Json& container : task_["containerDefinitions"]) {
    EXPECT_EQ(EnvValue(container, "DD_HOSTNAME"), std::nullopt) << container["name"];
    EXPECT_EQ(EnvValue(container, "DD_AGENT_HOST"), std::nullopt) << container["name"];
    EXPECT_FALSE(container.contains("portMappings")) << container["name"];
  }
}

// C6.1 (ECS_FARGATE), C6.2 (DD_ECS_DEPLOYMENT_MODE=sidecar on EC2), C7 (task_arn lesson:
// orchestrator cardinality keeps sibling tasks apart).
TEST_P(VariantTest, SidecarEnvironmentMatchesLaunchType) {
  EXPECT_THAT(EnvValue(*sidecar_, "DD_SITE"), Optional(std::string("datadoghq.com")));
  EXPECT_THAT(EnvValue(*sidecar_, "DD_TAGS"), Optional(std::string("team:payments")));
  EXPECT_THAT(EnvValue(*sidecar_, "DD_DOGSTATSD_TAG_CARDINALITY"),
              Optional(std::string("orchestrator")));
  if (GetParam().fargate) {
    EXPECT_THAT(EnvValue(*sidecar_, "ECS_FARGATE"), Optional(std::string("true")));
    EXPECT_EQ(EnvValue(*sidecar_, "DD_ECS_DEPLOYMENT_MODE"), std::nullopt);
  } else {
    EXPECT_EQ(EnvValue(*sidecar_, "ECS_FARGATE"), std::nullopt);
    EXPECT_THAT(EnvValue(*sidecar_, "DD_ECS_DEPLOYMENT_MODE"), Optional(std::string("sidecar")));
  }
}

TEST_P(VariantTest, EnvironmentNamesAreUnique) {
  for (const Json& container : task_["containerDefinitions"]) {
    const std::vector<std::string> names = EnvNames(container);
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size())
        << container["name"];
  }
}

// B4.3 item 8: a FireLens router cannot ship its own logs through itself, so the sidecar always
// logs to CloudWatch.
TEST_P(VariantTest, SidecarLogsGoToAwslogs) {
  const Json& logs = (*sidecar_)["logConfiguration"];
  EXPECT_EQ(logs.value("logDriver", ""), "awslogs");
  EXPECT_EQ(logs["options"], Json({{"awslogs-group", "/ecs/sidecar-agent"},
                                   {"awslogs-region", "us-east-1"},
                                   {"awslogs-stream-prefix", "sidecar"}}));
}

// Only the FireLens variant makes the sidecar a log router; elsewhere nothing routes through it.
TEST_P(VariantTest, FirelensOnlyInTheFirelensVariant) {
  const bool firelens = GetParam().stem == "fargate-firelens";
  EXPECT_EQ(sidecar_->contains("firelensConfiguration"), firelens);
  EXPECT_EQ(app_->contains("logConfiguration"), firelens);
  EXPECT_EQ(EnvValue(*sidecar_, "DD_LOGS_ENABLED").has_value(), firelens);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, VariantTest, ::testing::ValuesIn(Variants()),
                         VariantTestName);

const Variant& VariantNamed(const std::string& stem) {
  for (const Variant& variant : Variants()) {
    if (variant.stem == stem) {
      return variant;
    }
  }
  ADD_FAILURE() << "No variant " << stem;
  return Variants().front();
}

// C6.1 (App → agent address, pidMode): sockets on the task volume `dd-sockets` mounted by both
// containers; origin detection needs the sidecar to see the app's pids.
TEST(FargateUdsTest, SocketsLiveOnAVolumeBothContainersMount) {
  const Json task = ReadExample(VariantNamed("fargate-uds"));
  const Json* sidecar = FindContainer(task, kSidecarName);
  const Json* app = FindContainer(task, kAppName);
  ASSERT_NE(sidecar, nullptr);
  ASSERT_NE(app, nullptr);

  // No `host`: on Fargate a volume without one is a task-scoped bind mount.
  EXPECT_EQ(task["volumes"], Json::array({{{"name", "dd-sockets"}}}));
  const Json mount = Json::array({{{"sourceVolume", "dd-sockets"},
                                   {"containerPath", "/var/run/datadog"},
                                   {"readOnly", false}}});
  EXPECT_EQ((*sidecar)["mountPoints"], mount);
  EXPECT_EQ((*app)["mountPoints"], mount);

  EXPECT_THAT(EnvValue(*sidecar, "DD_DOGSTATSD_SOCKET"),
              Optional(std::string("/var/run/datadog/dsd.socket")));
  EXPECT_THAT(EnvValue(*sidecar, "DD_APM_RECEIVER_SOCKET"),
              Optional(std::string("/var/run/datadog/apm.socket")));
  EXPECT_THAT(EnvValue(*app, "DD_DOGSTATSD_URL"),
              Optional("unix://" + EnvValue(*sidecar, "DD_DOGSTATSD_SOCKET").value_or("?")));
  EXPECT_THAT(EnvValue(*app, "DD_TRACE_AGENT_URL"),
              Optional("unix://" + EnvValue(*sidecar, "DD_APM_RECEIVER_SOCKET").value_or("?")));

  EXPECT_THAT(EnvValue(*sidecar, "DD_DOGSTATSD_ORIGIN_DETECTION"), Optional(std::string("true")));
  EXPECT_EQ(task.value("pidMode", ""), "task");
}

// B4.3 and the FireLens decision: our sidecar is the router; the app's options are the ones it
// reads (dd_service, dd_source, dd_tags), without the Fluent Bit output's `Name datadog` or apikey.
TEST(FargateFirelensTest, SidecarIsTheRouterAndAppOptionsAreOnlyOurs) {
  const Json task = ReadExample(VariantNamed("fargate-firelens"));
  const Json* sidecar = FindContainer(task, kSidecarName);
  const Json* app = FindContainer(task, kAppName);
  ASSERT_NE(sidecar, nullptr);
  ASSERT_NE(app, nullptr);

  EXPECT_EQ((*sidecar)["firelensConfiguration"],
            Json({{"type", "fluentbit"}, {"options", {{"enable-ecs-log-metadata", "true"}}}}));
  // B4.3 item 1: root, to create /var/run/fluent.sock on the ECS bind mount.
  EXPECT_EQ(sidecar->value("user", ""), "0");
  EXPECT_THAT(EnvValue(*sidecar, "DD_LOGS_ENABLED"), Optional(std::string("true")));
  const Json rules = Json::parse(EnvValue(*sidecar, "DD_LOGS_CONFIG_PROCESSING_RULES").value_or(""),
                                 nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(rules.is_array());
  EXPECT_EQ(rules.size(), 1U);

  const Json& logs = (*app)["logConfiguration"];
  EXPECT_EQ(logs.value("logDriver", ""), "awsfirelens");
  EXPECT_FALSE(logs.contains("secretOptions"));
  std::vector<std::string> keys;
  for (const auto& [key, value] : logs["options"].items()) {
    keys.push_back(key);
  }
  EXPECT_THAT(keys, ElementsAre("dd_service", "dd_source", "dd_tags"));
  EXPECT_EQ(logs["options"]["dd_service"], EnvValue(*app, "DD_SERVICE").value_or("?"));
}

}  // namespace
}  // namespace sidecar::taskdefs
