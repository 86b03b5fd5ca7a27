// task-definitions/cloudformation/sidecar-agent.json produces the same task definitions as the
// JSON examples: each resource's Properties, converted from CloudFormation's PascalCase to the ECS
// API's camelCase key by key and with Ref / Fn::Sub resolved from the example values, must equal
// the example document exactly (environment lists included, in order).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/task-definitions/task_definition_files.h"

namespace sidecar::taskdefs {
namespace {

using Json = nlohmann::json;

// The CloudFormation property names the template may use, and their ECS API spelling. A key
// missing here is a test failure, so a misspelt property cannot pass unnoticed.
const std::map<std::string, std::string>& CfnKeys() {
  static const auto* const kKeys = new std::map<std::string, std::string>{
      {"Command", "command"},
      {"Condition", "condition"},
      {"ContainerDefinitions", "containerDefinitions"},
      {"ContainerName", "containerName"},
      {"ContainerPath", "containerPath"},
      {"Cpu", "cpu"},
      {"DependsOn", "dependsOn"},
      {"DockerLabels", "dockerLabels"},
      {"Environment", "environment"},
      {"Essential", "essential"},
      {"ExecutionRoleArn", "executionRoleArn"},
      {"Family", "family"},
      {"FirelensConfiguration", "firelensConfiguration"},
      {"HealthCheck", "healthCheck"},
      {"Image", "image"},
      {"Interval", "interval"},
      {"LogConfiguration", "logConfiguration"},
      {"LogDriver", "logDriver"},
      {"Memory", "memory"},
      {"MemoryReservation", "memoryReservation"},
      {"MountPoints", "mountPoints"},
      {"Name", "name"},
      {"NetworkMode", "networkMode"},
      {"Options", "options"},
      {"PidMode", "pidMode"},
      {"ReadOnly", "readOnly"},
      {"RequiresCompatibilities", "requiresCompatibilities"},
      {"Retries", "retries"},
      {"Secrets", "secrets"},
      {"SourceVolume", "sourceVolume"},
      {"StartPeriod", "startPeriod"},
      {"StopTimeout", "stopTimeout"},
      {"Timeout", "timeout"},
      {"Type", "type"},
      {"User", "user"},
      {"Value", "value"},
      {"ValueFrom", "valueFrom"},
      {"Volumes", "volumes"},
  };
  return *kKeys;
}

// Maps whose keys are user data (label names, log-driver options), not CloudFormation properties.
bool HasUserKeys(const std::string& cfn_key) {
  return cfn_key == "DockerLabels" || cfn_key == "Options";
}

// Template parameter (or pseudo parameter) → logical name in ExampleValues().
const std::map<std::string, std::string>& ParameterValueNames() {
  static const auto* const kNames = new std::map<std::string, std::string>{
      {"SidecarImage", "sidecar_image"},
      {"AppImage", "app_image"},
      {"ApiKeySecretArn", "api_key_secret_arn"},
      {"ExecutionRoleArn", "execution_role_arn"},
      {"Env", "env"},
      {"Service", "service"},
      {"Version", "version"},
      {"Site", "site"},
      {"DdTags", "dd_tags"},
      {"LogSource", "log_source"},
      {"LogTags", "log_tags"},
      {"SidecarLogGroup", "log_group"},
      {"AWS::Region", "region"},
  };
  return *kNames;
}

class CfnConverter {
 public:
  explicit CfnConverter(const Variant& variant) : values_(ExampleValues(variant)) {}

  Json Convert(const Json& node, const std::string& path, bool user_keys = false) {
    for (const char* intrinsic : {"Ref", "Fn::Sub"}) {
      if (!node.is_object() || node.size() != 1 || !node.contains(intrinsic)) {
        continue;
      }
      if (!node[intrinsic].is_string()) {
        errors_.push_back(path + ": " + intrinsic + " takes a string here");
        return "";
      }
      const std::string argument = node[intrinsic].get<std::string>();
      return intrinsic == std::string("Ref") ? Resolve(argument, path) : Substitute(argument, path);
    }
    if (node.is_object()) {
      Json out = Json::object();
      for (const auto& [key, value] : node.items()) {
        std::string api_key = key;
        if (!user_keys) {
          const auto it = CfnKeys().find(key);
          if (it == CfnKeys().end()) {
            errors_.push_back(path + "." + key + ": not a known CloudFormation property");
            continue;
          }
          api_key = it->second;
        }
        out[api_key] = Convert(value, path + "." + key, !user_keys && HasUserKeys(key));
      }
      return out;
    }
    if (node.is_array()) {
      Json out = Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        out.push_back(Convert(node[i], path + "[" + std::to_string(i) + "]"));
      }
      return out;
    }
    return node;
  }

  const std::vector<std::string>& errors() const { return errors_; }
  const std::set<std::string>& referenced() const { return referenced_; }

 private:
  std::string Resolve(const std::string& parameter, const std::string& path) {
    referenced_.insert(parameter);
    const auto name = ParameterValueNames().find(parameter);
    if (name == ParameterValueNames().end()) {
      errors_.push_back(path + ": Ref to unknown parameter " + parameter);
      return "";
    }
    return values_.at(name->second);
  }

