// Rules about how the app containers reach the sidecar: start order, addresses, Unix sockets and
// FireLens log routing.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/strings.h"
#include "container/lint/rules.h"
#include "fmt/format.h"

namespace sidecar::container::lint::internal {
namespace {

// What an app sets to reach the sidecar over a Unix socket, and where the sidecar listens.
struct SocketSetting {
  std::string_view app_env;      // unix:// URL on the app
  std::string_view sidecar_env;  // socket path on the sidecar
  std::string_view sidecar_default;
};
constexpr std::array<SocketSetting, 2> kSockets = {{
    {"DD_DOGSTATSD_URL", "DD_DOGSTATSD_SOCKET", "/var/run/datadog/dsd.socket"},
    {"DD_TRACE_AGENT_URL", "DD_APM_RECEIVER_SOCKET", "/var/run/datadog/apm.socket"},
}};

// Log options the sidecar's FireLens router reads (logs/record_mapper.cc), plus the ones ECS
// itself consumes or that only select the Fluent Bit output. `apikey` has its own rule.
constexpr std::array<std::string_view, 8> kRouterOptions = {
    "Name",
    "dd_service",
    "dd_source",
    "dd_tags",
    "dd_hostname",
    "provider",
    "log-driver-buffer-limit",
    "apikey",
};

// An intrinsic on either side cannot be compared: assume the user meant the sidecar.
bool SameValue(const Value& a, const Value& b) {
  if (!a.IsLiteral() || !b.IsLiteral()) {
    return a.present && b.present;
  }
  return a.text == b.text;
}

bool SidecarFlagOn(const Container& sidecar, std::string_view name) {
  const NameValue* entry = sidecar.Env(name);
  if (entry == nullptr) {
    return false;
  }
  return !entry->value.IsLiteral() || ParseBool(entry->value.text) == true;
}

std::string_view StripTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  return path;
}

std::string_view Dirname(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

// The mount of `container` whose containerPath holds `file`, or nullptr.
const MountPoint* MountHolding(const Container& container, std::string_view file) {
  for (const MountPoint& mount : container.mount_points.items) {
    if (!mount.container_path.IsLiteral()) {
      continue;
    }
    const std::string_view dir = StripTrailingSlashes(mount.container_path.text);
    if (dir == "/" ||
        (file.size() > dir.size() && file.starts_with(dir) && file[dir.size()] == '/')) {
      return &mount;
    }
  }
  return nullptr;
}

const MountPoint* MountOf(const Container& container, const Value& volume) {
  for (const MountPoint& mount : container.mount_points.items) {
    if (SameValue(mount.source_volume, volume)) {
      return &mount;
    }
  }
  return nullptr;
}

std::string VolumeName(const Value& volume) {
  return volume.IsLiteral() ? volume.text : std::string("(intrinsic)");
}

void CheckAppSocket(const RuleContext& context, const Container& app, const SocketSetting& setting,
                    const NameValue& entry, std::string_view socket) {
  const Container& sidecar = *context.roles.sidecar;
  const TaskDefinition& task = context.task;
  const std::string add_volume = fmt::format(
      "declare a task volume (e.g. \"{}\": [{{\"{}\": \"dd-sockets\"}}]) and mount it at {} in "
      "both {} and the sidecar (\"{}\": [{{\"{}\": \"dd-sockets\", \"{}\": \"{}\"}}])",
      task.Key("volumes"), task.Key("name"), Dirname(socket), app.DisplayName(),
      task.Key("mountPoints"), task.Key("sourceVolume"), task.Key("containerPath"),
      Dirname(socket));
  const MountPoint* app_mount = MountHolding(app, socket);
  if (app_mount == nullptr) {
    context.Add(Severity::kError, "uds-volume-shared", entry.path,
                fmt::format("{} of {} points at {}, but no task volume is mounted there: the "
                            "path is inside the app's own filesystem, where the sidecar's socket "
                            "never appears, so every send fails",
                            setting.app_env, app.DisplayName(), socket),
                add_volume);
    return;
  }
  const MountPoint* sidecar_mount = MountOf(sidecar, app_mount->source_volume);
  if (sidecar_mount == nullptr) {
    context.Add(
        Severity::kError, "uds-volume-shared", app_mount->path,
        fmt::format("{} of {} uses a socket on volume {}, which the sidecar does not "
                    "mount: the sidecar creates its socket elsewhere and the app's sends "
                    "fail",
                    setting.app_env, app.DisplayName(), VolumeName(app_mount->source_volume)),
        add_volume);
    return;
  }
  if (!app_mount->container_path.IsLiteral() || !sidecar_mount->container_path.IsLiteral()) {
    return;
  }
  // The same file as the sidecar sees it through its own mount of the volume.
  const std::string_view app_dir = StripTrailingSlashes(app_mount->container_path.text);
  const std::string expected =
      fmt::format("{}{}", StripTrailingSlashes(sidecar_mount->container_path.text),
                  socket.substr(app_dir == "/" ? 0 : app_dir.size()));
  const NameValue* configured = sidecar.Env(setting.sidecar_env);
  if (configured != nullptr && !configured->value.IsLiteral()) {
    return;
  }
  const std::string listening =
      configured != nullptr ? configured->value.text : std::string(setting.sidecar_default);
  if (listening == expected) {
    return;
  }
  const std::string where = listening.empty() ? std::string("has that socket turned off")
                                              : fmt::format("listens on {}", listening);
  context.Add(Severity::kError, "uds-volume-shared",
              configured != nullptr ? configured->path : sidecar.path,
              fmt::format("{} of {} is {} on the shared volume, which is {} inside the sidecar, "
                          "but the sidecar {}",
                          setting.app_env, app.DisplayName(), socket, expected, where),
              fmt::format("set {}={} on the sidecar (or mount the volume at the same path in "
                          "both containers)",
                          setting.sidecar_env, expected));
}

void CheckSidecarSocket(const RuleContext& context, const SocketSetting& setting) {
  const Container& sidecar = *context.roles.sidecar;
  const NameValue* entry = sidecar.Env(setting.sidecar_env);
  if (entry == nullptr || !entry->value.IsLiteral() || entry->value.text.empty() ||
      sidecar.mount_points.opaque) {
    return;
  }
  const std::string& socket = entry->value.text;
  const MountPoint* mount = MountHolding(sidecar, socket);
  if (mount == nullptr) {
    context.Add(Severity::kWarning, "uds-volume-shared", entry->path,
                fmt::format("{}={} is not on a task volume: the socket exists only inside the "
                            "sidecar's filesystem and no app can connect to it",
                            setting.sidecar_env, socket),
                fmt::format("mount a shared task volume at {} in the sidecar and in the apps "
                            "that use the socket",
                            Dirname(socket)));
    return;
  }
  for (const Container& other : context.task.containers.items) {
    if (&other != &sidecar && (other.mount_points.opaque || MountOf(other, mount->source_volume))) {
      return;
    }
  }
  context.Add(Severity::kWarning, "uds-volume-shared", mount->path,
              fmt::format("{} is on volume {}, which no other container mounts: no app can reach "
                          "the socket",
                          setting.sidecar_env, VolumeName(mount->source_volume)),
              fmt::format("mount volume {} in the apps that send over the socket",
                          VolumeName(mount->source_volume)));
}

}  // namespace

void CheckDependsOnHealthy(const RuleContext& context) {
  const Container* sidecar = context.roles.sidecar;
  if (sidecar == nullptr) {
    return;
  }
  const TaskDefinition& task = context.task;
  for (const Container* app : context.roles.apps) {
    if (!UsesSidecar(*app, context.roles) || app->depends_on.opaque) {
      continue;
    }
    const Dependency* on_sidecar = nullptr;
    for (const Dependency& dependency : app->depends_on.items) {
      if (SameValue(dependency.container_name, sidecar->name)) {
        on_sidecar = &dependency;
        break;
      }
    }
    if (on_sidecar != nullptr &&
        (on_sidecar->condition.intrinsic || on_sidecar->condition.LiteralEquals("HEALTHY"))) {
      continue;
    }
    const std::string fix = fmt::format(
        R"(add {{"{}": "{}", "{}": "HEALTHY"}} to "{}" of {})", task.Key("containerName"),
        sidecar->DisplayName(), task.Key("condition"), task.Key("dependsOn"), app->DisplayName());
    if (on_sidecar != nullptr) {
      context.Add(
          Severity::kWarning, "depends-on-healthy", on_sidecar->path,
          fmt::format("{} waits for the sidecar with condition {}, which does not wait "
                      "for its listeners: the first traces and metrics hit a refused "
                      "connection",
                      app->DisplayName(),
                      on_sidecar->condition.present ? on_sidecar->condition.text : "(none)"),
          fmt::format(R"(set "{}": "HEALTHY")", task.Key("condition")));
      continue;
    }
    context.Add(Severity::kWarning, "depends-on-healthy",
                app->depends_on.present ? app->depends_on.path : app->path,
                fmt::format("{} sends telemetry to the sidecar but does not wait for it to be "
                            "HEALTHY: at start its tracer or DogStatsD client meets a refused "
                            "connection, and at stop ECS may stop the sidecar first, losing the "
                            "app's last data",
                            app->DisplayName()),
                fix);
  }
}

void CheckPortsOrNonLocal(const RuleContext& context) {
  const Container* sidecar = context.roles.sidecar;
  if (sidecar == nullptr) {
    return;
  }
  for (const Container* app : context.roles.apps) {
    for (const NameValue& entry : app->environment.items) {
      if (!entry.value.IsLiteral()) {
        continue;
      }
      bool apm = false;
      bool dogstatsd = false;
      std::string host;
      if (entry.name == "DD_AGENT_HOST") {
        host = common::AsciiToLower(common::TrimAsciiSpace(entry.value.text));
        apm = dogstatsd = true;
      } else if (entry.name == "DD_DOGSTATSD_HOST") {
        host = common::AsciiToLower(common::TrimAsciiSpace(entry.value.text));
        dogstatsd = true;
      } else if (entry.name == "DD_TRACE_AGENT_URL" && !entry.value.text.starts_with("unix:")) {
        host = UrlHost(entry.value.text);
        apm = true;
      } else if (entry.name == "DD_DOGSTATSD_URL" && !entry.value.text.starts_with("unix:")) {
        host = UrlHost(entry.value.text);
        dogstatsd = true;
      }
      if (host.empty() || IsLoopbackHost(host)) {
        continue;
      }
      std::vector<std::string> missing;
      if (apm && !SidecarFlagOn(*sidecar, "DD_APM_NON_LOCAL_TRAFFIC")) {
        missing.emplace_back("DD_APM_NON_LOCAL_TRAFFIC=true");
      }
      if (dogstatsd && !SidecarFlagOn(*sidecar, "DD_DOGSTATSD_NON_LOCAL_TRAFFIC")) {
        missing.emplace_back("DD_DOGSTATSD_NON_LOCAL_TRAFFIC=true");
      }
      if (missing.empty()) {
        continue;
      }
      context.Add(Severity::kWarning, "ports-or-non-local", entry.path,
                  fmt::format("{} of {} sends to {}, but the sidecar listens on 127.0.0.1 only "
                              "unless told otherwise; in awsvpc the containers of a task share "
                              "localhost (container names do not resolve), so this traffic is "
                              "refused or lost",
                              entry.name, app->DisplayName(), host),
                  fmt::format("remove {} (clients default to localhost) or point it at "
                              "127.0.0.1; if the traffic really comes from outside the task, set "
                              "{} on the sidecar",
                              entry.name, fmt::join(missing, " and ")));
    }
  }
  for (const PortMapping& mapping : sidecar->port_mappings.items) {
    const std::optional<int64_t>& port = mapping.container_port.value;
    const std::optional<int64_t>& host_port = mapping.host_port.value;
    if (!port.has_value() || (*port != 8125 && *port != 8126) || !host_port.has_value() ||
        *host_port == *port) {
      continue;
    }
    context.Add(Severity::kWarning, "ports-or-non-local", mapping.path,
                fmt::format("port {} is mapped to host port {}: apps in the task reach the "
                            "sidecar over localhost and need no mapping, and a stray host port "
                            "mapping of the agent's ports has been behind refused connections on "
                            "127.0.0.1:8126 and restarts",
                            *port, *host_port),
                "remove the hostPort (in awsvpc it must equal containerPort), or the whole "
                "mapping if nothing outside the task sends to the sidecar");
  }
}

void CheckUdsVolumeShared(const RuleContext& context) {
  const Container* sidecar = context.roles.sidecar;
  if (sidecar == nullptr || sidecar->mount_points.opaque) {
    return;
  }
  for (const Container* app : context.roles.apps) {
    if (app->mount_points.opaque) {
      continue;
    }
    for (const SocketSetting& setting : kSockets) {
      const NameValue* entry = app->Env(setting.app_env);
      if (entry == nullptr || !entry->value.IsLiteral()) {
        continue;
      }
      std::string_view socket = entry->value.text;
      if (!common::ConsumePrefix(socket, "unix://")) {
        continue;
      }
      CheckAppSocket(context, *app, setting, *entry, socket);
    }
  }
  for (const SocketSetting& setting : kSockets) {
    CheckSidecarSocket(context, setting);
  }
}

void CheckFirelensOptions(const RuleContext& context) {
  const TaskRoles& roles = context.roles;
  const Container* sidecar = roles.sidecar;
  const TaskDefinition& task = context.task;
  bool any_firelens_app = false;
  for (const Container* app : roles.apps) {
    if (!UsesFirelensDriver(*app)) {
      continue;
    }
    any_firelens_app = true;
    if (!roles.has_firelens_router) {
      context.Add(Severity::kError, "firelens-options", app->log_configuration.log_driver_path,
                  fmt::format("{} logs with awsfirelens but no container declares "
                              "firelensConfiguration: ECS rejects the task definition",
                              app->DisplayName()),
                  fmt::format("add \"{}\": {{\"{}\": \"fluentbit\"}} to the sidecar and set "
                              "DD_LOGS_ENABLED=true on it",
                              task.Key("firelensConfiguration"), task.Key("type")));
      continue;
    }
    if (sidecar == nullptr || !sidecar->firelens.present || app->log_configuration.options.opaque) {
      continue;
    }
    std::vector<std::string> ignored;
    for (const NameValue& option : app->log_configuration.options.items) {
      bool known = false;
      for (std::string_view name : kRouterOptions) {
        known = known || option.name == name;
      }
      const bool other_output = option.name == "Name" && option.value.IsLiteral() &&
                                common::AsciiToLower(option.value.text) != "datadog";
      if (!known || other_output) {
        ignored.push_back(option.name);
      }
    }
    if (ignored.empty()) {
      continue;
    }
    context.Add(Severity::kWarning, "firelens-options", app->log_configuration.options.path,
                fmt::format("the sidecar is this task's log router and reads only dd_service, "
                            "dd_source, dd_tags and dd_hostname from {}'s options; Fluent Bit "
                            "output options ({}) have no effect: logs always go to Datadog with "
                            "the sidecar's own intake, key and compression settings",
                            app->DisplayName(), fmt::join(ignored, ", ")),
                "remove those options (configure the intake with DD_SITE / DD_LOGS_CONFIG_* on "
                "the sidecar) and keep dd_service/dd_source/dd_tags");
  }
  if (sidecar == nullptr || !sidecar->firelens.present) {
    return;
  }
  if (!any_firelens_app) {
    context.Add(Severity::kInfo, "firelens-options", sidecar->firelens.path,
                "the sidecar is declared the FireLens log router but no app container logs with "
                "awsfirelens, so it receives no logs",
                "set the apps' logDriver to awsfirelens, or remove firelensConfiguration");
  }
  const NameValue* logs_enabled = sidecar->Env("DD_LOGS_ENABLED");
  if (logs_enabled == nullptr ||
      (logs_enabled->value.IsLiteral() && ParseBool(logs_enabled->value.text) != true)) {
    context.Add(Severity::kError, "firelens-options",
                logs_enabled != nullptr ? logs_enabled->path : sidecar->path,
                "the sidecar is the FireLens log router but DD_LOGS_ENABLED is not true: it "
                "never opens /var/run/fluent.sock, so the apps' log driver cannot deliver and "
                "their logs are lost",
                "set DD_LOGS_ENABLED=true on the sidecar");
  }
  if (UsesFirelensDriver(*sidecar)) {
    context.Add(Severity::kWarning, "firelens-options", sidecar->log_configuration.log_driver_path,
                "the sidecar is the log router and also logs with awsfirelens, i.e. to itself: "
                "ECS then skips the start-order dependency and its own logs are lost while it "
                "starts or stops",
                "send the sidecar's own logs to awslogs");
  }
}

}  // namespace sidecar::container::lint::internal
