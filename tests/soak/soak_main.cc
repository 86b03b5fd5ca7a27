// soak-runner: runs the real sidecar-agent under mixed load (DogStatsD over UDP and UDS, v0.4
// traces, Fluent Forward logs over TCP and a Unix socket) against the fake intake and the fake ECS
// metadata server, injects a repeating fault script, delivers SIGTERM while the load keeps going,
// then checks from the fake intake's records that no accepted data was lost (beyond counted
// drops), duplicates stay within at-least-once retries, DogStatsD sums are exact and RSS is flat.
//
//   soak-runner --agent <sidecar-agent> [--duration 10m] [--smoke] [--rate-scale 1.0]
//               [--cycle 200s] [--report <path prefix>] [--keep-logs]
//
// Exit 0 when every check passed, 1 when one failed, 2 on a setup error. With --report P it writes
// P.txt and P.json.
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "fmt/format.h"
#include "tests/integration/agent_process.h"
#include "tests/soak/child_process.h"
#include "tests/soak/fault_schedule.h"
#include "tests/soak/soak_ledger.h"
#include "tests/soak/soak_load.h"
#include "tests/soak/soak_monitor.h"
#include "tests/soak/soak_verdict.h"
#include "tests/testing/fake_ecs_metadata_server.h"
#include "tests/testing/fake_intake.h"

