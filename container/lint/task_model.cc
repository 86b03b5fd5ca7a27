#include "container/lint/task_model.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::container::lint {
namespace {

// ordered_json keeps the file's key order, so findings come out in the order the user wrote.
using Json = nlohmann::ordered_json;

// CloudFormation puts a one-key object (`Ref`, `Fn::*`, `Condition`) where a scalar goes. Any
// object in a scalar's place is taken as one: whatever it is, some value will be there.
Value ReadValue(const Json& json);

std::string IntrinsicText(const Json& object) {
  if (object.size() != 1) {
    return "";
  }
  const auto member = object.begin();
  const std::string& key = member.key();
  const Json& argument = member.value();
  if (key == "Fn::Sub") {
    if (argument.is_string()) {
      return argument.get<std::string>();
    }
    if (argument.is_array() && !argument.empty() && argument[0].is_string()) {
      return argument[0].get<std::string>();
    }
    return "";
  }
  if (key == "Fn::Join" && argument.is_array() && argument.size() == 2 && argument[0].is_string() &&
      argument[1].is_array()) {
    const std::string delimiter = argument[0].get<std::string>();
    std::string joined;
    bool first = true;
    for (const Json& part : argument[1]) {
      if (!first) {
        joined += delimiter;
      }
      first = false;
      const Value piece = ReadValue(part);
      joined += piece.text;
    }
    return joined;
  }
  return "";
}

Value ReadValue(const Json& json) {
  Value value;
  if (json.is_null() || json.is_discarded()) {
    return value;
  }
  value.present = true;
  if (json.is_string()) {
    value.text = json.get<std::string>();
  } else if (json.is_boolean()) {
    value.text = json.get<bool>() ? "true" : "false";
  } else if (json.is_number()) {
    value.text = json.dump();
  } else if (json.is_object()) {
    value.intrinsic = true;
    value.text = IntrinsicText(json);
  } else {
    // An array where a scalar belongs: not something a rule can compare.
    value.intrinsic = true;
  }
  return value;
}

// The member `key` of `object`, or nullptr.
const Json* Find(const Json& object, const std::string& key) {
  if (!object.is_object()) {
    return nullptr;
  }
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t parsed = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, parsed);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return parsed;
}

IntField ReadInt(const Json& object, const std::string& key, const std::string& base) {
  IntField field;
  field.path = AppendKey(base, key);
  const Json* json = Find(object, key);
  if (json == nullptr || json->is_null()) {
    return field;
  }
  field.present = true;
  if (json->is_number_integer() && !json->is_number_unsigned()) {
    field.value = json->get<int64_t>();
  } else if (json->is_number_unsigned()) {
    const uint64_t raw = json->get<uint64_t>();
    field.value = raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                      ? std::numeric_limits<int64_t>::max()
                      : static_cast<int64_t>(raw);
  } else if (json->is_string()) {
    // CloudFormation accepts numbers as strings.
    field.value = ParseInt(json->get<std::string>());
  }
  return field;
}

class Normalizer {
 public:
  explicit Normalizer(bool pascal_case) : pascal_case_(pascal_case) {}

