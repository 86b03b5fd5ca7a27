// The shipped task definitions (task-definitions/) as the tests see them: the variant table, the
// example values that the CloudFormation parameters and Terraform placeholders stand for, and small
// readers over the parsed JSON.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace sidecar::taskdefs {

inline constexpr std::string_view kSidecarName = "sidecar-agent";
inline constexpr std::string_view kAppName = "app";

struct Variant {
  std::string stem;          // task-definitions/<stem>.json, terraform/containers/<stem>.json.tftpl
  std::string cfn_resource;  // logical id in cloudformation/sidecar-agent.json
  std::string tf_resource;   // aws_ecs_task_definition.<tf_resource> in terraform/main.tf
  bool fargate = true;       // else EC2
};

// The four shipped variants.
const std::vector<Variant>& Variants();

// gtest prints a parameter by its file name.
void PrintTo(const Variant& variant, std::ostream* os);

// Test-name suffix for TEST_P over Variants() (the CloudFormation logical id).
std::string VariantTestName(const ::testing::TestParamInfo<Variant>& param_info);

// Absolute path of task-definitions/ in the source tree.
std::string TaskDefinitionsDir();

// Whole file; an empty string (and a test failure) if it cannot be read.
std::string ReadText(const std::string& path);

// Parsed JSON; a discarded value (and a test failure) if unreadable or malformed.
nlohmann::json ReadJson(const std::string& path);

// task-definitions/<stem>.json, parsed.
nlohmann::json ReadExample(const Variant& variant);

// The values the example JSON files use, by logical name (sidecar_image, app_image,
// api_key_secret_arn, env, service, version, site, dd_tags, log_source, log_tags, log_group,
// region, execution_role_arn). Only api_key_secret_arn differs between variants: the EC2 example
// shows an SSM parameter where the others show a Secrets Manager secret.
std::map<std::string, std::string> ExampleValues(const Variant& variant);

// The container named `name` in a containerDefinitions array, or nullptr.
const nlohmann::json* FindContainer(const nlohmann::json& task, std::string_view name);

// Value of `name` in a container's `environment` list.
std::optional<std::string> EnvValue(const nlohmann::json& container, std::string_view name);

// Names in a container's `environment` list, in order.
std::vector<std::string> EnvNames(const nlohmann::json& container);

}  // namespace sidecar::taskdefs
