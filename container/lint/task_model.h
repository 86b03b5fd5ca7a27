// The linter's view of an ECS task definition. Task-definition JSON (camelCase, as
// `register-task-definition --cli-input-json` takes or `describe-task-definition` prints) and
// CloudFormation templates (PascalCase properties, values possibly intrinsic functions) are both
// normalized into these structs first, so every rule is written once. Each element keeps the JSON
// path of where it came from, so findings point at the offending element of the user's file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sidecar::container::lint {

// A scalar as written in the file. CloudFormation may put an intrinsic function (`{"Ref": ...}`,
// `{"Fn::Sub": ...}`) wherever a value goes: it counts as "some value", never as a literal.
struct Value {
  bool present = false;
  bool intrinsic = false;
  // The literal (numbers and booleans as JSON writes them). For an intrinsic, the literal text
  // it is built from when that can be seen (Fn::Sub's template, Fn::Join's literal parts), else "".
  std::string text;

  bool IsLiteral() const { return present && !intrinsic; }
  bool LiteralEquals(std::string_view literal) const { return IsLiteral() && text == literal; }
};

// A whole number field (memory, ports, timeouts). `value` is empty when the field is absent, an
// intrinsic, or not a number; `present` tells the first case apart.
struct IntField {
  bool present = false;
  std::optional<int64_t> value;
  std::string path;
};

// An `environment` / `secrets` / `options` entry.
struct NameValue {
  std::string name;  // "" when the name itself is not a literal
  Value value;
  std::string path;
};

struct PortMapping {
  IntField container_port;
  IntField host_port;
  std::string path;
};

struct MountPoint {
  Value source_volume;
  Value container_path;
  std::string path;
};

struct Dependency {
  Value container_name;
  Value condition;
  std::string path;
};

// A list that CloudFormation may replace by an intrinsic (`"Environment": {"Fn::If": ...}`):
// `opaque` then says "unknown content", and rules about something missing stay silent.
template <typename T>
struct List {
  std::vector<T> items;
  bool present = false;
  bool opaque = false;
  std::string path;
};

struct LogConfiguration {
  bool present = false;
  Value log_driver;
  std::string log_driver_path;
  List<NameValue> options;  // a map in the file; kept in file order
  List<NameValue> secret_options;
  std::string path;
};

struct HealthCheck {
  bool present = false;
  bool opaque_command = false;       // the command (or an element of it) is an intrinsic
  std::vector<std::string> command;  // literal elements
  std::string path;
  std::string command_path;
};

struct FirelensConfiguration {
  bool present = false;
  Value type;
  std::string path;
};

struct Container {
  std::string path;  // e.g. $.containerDefinitions[1]
  Value name;
  Value image;
  Value essential;
  std::string essential_path;
  List<NameValue> environment;
  List<NameValue> secrets;
  List<Dependency> depends_on;
  HealthCheck health_check;
  List<PortMapping> port_mappings;
  List<MountPoint> mount_points;
  LogConfiguration log_configuration;
  FirelensConfiguration firelens;
  IntField memory;
  IntField memory_reservation;
  IntField stop_timeout;
  List<NameValue> docker_labels;  // a map in the file; kept in file order

  // The environment entry with this literal name, or nullptr.
  const NameValue* Env(std::string_view env_name) const;
  // The literal value of an environment variable; nullopt when unset or not a literal.
  std::optional<std::string> EnvLiteral(std::string_view env_name) const;
  // True if `env_name` is set in `environment` or `secrets`.
  bool HasEnvOrSecret(std::string_view env_name) const;
  std::string DisplayName() const;
};

struct TaskDefinition {
  std::string path;          // "$", "$.taskDefinition" or "$.Resources.<LogicalId>.Properties"
  bool pascal_case = false;  // CloudFormation spelling of the keys
  // False for a bare array of container definitions, which says nothing about the task.
  bool has_task_fields = true;
  Value network_mode;
  std::string network_mode_path;
  std::vector<std::string> requires_compatibilities;  // literal entries
  bool opaque_compatibilities = false;
  List<Container> containers;

  // How a key of the file is spelled in this definition ("networkMode" or "NetworkMode").
  std::string Key(std::string_view camel_case) const;
  bool IsFargate() const;
};

// Parses a task definition JSON, a `describe-task-definition` wrapper, a bare array of container
// definitions or a JSON CloudFormation template (every AWS::ECS::TaskDefinition resource).
// InvalidArgument, with a message for the user, when the text is not JSON (YAML templates are
// not supported) or holds none of these shapes.
absl::StatusOr<std::vector<TaskDefinition>> ParseTaskDefinitions(std::string_view text);

// `base` + `.key`, or `["key"]` when the key is not a plain identifier.
std::string AppendKey(std::string_view base, std::string_view key);
std::string AppendIndex(std::string_view base, size_t index);

}  // namespace sidecar::container::lint