  std::string K(std::string_view camel) const {
    std::string key(camel);
    if (pascal_case_ && !key.empty()) {
      key[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(key[0])));
    }
    return key;
  }

  // Reads an array member with ReadItem(element, element_path, &item) -> bool (false: element
  // is not an object, e.g. an Fn::If, so the list's content is not fully known).
  template <typename T, typename ReadItem>
  List<T> ReadList(const Json& parent, std::string_view camel, const std::string& base,
                   ReadItem read_item) const {
    List<T> list;
    const std::string key = K(camel);
    list.path = AppendKey(base, key);
    const Json* json = Find(parent, key);
    if (json == nullptr || json->is_null()) {
      return list;
    }
    list.present = true;
    if (!json->is_array()) {
      list.opaque = true;
      return list;
    }
    for (size_t i = 0; i < json->size(); ++i) {
      const Json& element = (*json)[i];
      T item;
      item.path = AppendIndex(list.path, i);
      if (!element.is_object() || !read_item(element, &item)) {
        list.opaque = true;
        continue;
      }
      list.items.push_back(std::move(item));
    }
    return list;
  }

  // A map member (`options`, `dockerLabels`): user keys, never case-converted.
  List<NameValue> ReadMap(const Json& parent, std::string_view camel,
                          const std::string& base) const {
    List<NameValue> list;
    const std::string key = K(camel);
    list.path = AppendKey(base, key);
    const Json* json = Find(parent, key);
    if (json == nullptr || json->is_null()) {
      return list;
    }
    list.present = true;
    if (!json->is_object() || IsIntrinsicObject(*json)) {
      list.opaque = true;
      return list;
    }
    for (const auto& [name, value] : json->items()) {
      NameValue entry;
      entry.name = name;
      entry.value = ReadValue(value);
      entry.path = AppendKey(list.path, name);
      list.items.push_back(std::move(entry));
    }
    return list;
  }

  List<NameValue> ReadNameValues(const Json& parent, std::string_view camel,
                                 const std::string& base, std::string_view value_key) const {
    const std::string name_key = K("name");
    const std::string value_member = K(value_key);
    return ReadList<NameValue>(parent, camel, base, [&](const Json& element, NameValue* entry) {
      if (IsIntrinsicObject(element)) {
        return false;
      }
      const Value name = Get(element, name_key);
      entry->name = name.IsLiteral() ? name.text : "";
      entry->value = Get(element, value_member);
      return true;
    });
  }

  Container ReadContainer(const Json& json, const std::string& path) const {
    Container c;
    c.path = path;
    c.name = Get(json, K("name"));
    c.image = Get(json, K("image"));
    c.essential = Get(json, K("essential"));
    c.essential_path = AppendKey(path, K("essential"));
    c.environment = ReadNameValues(json, "environment", path, "value");
    c.secrets = ReadNameValues(json, "secrets", path, "valueFrom");
    c.depends_on = ReadList<Dependency>(
        json, "dependsOn", path, [&](const Json& element, Dependency* dependency) {
          if (IsIntrinsicObject(element)) {
            return false;
          }
          dependency->container_name = Get(element, K("containerName"));
          dependency->condition = Get(element, K("condition"));
          return true;
        });
    c.port_mappings = ReadList<PortMapping>(
        json, "portMappings", path, [&](const Json& element, PortMapping* mapping) {
          if (IsIntrinsicObject(element)) {
            return false;
          }
          mapping->container_port = ReadInt(element, K("containerPort"), mapping->path);
          mapping->host_port = ReadInt(element, K("hostPort"), mapping->path);
          return true;
        });
    c.mount_points = ReadList<MountPoint>(
        json, "mountPoints", path, [&](const Json& element, MountPoint* mount) {
          if (IsIntrinsicObject(element)) {
            return false;
          }
          mount->source_volume = Get(element, K("sourceVolume"));
          mount->container_path = Get(element, K("containerPath"));
          return true;
        });
    c.health_check = ReadHealthCheck(json, path);
    c.log_configuration = ReadLogConfiguration(json, path);
    c.firelens.path = AppendKey(path, K("firelensConfiguration"));
    if (const Json* firelens = Find(json, K("firelensConfiguration"));
        firelens != nullptr && !firelens->is_null()) {
      c.firelens.present = true;
      c.firelens.type = Get(*firelens, K("type"));
    }
    c.memory = ReadInt(json, K("memory"), path);
    c.memory_reservation = ReadInt(json, K("memoryReservation"), path);
    c.stop_timeout = ReadInt(json, K("stopTimeout"), path);
    c.docker_labels = ReadMap(json, "dockerLabels", path);
    return c;
  }

  TaskDefinition ReadTask(const Json& json, const std::string& path) const {
    TaskDefinition task;
    task.path = path;
    task.pascal_case = pascal_case_;
    task.network_mode = Get(json, K("networkMode"));
    task.network_mode_path = AppendKey(path, K("networkMode"));
    if (const Json* compat = Find(json, K("requiresCompatibilities")); compat != nullptr) {
      if (compat->is_array()) {
        for (const Json& entry : *compat) {
          if (entry.is_string()) {
            task.requires_compatibilities.push_back(entry.get<std::string>());
          } else {
            task.opaque_compatibilities = true;
          }
        }
      } else if (!compat->is_null()) {
        task.opaque_compatibilities = true;
      }
    }
    task.containers = ReadList<Container>(json, "containerDefinitions", path,
                                          [&](const Json& element, Container* container) {
                                            if (IsIntrinsicObject(element)) {
                                              return false;
                                            }
                                            *container = ReadContainer(element, container->path);
                                            return true;
                                          });
    return task;
  }

  // A bare array of container definitions (Terraform's container_definitions, or the
  // --container-definitions argument).
  TaskDefinition ReadContainerArray(const Json& json) const {
    TaskDefinition task;
    task.path = "$";
    task.has_task_fields = false;
    task.containers.present = true;
    task.containers.path = "$";
    for (size_t i = 0; i < json.size(); ++i) {
      const std::string path = AppendIndex("$", i);
      if (!json[i].is_object()) {
        task.containers.opaque = true;
        continue;
      }
      task.containers.items.push_back(ReadContainer(json[i], path));
    }
    return task;
  }

 private:
  static bool IsIntrinsicObject(const Json& json) {
    if (!json.is_object() || json.size() != 1) {
      return false;
    }
    const std::string& key = json.begin().key();
    return key == "Ref" || key == "Condition" || key.starts_with("Fn::");
  }

  static Value Get(const Json& object, const std::string& key) {
    const Json* json = Find(object, key);
    return json == nullptr ? Value{} : ReadValue(*json);
  }

  HealthCheck ReadHealthCheck(const Json& json, const std::string& path) const {
    HealthCheck check;
    check.path = AppendKey(path, K("healthCheck"));
    check.command_path = AppendKey(check.path, K("command"));
    const Json* health = Find(json, K("healthCheck"));
    if (health == nullptr || health->is_null()) {
      return check;
    }
    check.present = true;
    const Json* command = Find(*health, K("command"));
    if (command == nullptr || !command->is_array()) {
      check.opaque_command = command != nullptr && !command->is_null();
      return check;
    }
    for (const Json& element : *command) {
      if (element.is_string()) {
        check.command.push_back(element.get<std::string>());
      } else {
        check.opaque_command = true;
      }
    }
    return check;
  }

  LogConfiguration ReadLogConfiguration(const Json& json, const std::string& path) const {
    LogConfiguration log;
    log.path = AppendKey(path, K("logConfiguration"));
    log.log_driver_path = AppendKey(log.path, K("logDriver"));
    log.options.path = AppendKey(log.path, K("options"));
    log.secret_options.path = AppendKey(log.path, K("secretOptions"));
    const Json* config = Find(json, K("logConfiguration"));
    if (config == nullptr || config->is_null()) {
      return log;
    }
    log.present = true;
    log.log_driver = Get(*config, K("logDriver"));
    log.options = ReadMap(*config, "options", log.path);
    log.secret_options = ReadNameValues(*config, "secretOptions", log.path, "valueFrom");
    return log;
  }

  bool pascal_case_;
};

