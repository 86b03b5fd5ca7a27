// sidecar-agent: entry point and subcommands. Everything here is thin; the work is in Agent.
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "agent/app/agent.h"
#include "agent/app/lint_command.h"
#include "agent/app/local_client.h"
#include "agent/app/settings.h"
#include "agent/app/status_table.h"
#include "agent/common/absl_fmt.h"
#include "agent/common/logging.h"
#include "agent/common/version.h"
#include "agent/config/agent_config.h"
#include "agent/config/environment.h"
#include "agent/forwarder/curl_api.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace {

using sidecar::config::MapEnvironment;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr auto kLocalTimeout = std::chrono::milliseconds(2000);

void PrintUsage() {
  std::fputs(
      "Usage: sidecar-agent [COMMAND] [OPTIONS]\n"
      "\n"
      "Commands:\n"
      "  run             Run the sidecar (default).\n"
      "  health          Exit 0 if the sidecar on this task reports ready (ECS healthCheck).\n"
      "  status [--json] Show the running sidecar's throughput, drops by reason, upstream health,\n"
      "                  retry queue, task identity and components (the same as GET / on the\n"
      "                  health port, DD_HEALTH_PORT).\n"
      "  config          Print the effective configuration; API keys are masked.\n"
      "  lint-task-def [--json] FILE\n"
      "                  Check an ECS task definition (or a CloudFormation template) for the\n"
      "                  mistakes that break a telemetry sidecar; exit 0/1/2 by worst finding.\n"
      "  version         Print the version.\n"
      "\n"
      "Configuration comes from the Datadog Agent's environment variables (DD_API_KEY, DD_SITE,\n"
      "DD_ENV, DD_SERVICE, DD_VERSION, DD_TAGS, ...); see README.md for the full table.\n",
      stdout);
}

// health and status must work without DD_API_KEY, so they read only DD_HEALTH_PORT.
absl::StatusOr<uint16_t> HealthPort(const MapEnvironment& environment) {
  sidecar::config::RawConfig raw;
  raw.api_key = "unused-by-local-commands";
  raw.health_port = environment.Get("DD_HEALTH_PORT");
  auto config = sidecar::config::Finalize(raw);
  if (!config.ok()) {
    return config.status();
  }
  return config->HealthPort();
}

int RunHealth(const MapEnvironment& environment) {
  auto port = HealthPort(environment);
  if (!port.ok()) {
    std::fprintf(stderr, "%s\n", std::string(port.status().message()).c_str());
    return kExitUsage;
  }
  auto reply = sidecar::app::GetLocal(*port, "/health", kLocalTimeout);
  if (!reply.ok()) {
    std::fprintf(stderr, "unhealthy: %s\n", std::string(reply.status().message()).c_str());
    return kExitFailure;
  }
  std::printf("%s\n", reply->body.c_str());
  return reply->status == 200 ? kExitOk : kExitFailure;
}

int RunStatus(const MapEnvironment& environment, bool json) {
  auto port = HealthPort(environment);
  if (!port.ok()) {
    std::fprintf(stderr, "%s\n", std::string(port.status().message()).c_str());
    return kExitUsage;
  }
  auto reply = sidecar::app::GetLocal(*port, "/status", kLocalTimeout);
  if (!reply.ok()) {
    std::fprintf(stderr, "%s\n", std::string(reply.status().message()).c_str());
    return kExitFailure;
  }
  const auto document = nlohmann::json::parse(reply->body, nullptr, false);
  if (document.is_discarded()) {
    std::fprintf(stderr, "The sidecar answered /status with something that is not JSON.\n");
    return kExitFailure;
  }
  const std::string text =
      json ? document.dump(2) + "\n" : sidecar::app::RenderStatusTable(document);
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

int RunConfig(const MapEnvironment& environment) {
  auto settings = sidecar::app::LoadSettings(environment);
  if (!settings.ok()) {
    std::fprintf(stderr, "Invalid configuration: %s\n",
                 std::string(settings.status().message()).c_str());
    return kExitUsage;
  }
  std::printf("%s\n", settings->agent.ToRedactedJson().dump(2).c_str());
  return kExitOk;
}

int RunAgent(const MapEnvironment& environment) {
  auto settings = sidecar::app::LoadSettings(environment);
  if (!settings.ok()) {
    sidecar::common::InitLogging("info", {});
    spdlog::critical("Invalid configuration: {}", settings.status().message());
    return kExitUsage;
  }
  sidecar::common::InitLogging(settings->agent.LogLevel(), settings->agent.Secrets());
  auto agent = sidecar::app::Agent::Create(std::move(*settings));
  if (!agent.ok()) {
    spdlog::critical("Cannot create the sidecar: {}", agent.status().message());
    return kExitFailure;
  }
  if (absl::Status started = (*agent)->Start(); !started.ok()) {
    spdlog::critical("Cannot start the sidecar: {}", started.message());
    (*agent)->Shutdown();
    return kExitFailure;
  }
  (*agent)->WaitForStopRequest();
  const sidecar::app::ShutdownSummary summary = (*agent)->Shutdown();
  return summary.clean ? kExitOk : kExitFailure;
}

int Main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  const std::string_view command = args.empty() ? "run" : args[0];
  const MapEnvironment environment = MapEnvironment::FromProcess();
  const bool json = std::find(args.begin(), args.end(), "--json") != args.end();
  if (command == "run") {
    return RunAgent(environment);
  }
  if (command == "health") {
    return RunHealth(environment);
  }
  if (command == "status") {
    return RunStatus(environment, json);
  }
  if (command == "config") {
    return RunConfig(environment);
  }
  if (command == "lint-task-def") {
    return sidecar::app::RunLintTaskDef({args.begin() + 1, args.end()});
  }
  if (command == "version") {
    std::printf("sidecar-agent %s (Datadog Agent %s compatible)\n",
                std::string(sidecar::common::kSidecarVersion).c_str(),
                std::string(sidecar::common::kAgentCompatibleVersion).c_str());
    return kExitOk;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    PrintUsage();
    return kExitOk;
  }
  std::fprintf(stderr, "Unknown command '%s'.\n\n", std::string(command).c_str());
  PrintUsage();
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // A few threads allocate; glibc would give each its own 64 MiB arena and keep freed memory in
  // all of them. Two arenas bound that overhead, which matters in a sidecar's memory budget.
  mallopt(M_ARENA_MAX, 2);  // NOLINT(concurrency-mt-unsafe): no other thread exists yet.
  sidecar::forwarder::SkipUnusedGnutlsInit();
  try {
    return Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sidecar-agent: fatal: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "sidecar-agent: fatal: unknown exception\n");
  }
  return kExitFailure;
}