namespace sidecar::soak {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kApiKey[] = "0123456789abcdef0123456789abcdef";
// The sidecar's default DD_SIDECAR_SHUTDOWN_TIMEOUT is 25 s; allow it plus process teardown.
constexpr auto kStopTimeout = std::chrono::seconds(35);
// Load keeps going this long after the exit, so SIGTERM lands mid-load, never after it.
constexpr auto kLoadAfterExit = std::chrono::milliseconds(500);

struct Flags {
  std::string agent;
  milliseconds duration{600'000};
  milliseconds cycle{200'000};
  bool smoke = false;
  double rate_scale = 1.0;
  std::string report;
  bool keep_logs = false;
};

// "20s", "10m", "1h", "1500ms" or plain seconds.
std::optional<milliseconds> ParseDuration(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value < 0) {
    return std::nullopt;
  }
  const std::string unit(end);
  double factor = 1000;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else if (!unit.empty() && unit != "s") {
    return std::nullopt;
  }
  return milliseconds(static_cast<int64_t>(value * factor));
}

std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    const auto next = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) {
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    if (name == "--smoke") {
      flags.smoke = true;
    } else if (name == "--keep-logs") {
      flags.keep_logs = true;
    } else if (name == "--agent" || name == "--report" || name == "--duration" ||
               name == "--cycle" || name == "--rate-scale") {
      const auto value = next();
      if (!value.has_value()) {
        std::fprintf(stderr, "%s needs a value\n", name.c_str());
        return std::nullopt;
      }
      if (name == "--agent") {
        flags.agent = *value;
      } else if (name == "--report") {
        flags.report = *value;
      } else if (name == "--rate-scale") {
        flags.rate_scale = std::strtod(value->c_str(), nullptr);
        if (!(flags.rate_scale > 0)) {
          std::fprintf(stderr, "--rate-scale must be > 0\n");
          return std::nullopt;
        }
      } else {
        const auto parsed = ParseDuration(*value);
        if (!parsed.has_value() || *parsed < milliseconds(5'000)) {
          std::fprintf(stderr, "bad %s '%s' (e.g. 20s, 10m; at least 5s)\n", name.c_str(),
                       value->c_str());
          return std::nullopt;
        }
        (name == "--duration" ? flags.duration : flags.cycle) = *parsed;
      }
    } else {
      std::fprintf(stderr,
                   "usage: soak-runner --agent PATH [--duration 10m] [--smoke] [--rate-scale X] "
                   "[--cycle 200s] [--report PREFIX] [--keep-logs]\n");
      return std::nullopt;
    }
  }
  if (flags.agent.empty() || access(flags.agent.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "--agent must name the sidecar-agent binary\n");
    return std::nullopt;
  }
  return flags;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Applied(const FaultEvent& event, testing::FakeIntake& intake,
                    testing::FakeEcsMetadataServer& metadata) {
  switch (event.kind) {
    case FaultKind::kIntake503:
      intake.FailFor(503, event.length);
      return fmt::format("every intake request answers 503 for {} ms", event.length.count());
    case FaultKind::kSlowIntake:
      intake.SetResponseDelay(event.delay);
      return fmt::format("every answer delayed {} ms for {} ms", event.delay.count(),
                         event.length.count());
    case FaultKind::kIntake413:
      intake.FailNext(413, event.count);
      return fmt::format("next {} intake requests answer 413", event.count);
    case FaultKind::kIntakeReset:
      intake.ResetNext(event.count);
      return fmt::format("next {} intake requests get a connection reset", event.count);
    case FaultKind::kIntakeStall:
      intake.StallNext(event.count);
      return fmt::format("next {} intake requests are never answered", event.count);
    case FaultKind::kEcsOutage:
      metadata.FailFor(500, event.length);
      return fmt::format("ECS metadata answers 500 for {} ms", event.length.count());
  }
  return "";
}

int Run(const Flags& flags) {
  // Rates: modest defaults a loaded 2-core box sustains next to the sidecar.
  const double scale = flags.rate_scale;
  const double dsd_rate = (flags.smoke ? 2'000 : 20'000) * scale;
  const double span_rate = (flags.smoke ? 200 : 2'000) * scale;
  const double log_rate = (flags.smoke ? 500 : 5'000) * scale;
  constexpr int kSpansPerTrace = 4;
  constexpr int kLinesPerDatagram = 20;
  const double seconds = static_cast<double>(flags.duration.count()) / 1000.0;
  // Id spaces with headroom for the SIGTERM window and pacing jitter.
  const auto trace_capacity =
      static_cast<size_t>(span_rate / kSpansPerTrace * (seconds + 60) * 1.2) + 1'000;
  const auto log_capacity = static_cast<size_t>(log_rate * (seconds + 60) * 1.2) + 1'000;

  SoakLedger ledger(trace_capacity, log_capacity);
  auto intake = testing::FakeIntake::Start();
  auto metadata = testing::FakeEcsMetadataServer::Start();
  if (!intake.ok() || !metadata.ok()) {
    std::fprintf(stderr, "cannot start the fakes\n");
    return 2;
  }
  (*intake)->SetOnRequest(
      [&ledger](const testing::RecordedRequest& request) { ledger.OnRequest(request); });
  if (const auto status = (*metadata)->LoadFixtures(testing::EcsFlavor::kFargate); !status.ok()) {
    std::fprintf(stderr, "cannot load ECS fixtures: %s\n", status.ToString().c_str());
    return 2;
  }

  char dir_template[] = "/tmp/sidecar-soak-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    std::perror("mkdtemp");
    return 2;
  }
  const std::string dir = dir_template;
  const uint16_t health_port = integration::FreePort();
  const uint16_t apm_port = integration::FreePort();
  const uint16_t forward_port = integration::FreePort();
  const uint16_t udp_port = integration::FreePort(SOCK_DGRAM);
  const std::string dsd_socket = dir + "/dsd.socket";
  const std::string forward_socket = dir + "/fluent.sock";
  const std::string agent_log = dir + "/sidecar-agent.log";
  const std::string base = (*intake)->base_url();
  const std::map<std::string, std::string> environment = {
      {"DD_API_KEY", kApiKey},
      {"DD_DD_URL", base},
      {"DD_APM_DD_URL", base},
      {"DD_LOGS_CONFIG_LOGS_DD_URL", base},
      {"DD_LOGS_CONFIG_LOGS_NO_SSL", "true"},
      {"DD_HEALTH_PORT", std::to_string(health_port)},
      {"DD_DOGSTATSD_PORT", std::to_string(udp_port)},
      {"DD_DOGSTATSD_SOCKET", dsd_socket},
      {"DD_APM_RECEIVER_PORT", std::to_string(apm_port)},
      {"DD_APM_RECEIVER_SOCKET", ""},
      {"DD_LOGS_ENABLED", "true"},
      {"DD_LOGS_FORWARD_PORT", std::to_string(forward_port)},
      {"DD_LOGS_FORWARD_SOCKET", forward_socket},
      {"DD_ENV", "soak"},
      {"DD_SERVICE", "soak-svc"},
      // As the task definitions here: every buffer draws from the memory pool under faults.
      {"DD_SIDECAR_MEMORY_LIMIT", "256MiB"},
      {"ECS_CONTAINER_METADATA_URI_V4", (*metadata)->base_url()}};

  std::printf("soak: %s run of %.0f s; sidecar log %s\n", flags.smoke ? "smoke" : "full", seconds,
              agent_log.c_str());
  std::fflush(stdout);
  ChildProcess agent(flags.agent, {"run"}, environment, agent_log);
  if (!agent.started() ||
      !integration::WaitForHttpStatus(health_port, "/health", 200, std::chrono::seconds(30))) {
    std::fprintf(stderr, "the sidecar did not become healthy:\n%s\n",
                 agent.OutputTail(4000).c_str());
    return 2;
  }

  IdBook trace_book(trace_capacity);
  IdBook log_book(log_capacity);
  DogstatsdSender uds({.unix_path = dsd_socket,
                       .metric = kUdsMetric,
                       .lines_per_second = dsd_rate / 2,
                       .lines_per_datagram = kLinesPerDatagram});
  DogstatsdSender udp({.unix_path = "",
                       .udp_port = udp_port,
                       .metric = kUdpMetric,
                       .lines_per_second = dsd_rate / 2,
                       .lines_per_datagram = kLinesPerDatagram});
  TraceSender traces({.port = apm_port,
                      .spans_per_second = span_rate,
                      .spans_per_trace = kSpansPerTrace,
                      .traces_per_request = flags.smoke ? 5 : 25},
                     trace_book);
  ForwardSender forward_tcp({.unix_path = "",
                             .tcp_port = forward_port,
                             .records_per_second = log_rate / 2,
                             .records_per_message = 50},
                            log_book);
  ForwardSender forward_unix(
      {.unix_path = forward_socket, .records_per_second = log_rate / 2, .records_per_message = 50},
      log_book);
  SoakMonitor monitor({.pid = agent.pid(), .health_port = health_port, .udp_port = udp_port},
                      **intake);

  const auto start = Clock::now();
  monitor.Start(start);
  for (LoadThread* sender :
       std::initializer_list<LoadThread*>{&uds, &udp, &traces, &forward_tcp, &forward_unix}) {
    sender->Start(start);
  }

  SoakRun run;
  run.smoke = flags.smoke;
  run.duration_s = seconds;
  run.spans_per_trace = kSpansPerTrace;
  run.dsd_lines_per_datagram = kLinesPerDatagram;
  run.rates = {{"dogstatsd_lines", dsd_rate}, {"spans", span_rate}, {"log_records", log_rate}};

  // The fault script; windowed intake faults are cleared when their window ends.
  const auto schedule = BuildFaultSchedule(flags.duration, flags.cycle, flags.smoke);
  std::vector<std::pair<milliseconds, FaultKind>> endings;
  size_t next_fault = 0;
  while (Clock::now() - start < flags.duration) {
    const auto now = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    while (next_fault < schedule.size() && schedule[next_fault].at <= now) {
      const FaultEvent& event = schedule[next_fault++];
      const std::string detail = Applied(event, **intake, **metadata);
      run.faults.push_back({SecondsSince(start), FaultName(event.kind), detail});
      std::printf("soak: t=%6.1fs fault %s: %s\n", SecondsSince(start),
                  FaultName(event.kind).c_str(), detail.c_str());
      std::fflush(stdout);
      if (event.kind == FaultKind::kSlowIntake) {
        endings.emplace_back(event.at + event.length, event.kind);
      }
    }
    for (auto it = endings.begin(); it != endings.end();) {
      if (it->first <= now) {
        (*intake)->SetResponseDelay(milliseconds(0));
        run.faults.push_back({SecondsSince(start), "slow_intake_end", "answers undelayed"});
        it = endings.erase(it);
      } else {
        ++it;
      }
    }
    if (agent.Wait(milliseconds(0)).has_value()) {
      std::fprintf(stderr, "soak: the sidecar exited early at t=%.1fs\n", SecondsSince(start));
      break;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }

  // SIGTERM while every sender keeps going; what the sidecar accepted until it closed its
  // sockets must still reach the intake.
  monitor.SampleStatusNow();
  run.sigterm_s = SecondsSince(start);
  std::printf("soak: t=%6.1fs SIGTERM (load continues)\n", run.sigterm_s);
  std::fflush(stdout);
  agent.Signal(SIGTERM);
  // Keep reading /status while the sidecar stops: drops counted during shutdown show up only
  // there, until the status port closes.
  const auto stop_deadline = Clock::now() + kStopTimeout;
  while (!run.exit_code.has_value() && Clock::now() < stop_deadline) {
    monitor.SampleStatusNow();
    run.exit_code = agent.Wait(milliseconds(100));
  }
  run.exit_s = SecondsSince(start);
  std::this_thread::sleep_for(kLoadAfterExit);
  for (LoadThread* sender :
       std::initializer_list<LoadThread*>{&uds, &udp, &traces, &forward_tcp, &forward_unix}) {
    sender->Stop();
  }
  monitor.Stop();
  (*intake)->Stop();
  (*metadata)->Stop();

  const auto uds_window = uds.AcceptedAfter(run.sigterm_s);
  const auto udp_window = udp.AcceptedAfter(run.sigterm_s - 1);
  run.uds = {uds.lines_accepted(), uds.value_accepted(), uds.datagrams_accepted(),
             uds.send_failures(),  uds_window.lines,     uds_window.value};
  run.udp = {udp.lines_accepted(), udp.value_accepted(), udp.datagrams_accepted(),
             udp.send_failures(),  udp_window.lines,     udp_window.value};
  run.traces = {trace_book.state, trace_book.sent_at,
                std::min<size_t>(trace_book.next.load(), trace_capacity)};
  run.logs = {log_book.state, log_book.sent_at,
              std::min<size_t>(log_book.next.load(), log_capacity)};
  run.trace_requests_by_status = traces.RequestsByStatus();
  run.forward_acked_messages = forward_tcp.messages_acked() + forward_unix.messages_acked();
  run.forward_ack_timeouts = forward_tcp.ack_timeouts() + forward_unix.ack_timeouts();
  run.processes = monitor.Processes();
  run.statuses = monitor.Statuses();
  run.udp_socket = monitor.Udp();

  const Verdict verdict = Judge(run, ledger);
  const std::string text = RenderText(verdict);
  std::printf("\n%s", text.c_str());
  if (!verdict.passed()) {
    std::printf("\nlast lines of the sidecar's log:\n%s\n", agent.OutputTail(3000).c_str());
  }
  if (!flags.report.empty()) {
    std::ofstream(flags.report + ".txt") << text;
    std::ofstream(flags.report + ".json") << verdict.report.dump(2) << "\n";
    std::printf("report written to %s.{txt,json}\n", flags.report.c_str());
  }
  if (!flags.keep_logs && verdict.passed()) {
    unlink(agent_log.c_str());
    rmdir(dir.c_str());
  }
  return verdict.passed() ? 0 : 1;
}

}  // namespace
}  // namespace sidecar::soak

int main(int argc, char** argv) {
  // A peer closing a socket must be an error code, not the end of the runner.
  signal(SIGPIPE, SIG_IGN);
  const auto flags = sidecar::soak::ParseFlags(argc, argv);
  if (!flags.has_value()) {
    return 2;
  }
  try {
    return sidecar::soak::Run(*flags);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "soak-runner: %s\n", e.what());
    return 2;
  }
}
