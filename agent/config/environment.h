// Environment: where configuration comes from. Read once at start; components never call getenv.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sidecar::config {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value, or nullopt when it is not set. An empty value is returned as "".
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
};

// A fixed set of variables: the process environment captured at start, or a test's map.
class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string, std::less<>> variables)
      : variables_(std::move(variables)) {}

  // Captures the process environment (environ) once.
  static MapEnvironment FromProcess();

  std::optional<std::string> Get(std::string_view name) const override;
  void Set(std::string name, std::string value) { variables_[std::move(name)] = std::move(value); }

 private:
  std::map<std::string, std::string, std::less<>> variables_;
};

}  // namespace sidecar::config
