#include "container/lint/task_roles.h"

#include "agent/common/strings.h"

namespace sidecar::container::lint {
namespace {

bool LooksLikeSidecar(const Container& container) {
  // An intrinsic image (Fn::Sub of an ECR URI) still shows its literal part.
  const std::string image = common::AsciiToLower(container.image.text);
  for (std::string_view marker : {"sidecar-agent", "datadog/agent", "datadog-agent"}) {
    if (image.find(marker) != std::string::npos) {
      return true;
    }
  }
  if (!container.name.IsLiteral()) {
    return false;
  }
  const std::string name = common::AsciiToLower(container.name.text);
  return name == "sidecar-agent" || name == "datadog-agent" || name == "datadog";
}

}  // namespace

TaskRoles IdentifyRoles(const TaskDefinition& task) {
  TaskRoles roles;
  for (const Container& container : task.containers.items) {
    if (LooksLikeSidecar(container)) {
      roles.sidecar = &container;
      break;
    }
  }
  if (roles.sidecar == nullptr) {
    for (const Container& container : task.containers.items) {
      if (container.HasEnvOrSecret("DD_API_KEY")) {
        roles.sidecar = &container;
        break;
      }
    }
  }
  for (const Container& container : task.containers.items) {
    if (container.firelens.present) {
      roles.has_firelens_router = true;
    }
    if (&container != roles.sidecar && !container.firelens.present) {
      roles.apps.push_back(&container);
    }
  }
  return roles;
}

std::optional<bool> ParseBool(std::string_view text) {
  const std::string lower = common::AsciiToLower(common::TrimAsciiSpace(text));
  if (lower == "true" || lower == "t" || lower == "1") {
    return true;
  }
  if (lower == "false" || lower == "f" || lower == "0") {
    return false;
  }
  return std::nullopt;
}

bool SendsTraces(const Container& app) {
  if (std::optional<std::string> enabled = app.EnvLiteral("DD_TRACE_ENABLED");
      enabled.has_value() && ParseBool(*enabled) == false) {
    return false;
  }
  for (const NameValue& entry : app.environment.items) {
    const std::string_view name = entry.name;
    if (name.starts_with("DD_TRACE_") || name == "DD_AGENT_HOST" || name == "DD_ENV" ||
        name == "DD_SERVICE") {
      return true;
    }
  }
  return false;
}

bool UsesFirelensDriver(const Container& container) {
  const Value& driver = container.log_configuration.log_driver;
  return driver.IsLiteral() && driver.text == "awsfirelens";
}

bool UsesSidecar(const Container& app, const TaskRoles& roles) {
  if (SendsTraces(app)) {
    return true;
  }
  for (const NameValue& entry : app.environment.items) {
    if (std::string_view(entry.name).starts_with("DD_DOGSTATSD_")) {
      return true;
    }
  }
  return roles.sidecar != nullptr && roles.sidecar->firelens.present && UsesFirelensDriver(app);
}

std::string UrlHost(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return "";
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.starts_with("[")) {
    const size_t close = rest.find(']');
    return close == std::string_view::npos ? "" : common::AsciiToLower(rest.substr(0, close + 1));
  }
  return common::AsciiToLower(rest.substr(0, rest.find_first_of(":/?")));
}

bool IsLoopbackHost(std::string_view host) {
  const std::string lower = common::AsciiToLower(common::TrimAsciiSpace(host));
  return lower == "localhost" || lower.starts_with("127.") || lower == "::1" || lower == "[::1]";
}

}  // namespace sidecar::container::lint
