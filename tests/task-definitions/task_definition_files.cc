#include "tests/task-definitions/task_definition_files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#ifndef SIDECAR_SOURCE_DIR
#error "SIDECAR_SOURCE_DIR must be defined by the build"
#endif

namespace sidecar::taskdefs {

const std::vector<Variant>& Variants() {
  static const auto* const kVariants = new std::vector<Variant>{
      {.stem = "fargate-sidecar",
       .cfn_resource = "FargateSidecar",
       .tf_resource = "fargate_sidecar"},
      {.stem = "fargate-uds", .cfn_resource = "FargateUds", .tf_resource = "fargate_uds"},
      {.stem = "fargate-firelens",
       .cfn_resource = "FargateFirelens",
       .tf_resource = "fargate_firelens"},
      {.stem = "ec2-awsvpc",
       .cfn_resource = "Ec2Awsvpc",
       .tf_resource = "ec2_awsvpc",
       .fargate = false},
  };
  return *kVariants;
}

void PrintTo(const Variant& variant, std::ostream* os) { *os << variant.stem; }

std::string VariantTestName(const ::testing::TestParamInfo<Variant>& param_info) {
  return param_info.param.cfn_resource;
}

std::string TaskDefinitionsDir() { return std::string(SIDECAR_SOURCE_DIR) + "/task-definitions"; }

std::string ReadText(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    ADD_FAILURE() << "Cannot open " << path;
    return "";
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

nlohmann::json ReadJson(const std::string& path) {
  nlohmann::json parsed =
      nlohmann::json::parse(ReadText(path), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    ADD_FAILURE() << path << " is not valid JSON";
  }
  return parsed;
}

nlohmann::json ReadExample(const Variant& variant) {
  return ReadJson(TaskDefinitionsDir() + "/" + variant.stem + ".json");
}

std::map<std::string, std::string> ExampleValues(const Variant& variant) {
  return {
      {"sidecar_image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/sidecar-agent:0.1.0"},
      {"app_image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:1.4.2"},
      {"api_key_secret_arn",
       variant.fargate ? "arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-api-key"
                       : "arn:aws:ssm:us-east-1:123456789012:parameter/datadog/api-key"},
      {"env", "prod"},
      {"service", "checkout"},
      {"version", "1.4.2"},
      {"site", "datadoghq.com"},
      {"dd_tags", "team:payments"},
      {"log_source", "nodejs"},
      {"log_tags", "project:storefront"},
      {"log_group", "/ecs/sidecar-agent"},
      {"region", "us-east-1"},
      {"execution_role_arn", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"},
  };
}

const nlohmann::json* FindContainer(const nlohmann::json& task, std::string_view name) {
  if (!task.is_object() || !task.contains("containerDefinitions") ||
      !task["containerDefinitions"].is_array()) {
    return nullptr;
  }
  for (const nlohmann::json& container : task["containerDefinitions"]) {
    if (container.is_object() && container.value("name", "") == name) {
      return &container;
    }
  }
  return nullptr;
}

std::optional<std::string> EnvValue(const nlohmann::json& container, std::string_view name) {
  if (!container.contains("environment") || !container["environment"].is_array()) {
    return std::nullopt;
  }
  for (const nlohmann::json& entry : container["environment"]) {
    if (entry.is_object() && entry.value("name", "") == name && entry.contains("value") &&
        entry["value"].is_string()) {
      return entry["value"].get<std::string>();
    }
  }
  return std::nullopt;
}

std::vector<std::string> EnvNames(const nlohmann::json& container) {
  std::vector<std::string> names;
  if (!container.contains("environment") || !container["environment"].is_array()) {
    return names;
  }
  for (const nlohmann::json& entry : container["environment"]) {
    if (entry.is_object()) {
      names.push_back(entry.value("name", ""));
    }
  }
  return names;
}

}  // namespace sidecar::taskdefs
