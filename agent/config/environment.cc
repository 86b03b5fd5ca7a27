#include "agent/config/environment.h"

#include <unistd.h>

namespace sidecar::config {

MapEnvironment MapEnvironment::FromProcess() {
  std::map<std::string, std::string, std::less<>> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) {
      continue;
    }
    variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return MapEnvironment(std::move(variables));
}

std::optional<std::string> MapEnvironment::Get(std::string_view name) const {
  auto it = variables_.find(name);
  if (it == variables_.end()) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace sidecar::config
