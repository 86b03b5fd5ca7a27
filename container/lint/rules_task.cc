// Rules about the task as a whole: is there a sidecar, the network mode, secrets, and the
// unified service tags.
#include <array>
#include <string>
#include <vector>

#include "agent/common/strings.h"
#include "container/lint/rules.h"
#include "fmt/format.h"

namespace sidecar::container::lint::internal {

void CheckSidecarPresent(const RuleContext& context) {
  if (context.roles.sidecar != nullptr || context.task.containers.opaque) {
    return;
  }
  context.Add(Severity::kError, "sidecar-present", context.task.containers.path,
              "no container looks like the sidecar (image sidecar-agent or datadog/agent, name "
              "sidecar-agent/datadog-agent/datadog, or a container given DD_API_KEY), so nothing "
              "in this task receives metrics, traces or logs",
              "add the sidecar container (see task-definitions/fargate-firelens.json), or give "
              "it one of the names above so the other checks can find it");
}

void CheckNetworkMode(const RuleContext& context) {
  const TaskDefinition& task = context.task;
  const Value& mode = task.network_mode;
  if (!task.has_task_fields || mode.intrinsic) {
    return;
  }
  if (mode.IsLiteral() && mode.text == "awsvpc") {
    return;
  }
  std::string why;
  if (mode.LiteralEquals("host")) {
    why =
        "networkMode is \"host\": every task on the instance shares the host's ports, so a "
        "second task's sidecar cannot bind 8125/8126 and apps may reach another task's sidecar "
        "(their data then carries the wrong task's tags); Fargate also rejects it";
  } else {
    why = fmt::format(
        "{}: only awsvpc gives the containers of a task one shared loopback, so "
        "apps that send to localhost:8125/8126 reach the sidecar only in awsvpc; "
        "Fargate also rejects any other mode",
        mode.present ? fmt::format("networkMode is \"{}\"", mode.text)
                     : std::string("networkMode is not set (EC2 then uses bridge)"));
  }
  context.Add(Severity::kError, "network-mode", task.network_mode_path, why,
              fmt::format(R"(set "{}": "awsvpc")", task.Key("networkMode")));
}

void CheckApiKeyPlainEnv(const RuleContext& context) {
  const TaskDefinition& task = context.task;
  for (const Container& container : task.containers.items) {
    for (const NameValue& entry : container.environment.items) {
      if (entry.name != "DD_API_KEY" && entry.name != "DD_APP_KEY") {
        continue;
      }
      context.Add(Severity::kError, "api-key-plain-env", entry.path,
                  fmt::format("{} of container {} is in plain environment: anyone allowed to "
                              "describe the task definition (console, CLI, CloudTrail) can read "
                              "the key",
                              entry.name, container.DisplayName()),
                  fmt::format("move it to \"{}\" with \"{}\" naming a Secrets Manager secret or "
                              "SSM parameter (the execution role needs read access)",
                              task.Key("secrets"), task.Key("valueFrom")));
    }
    for (const NameValue& option : container.log_configuration.options.items) {
      if (common::AsciiToLower(option.name) != "apikey") {
        continue;
      }
      context.Add(Severity::kError, "api-key-plain-env", option.path,
                  fmt::format("the log option {} of container {} holds the API key in plain "
                              "text, readable by anyone allowed to describe the task definition",
                              option.name, container.DisplayName()),
                  fmt::format("move it to \"{}\" of the log configuration (a secret reference); "
                              "when the sidecar is the log router it is not needed at all: the "
                              "sidecar sends with its own DD_API_KEY",
                              task.Key("secretOptions")));
    }
  }
}

void CheckUnifiedServiceTags(const RuleContext& context) {
  struct Tag {
    const char* env;
    const char* label;
    const char* name;
  };
  static constexpr std::array<Tag, 3> kTags = {{
      {"DD_ENV", "com.datadoghq.tags.env", "env"},
      {"DD_SERVICE", "com.datadoghq.tags.service", "service"},
      {"DD_VERSION", "com.datadoghq.tags.version", "version"},
  }};
  const TaskDefinition& task = context.task;
  std::vector<std::string> missing;
  for (const Tag& tag : kTags) {
    bool found = false;
    bool unknown = false;
    for (const Container& container : task.containers.items) {
      if (container.firelens.present && &container != context.roles.sidecar) {
        continue;
      }
      unknown = unknown || container.environment.opaque || container.docker_labels.opaque;
      if (container.Env(tag.env) != nullptr) {
        found = true;
      }
      for (const NameValue& label : container.docker_labels.items) {
        if (label.name == tag.label) {
          found = true;
        }
      }
    }
    if (!found && !unknown) {
      missing.emplace_back(tag.env);
    }
  }
  if (missing.empty() || task.containers.opaque) {
    return;
  }
  const std::string names = fmt::format("{}", fmt::join(missing, ", "));
  context.Add(Severity::kWarning, "unified-service-tags", task.containers.path,
              fmt::format("{} set nowhere (not on the sidecar, not in any app's environment or "
                          "com.datadoghq.tags.* labels): metrics, traces and logs of this task "
                          "cannot be tied together by env/service/version",
                          names),
              fmt::format("set {} on the app containers (and the matching "
                          "com.datadoghq.tags.env/service/version dockerLabels), or once on the "
                          "sidecar for the whole task",
                          names));
}

}  // namespace sidecar::container::lint::internal