  // Fn::Sub with ${Parameter} only (no ${!Literal}, no variable map).
  std::string Substitute(const std::string& text, const std::string& path) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t open = text.find("${", pos);
      if (open == std::string::npos) {
        out += text.substr(pos);
        break;
      }
      const size_t close = text.find('}', open);
      if (close == std::string::npos) {
        errors_.push_back(path + ": unterminated ${ in Fn::Sub");
        break;
      }
      out += text.substr(pos, open - pos);
      out += Resolve(text.substr(open + 2, close - open - 2), path);
      pos = close + 1;
    }
    return out;
  }

  std::map<std::string, std::string> values_;
  std::vector<std::string> errors_;
  std::set<std::string> referenced_;
};

Json ReadTemplate() {
  return ReadJson(TaskDefinitionsDir() + "/cloudformation/sidecar-agent.json");
}

TEST(CloudFormationTest, TemplateDeclaresTheAgreedParametersAndOneResourcePerVariant) {
  const Json tmpl = ReadTemplate();
  ASSERT_TRUE(tmpl.is_object());
  EXPECT_EQ(tmpl.value("AWSTemplateFormatVersion", ""), "2010-09-09");
  for (const char* parameter : {"SidecarImage", "AppImage", "ApiKeySecretArn", "Env", "Service",
                                "Version", "Site", "ExecutionRoleArn"}) {
    ASSERT_TRUE(tmpl["Parameters"].contains(parameter)) << parameter;
    EXPECT_EQ(tmpl["Parameters"][parameter].value("Type", ""), "String") << parameter;
  }
  std::set<std::string> resources;
  for (const auto& [name, resource] : tmpl["Resources"].items()) {
    EXPECT_EQ(resource.value("Type", ""), "AWS::ECS::TaskDefinition") << name;
    resources.insert(name);
  }
  std::set<std::string> expected;
  for (const Variant& variant : Variants()) {
    expected.insert(variant.cfn_resource);
  }
  EXPECT_EQ(resources, expected);
}

// Every declared parameter is used, and every Ref names a declared parameter or AWS::Region.
TEST(CloudFormationTest, ParametersAreDeclaredAndUsed) {
  const Json tmpl = ReadTemplate();
  ASSERT_TRUE(tmpl.is_object());
  std::set<std::string> declared;
  for (const auto& [name, parameter] : tmpl["Parameters"].items()) {
    declared.insert(name);
  }
  std::set<std::string> referenced;
  for (const Variant& variant : Variants()) {
    CfnConverter converter(variant);
    converter.Convert(tmpl["Resources"][variant.cfn_resource]["Properties"], variant.cfn_resource);
    referenced.insert(converter.referenced().begin(), converter.referenced().end());
  }
  referenced.erase("AWS::Region");
  EXPECT_EQ(referenced, declared);
}

// The ApiKeySecretArn pattern accepts both example ARNs and refuses a plain key.
TEST(CloudFormationTest, ApiKeyParameterIsAnArn) {
  const Json tmpl = ReadTemplate();
  ASSERT_TRUE(tmpl.is_object());
  const std::regex pattern(tmpl["Parameters"]["ApiKeySecretArn"].value("AllowedPattern", "^$"));
  for (const Variant& variant : Variants()) {
    EXPECT_TRUE(std::regex_match(ExampleValues(variant).at("api_key_secret_arn"), pattern));
  }
  EXPECT_FALSE(std::regex_match(std::string("0123456789abcdef0123456789abcdef"), pattern));
}

class CloudFormationVariantTest : public ::testing::TestWithParam<Variant> {};

TEST_P(CloudFormationVariantTest, ResourceEqualsTheJsonExample) {
  const Json tmpl = ReadTemplate();
  ASSERT_TRUE(tmpl.is_object());
  const Json& properties = tmpl["Resources"][GetParam().cfn_resource]["Properties"];
  ASSERT_TRUE(properties.is_object());

  CfnConverter converter(GetParam());
  const Json converted = converter.Convert(properties, GetParam().cfn_resource);
  EXPECT_THAT(converter.errors(), ::testing::IsEmpty());

  const Json example = ReadExample(GetParam());
  EXPECT_EQ(converted["containerDefinitions"], example["containerDefinitions"])
      << "CloudFormation:\n"
      << converted["containerDefinitions"].dump(2) << "\nexample:\n"
      << example["containerDefinitions"].dump(2);
  // Task-level properties too (family, network mode, size, pidMode, volumes, role).
  EXPECT_EQ(converted, example);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, CloudFormationVariantTest, ::testing::ValuesIn(Variants()),
                         VariantTestName);

// The converter itself: a misspelt property and an unknown Ref are reported, user keys are kept.
TEST(CfnConverterTest, ReportsUnknownPropertiesAndParametersKeepsUserKeys) {
  CfnConverter converter(Variants().front());
  const Json converted = converter.Convert(
      Json::parse(R"({"ContainerName": "x", "Contanername": "y", "Image": {"Ref": "Nope"},
                      "DockerLabels": {"Name": {"Ref": "Env"}}})"),
      "$");
  EXPECT_EQ(converted, Json::parse(R"({"containerName": "x", "image": "",
                                       "dockerLabels": {"Name": "prod"}})"));
  EXPECT_EQ(converter.errors().size(), 2U);
}

}  // namespace
}  // namespace sidecar::taskdefs