bool IsIdentifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0])) != 0) {
    return false;
  }
  for (char c : key) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') {
      return false;
    }
  }
  return true;
}

absl::Status NotJson(std::string_view text, const std::string& detail) {
  size_t first = 0;
  while (first < text.size() && std::isspace(static_cast<unsigned char>(text[first])) != 0) {
    ++first;
  }
  if (first == text.size()) {
    return absl::InvalidArgumentError("the file is empty");
  }
  if (text[first] != '{' && text[first] != '[') {
    return absl::InvalidArgumentError(
        "the file is not JSON (YAML CloudFormation templates are not supported: convert the "
        "template to JSON first, e.g. with cfn-flip)");
  }
  return absl::InvalidArgumentError(fmt::format("the file is not valid JSON: {}", detail));
}

}  // namespace

const NameValue* Container::Env(std::string_view env_name) const {
  for (const NameValue& entry : environment.items) {
    if (entry.name == env_name) {
      return &entry;
    }
  }
  return nullptr;
}

std::optional<std::string> Container::EnvLiteral(std::string_view env_name) const {
  const NameValue* entry = Env(env_name);
  if (entry == nullptr || !entry->value.IsLiteral()) {
    return std::nullopt;
  }
  return entry->value.text;
}

bool Container::HasEnvOrSecret(std::string_view env_name) const {
  if (Env(env_name) != nullptr) {
    return true;
  }
  for (const NameValue& secret : secrets.items) {
    if (secret.name == env_name) {
      return true;
    }
  }
  return false;
}

