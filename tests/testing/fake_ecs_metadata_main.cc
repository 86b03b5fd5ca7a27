// fake-ecs-metadata: runs FakeEcsMetadataServer as a process, serving fixture documents.
//
//   fake-ecs-metadata [--port N] [--fixtures DIR] [--flavor fargate|ec2]
//                     [--fail-status S --fail-count N] [--delay-ms N]
//
// First stdout line: "listening on http://127.0.0.1:<port>/v4/<id>", the value for
// ECS_CONTAINER_METADATA_URI_V4. For Fargate the id is the container's DockerId. Stops on
// SIGINT/SIGTERM.
#include <chrono>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tests/testing/fake_ecs_metadata_server.h"
#include "tests/testing/testdata.h"
#include "tests/testing/tool_flags.h"

namespace {

using sidecar::testing::EcsFlavor;
using sidecar::testing::FakeEcsMetadataServer;
namespace tools = sidecar::testing::tools;

constexpr std::string_view kUsage =
    "usage: fake-ecs-metadata [--port N] [--fixtures DIR] [--flavor fargate|ec2]\n"
    "                         [--fail-status S --fail-count N] [--delay-ms N]\n";
constexpr std::string_view kEc2EndpointId = "9f1c6d2a-7b3e-4a85-b0d4-3e6f8a2c5b71";

int Run(int argc, char** argv) {
  long port = 0;
  long fail_status = 0;
  long fail_count = 0;
  long delay_ms = 0;
  std::string fixtures = sidecar::testing::TestdataPath("ecs");
  EcsFlavor flavor = EcsFlavor::kFargate;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "Missing value for " << flag << ".\n" << kUsage;
      return 2;
    }
    const std::string_view value = argv[++i];
    bool valid = true;
    if (flag == "--port") {
      const auto parsed = tools::ParseInt(value, 0, 65535);
      valid = parsed.has_value();
      port = parsed.value_or(0);
    } else if (flag == "--fail-status") {
      const auto parsed = tools::ParseInt(value, 100, 599);
      valid = parsed.has_value();
      fail_status = parsed.value_or(0);
    } else if (flag == "--fail-count") {
      const auto parsed = tools::ParseInt(value, 0, 1000000);
      valid = parsed.has_value();
      fail_count = parsed.value_or(0);
    } else if (flag == "--delay-ms") {
      const auto parsed = tools::ParseInt(value, 0, 600000);
      valid = parsed.has_value();
      delay_ms = parsed.value_or(0);
    } else if (flag == "--fixtures") {
      fixtures = std::string(value);
    } else if (flag == "--flavor") {
      valid = value == "fargate" || value == "ec2";
      flavor = value == "ec2" ? EcsFlavor::kEc2Awsvpc : EcsFlavor::kFargate;
    } else {
      std::cerr << "Unknown flag " << flag << ".\n" << kUsage;
      return 2;
    }
    if (!valid) {
      std::cerr << "Invalid value '" << value << "' for " << flag << ".\n" << kUsage;
      return 2;
    }
  }
  if ((fail_count > 0) != (fail_status > 0)) {
    std::cerr << "--fail-status and --fail-count go together.\n" << kUsage;
    return 2;
  }

  auto documents = sidecar::testing::LoadEcsFixtures(flavor, fixtures);
  if (!documents.ok()) {
    std::cerr << "Cannot load fixtures from " << fixtures << ": " << documents.status() << "\n";
    return 1;
  }
  FakeEcsMetadataServer::Options options;
  options.port = static_cast<uint16_t>(port);
  options.endpoint_id = std::string(kEc2EndpointId);
  if (flavor == EcsFlavor::kFargate) {
    const nlohmann::json container = nlohmann::json::parse(documents->container, nullptr, false);
    if (container.is_object() && container.contains("DockerId") &&
        container["DockerId"].is_string()) {
      options.endpoint_id = container["DockerId"].get<std::string>();
    }
  }

  const sigset_t stop_signals = tools::BlockStopSignals();
  auto server = FakeEcsMetadataServer::Start(options);
  if (!server.ok()) {
    std::cerr << "Cannot start the fake ECS metadata endpoint: " << server.status() << "\n";
    return 1;
  }
  (*server)->SetDocuments(*std::move(documents));
  if (fail_count > 0) {
    (*server)->FailNext(static_cast<int>(fail_status), static_cast<int>(fail_count));
  }
  (*server)->SetDelay(std::chrono::milliseconds(delay_ms));
  std::cout << "listening on " << (*server)->base_url() << std::endl;

  tools::WaitForStopSignal(stop_signals);
  (*server)->Stop();
  std::cerr << "fake-ecs-metadata: served " << (*server)->TotalRequests() << " requests\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "fake-ecs-metadata: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "fake-ecs-metadata: unknown exception\n";
  }
  return 1;
}
