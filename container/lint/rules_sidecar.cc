// Rules about the sidecar container's own settings.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "agent/common/strings.h"
#include "container/lint/rules.h"
#include "fmt/format.h"

namespace sidecar::container::lint::internal {
namespace {

// Mirrors DD_SIDECAR_SHUTDOWN_TIMEOUT's default (README, Configuration).
constexpr int64_t kDefaultShutdownTimeoutSeconds = 25;
constexpr int64_t kMinStopTimeoutSeconds = 10;
// Measured peak RSS is ~50 MiB (APM under load); a hard limit below this gets OOM-killed.
constexpr int64_t kMinMemoryMiB = 128;
constexpr int64_t kMinMemoryReservationMiB = 64;

std::string_view Basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// True if the command runs `<...>/sidecar-agent health`, `agent health` or the Agent image's
// /probe.sh, in exec or shell form.
bool RunsHealthCommand(const std::vector<std::string>& command) {
  std::string joined;
  for (size_t i = 0; i < command.size(); ++i) {
    if (i == 0 && (command[i] == "CMD" || command[i] == "CMD-SHELL")) {
      continue;
    }
    joined += command[i];
    joined += ' ';
  }
  const std::vector<std::string_view> tokens = common::SplitAnyOf(joined, " \t\n;&|()'\"`");
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string_view base = Basename(tokens[i]);
    if (base == "probe.sh") {
      return true;
    }
    if ((base == "sidecar-agent" || base == "agent") && i + 1 < tokens.size() &&
        tokens[i + 1] == "health") {
      return true;
    }
  }
  return false;
}

std::string CommandText(const std::vector<std::string>& command) {
  std::vector<std::string> quoted;
  quoted.reserve(command.size());
  for (const std::string& part : command) {
    quoted.push_back(fmt::format("\"{}\"", part));
  }
  return fmt::format("[{}]", fmt::join(quoted, ", "));
}

}  // namespace

void CheckHealthCheck(const RuleContext& context) {
  const Container* sidecar = context.roles.sidecar;
  if (sidecar == nullptr) {
    return;
  }
  const TaskDefinition& task = context.task;
  const HealthCheck& check = sidecar->health_check;
  const std::string fix = fmt::format(
      "add \"{}\": {{\"{}\": [\"CMD\", \"/usr/local/bin/sidecar-agent\", \"health\"], \"{}\": 10, "
      "\"{}\": 5, \"{}\": 3, \"{}\": 5}} to the sidecar",
      task.Key("healthCheck"), task.Key("command"), task.Key("interval"), task.Key("timeout"),
      task.Key("retries"), task.Key("startPeriod"));
  if (!check.present) {
    context.Add(Severity::kError, "health-check", sidecar->path,
                "the sidecar has no healthCheck: ECS ignores the image's HEALTHCHECK, so the "
                "sidecar never becomes HEALTHY, apps cannot wait for it with dependsOn HEALTHY "
                "(they would never start) and tracers race its listeners at start",
                fix);
    return;
  }
  if (check.opaque_command || RunsHealthCommand(check.command)) {
    return;
  }
  context.Add(Severity::kWarning, "health-check", check.command_path,
              fmt::format("the health command {} does not run `sidecar-agent health`, which is "
                          "ready only once the DogStatsD, APM and log listeners are bound; any "
                          "other probe can report HEALTHY while apps still get connection "
                          "refused",
                          CommandText(check.command)),
              fmt::format(R"(use "{}": ["CMD", "/usr/local/bin/sidecar-agent", "health"])",
                          task.Key("command")));
}

void CheckApmDisabled(const RuleContext& context) {
  const Container* sidecar = context.roles.sidecar;
  if (sidecar == nullptr) {
    return;
  }
  bool tracing_apps = false;
  std::string tracer;
  for (const Container* app : context.roles.apps) {
    if (SendsTraces(*app)) {
      tracing_apps = true;
      tracer = app->DisplayName();
      break;
    }
  }
  for (std::string_view name : {"DD_APM_ENABLED", "DD_APM_RECEIVER_ENABLED"}) {
    const NameValue* entry = sidecar->Env(name);
    if (entry == nullptr || !entry->value.IsLiteral() || ParseBool(entry->value.text) != false) {
      continue;
    }
    if (tracing_apps) {
      context.Add(Severity::kWarning, "apm-disabled", entry->path,
                  fmt::format("{}=false turns the sidecar's trace receiver off, but container {} "
                              "runs a tracer: its traces are refused and lost",
                              name, tracer),
                  fmt::format("remove {} (APM is on by default) or set it to true", name));
    } else {
      context.Add(Severity::kInfo, "apm-disabled", entry->path,
                  fmt::format("{}=false: the sidecar accepts no traces; fine while no app in the "
                              "task traces",
                              name),
                  "remove it once an app sends traces");
    }
  }
}