std::string Container::DisplayName() const {
  if (name.IsLiteral()) {
    return name.text;
  }
  return path;
}

std::string TaskDefinition::Key(std::string_view camel_case) const {
  std::string key(camel_case);
  if (pascal_case && !key.empty()) {
    key[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(key[0])));
  }
  return key;
}

bool TaskDefinition::IsFargate() const {
  for (const std::string& compatibility : requires_compatibilities) {
    if (compatibility == "FARGATE") {
      return true;
    }
  }
  return false;
}

std::string AppendKey(std::string_view base, std::string_view key) {
  if (IsIdentifier(key)) {
    return fmt::format("{}.{}", base, key);
  }
  // JSON string escaping keeps the path unambiguous whatever the key holds.
  return fmt::format("{}[{}]", base,
                     Json(std::string(key)).dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string AppendIndex(std::string_view base, size_t index) {
  return fmt::format("{}[{}]", base, index);
}

absl::StatusOr<std::vector<TaskDefinition>> ParseTaskDefinitions(std::string_view text) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& error) {
    return NotJson(text, error.what());
  }

  std::vector<TaskDefinition> tasks;
  if (doc.is_array()) {
    tasks.push_back(Normalizer(false).ReadContainerArray(doc));
    return tasks;
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        "expected a task definition object, an array of container definitions or a "
        "CloudFormation template");
  }
  if (const Json* wrapped = Find(doc, "taskDefinition");
      wrapped != nullptr && wrapped->is_object()) {
    tasks.push_back(Normalizer(false).ReadTask(*wrapped, "$.taskDefinition"));
    return tasks;
  }
  if (Find(doc, "containerDefinitions") != nullptr) {
    tasks.push_back(Normalizer(false).ReadTask(doc, "$"));
    return tasks;
  }
  const Json* resources = Find(doc, "Resources");
  if (resources == nullptr || !resources->is_object()) {
    return absl::InvalidArgumentError(
        "neither a task definition (no containerDefinitions) nor a CloudFormation template (no "
        "Resources)");
  }
  const std::string resources_path = AppendKey("$", "Resources");
  for (const auto& [logical_id, resource] : resources->items()) {
    const Json* type = Find(resource, "Type");
    if (type == nullptr || !type->is_string() ||
        type->get<std::string>() != "AWS::ECS::TaskDefinition") {
      continue;
    }
    const std::string path = AppendKey(AppendKey(resources_path, logical_id), "Properties");
    const Json* properties = Find(resource, "Properties");
    tasks.push_back(
        Normalizer(true).ReadTask(properties == nullptr ? Json::object() : *properties, path));
  }
  if (tasks.empty()) {
    return absl::InvalidArgumentError(
        "the CloudFormation template has no AWS::ECS::TaskDefinition resource");
  }
  return tasks;
}

}  // namespace sidecar::container::lint