void CheckMemory(const RuleContext& context) {
  const Container* sidecar = context.roles.sidecar;
  if (sidecar == nullptr) {
    return;
  }
  const TaskDefinition& task = context.task;
  if (sidecar->memory.value.has_value() && *sidecar->memory.value < kMinMemoryMiB) {
    context.Add(Severity::kError, "memory", sidecar->memory.path,
                fmt::format("the sidecar's hard memory limit is {} MiB; its resident memory "
                            "peaks around 50 MiB with APM under load (plus buffers while the "
                            "intake is slow), so the kernel kills the sidecar under load and "
                            "the data it holds is lost",
                            *sidecar->memory.value),
                fmt::format(R"(raise "{}" to at least {} MiB, or drop it and set "{}" instead)",
                            task.Key("memory"), kMinMemoryMiB, task.Key("memoryReservation")));
  }
  if (sidecar->memory_reservation.value.has_value() &&
      *sidecar->memory_reservation.value < kMinMemoryReservationMiB) {
    context.Add(Severity::kWarning, "memory", sidecar->memory_reservation.path,
                fmt::format("the sidecar reserves {} MiB, less than it uses under load (~30 MiB "
                            "DogStatsD, ~37 MiB logs, ~50 MiB APM): the task can be placed or "
                            "sized with too little memory left for it",
                            *sidecar->memory_reservation.value),
                fmt::format("set \"{}\" to at least {} MiB", task.Key("memoryReservation"),
                            kMinMemoryReservationMiB));
  }
  if (!sidecar->memory.present && !sidecar->memory_reservation.present) {
    context.Add(Severity::kInfo, "memory", sidecar->path,
                "the sidecar has no memory or memoryReservation: it shares the task's memory "
                "with the apps, and an app's leak can starve it",
                fmt::format("set \"{}\": {} on the sidecar", task.Key("memoryReservation"),
                            kMinMemoryReservationMiB));
  }
}

void CheckHostnameSet(const RuleContext& context) {
  const Container* sidecar = context.roles.sidecar;
  if (sidecar == nullptr) {
    return;
  }
  const NameValue* entry = sidecar->Env("DD_HOSTNAME");
  if (entry == nullptr || (entry->value.IsLiteral() && entry->value.text.empty())) {
    return;
  }
  context.Add(Severity::kWarning, "hostname-set", entry->path,
              "DD_HOSTNAME makes every task report as a host: each task is then billed as a "
              "monitored host on top of the Fargate task, and its data stops carrying task "
              "identity",
              "remove DD_HOSTNAME; the sidecar tags data with the task's ARN and family");
}

void CheckEssential(const RuleContext& context) {
  const Container* sidecar = context.roles.sidecar;
  if (sidecar == nullptr || !sidecar->essential.IsLiteral() ||
      ParseBool(sidecar->essential.text) != false) {
    return;
  }
  context.Add(Severity::kInfo, "essential", sidecar->essential_path,
              "the sidecar is not essential: if it crashes the task keeps running without "
              "telemetry (metrics, traces and logs are lost until the task is replaced); this is "
              "a deliberate trade-off some teams make",
              fmt::format("set \"{}\": true if the task must not run unobserved",
                          context.task.Key("essential")));
}

void CheckStopTimeout(const RuleContext& context) {
  const Container* sidecar = context.roles.sidecar;
  if (sidecar == nullptr) {
    return;
  }
  const TaskDefinition& task = context.task;
  const IntField& stop = sidecar->stop_timeout;
  const std::string key = task.Key("stopTimeout");
  if (stop.value.has_value() && *stop.value < kMinStopTimeoutSeconds) {
    context.Add(Severity::kWarning, "stop-timeout", stop.path,
                fmt::format("stopTimeout {} s: on SIGTERM the sidecar drains its listeners, "
                            "flushes the open aggregation buckets and delivers what is queued; "
                            "ECS sends SIGKILL after stopTimeout, so the last seconds of data "
                            "are lost",
                            *stop.value),
                fmt::format("set \"{}\": 30 (or more; Fargate allows up to 120)", key));
    return;
  }
  if (stop.value.has_value()) {
    int64_t shutdown = kDefaultShutdownTimeoutSeconds;
    if (std::optional<std::string> configured = sidecar->EnvLiteral("DD_SIDECAR_SHUTDOWN_TIMEOUT");
        configured.has_value()) {
      int64_t parsed = 0;
      if (!absl::SimpleAtoi(*configured, &parsed)) {
        return;
      }
      shutdown = parsed;
    }
    if (*stop.value <= shutdown) {
      context.Add(Severity::kInfo, "stop-timeout", stop.path,
                  fmt::format("stopTimeout {} s is not above the sidecar's delivery deadline "
                              "DD_SIDECAR_SHUTDOWN_TIMEOUT={} s: ECS may kill it while it is "
                              "still sending the final flush",
                              *stop.value, shutdown),
                  fmt::format("set \"{}\" a few seconds above DD_SIDECAR_SHUTDOWN_TIMEOUT, or "
                              "lower DD_SIDECAR_SHUTDOWN_TIMEOUT",
                              key));
    }
    return;
  }
  if (!stop.present && task.has_task_fields && !task.IsFargate() && !task.opaque_compatibilities) {
    context.Add(Severity::kInfo, "stop-timeout", sidecar->path,
                "no stopTimeout: on EC2 the grace period between SIGTERM and SIGKILL comes from "
                "the instance's ECS agent (ECS_CONTAINER_STOP_TIMEOUT, 30 s unless changed), so "
                "the sidecar's final flush depends on how the instances are configured",
                fmt::format("set \"{}\": 30 on the sidecar", key));
  }
}

}  // namespace sidecar::container::lint::internal
