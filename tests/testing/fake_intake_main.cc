// fake-intake: runs FakeIntake as a process, for manual and scripted end-to-end runs.
//
//   fake-intake [--port N] [--fail-status S --fail-count N] [--discard-bodies]
//
// First stdout line: "listening on http://127.0.0.1:<port>". Then one JSON line per request:
// {"path":..,"content_encoding":..,"api_key_present":bool,"decoded":{..}} (+ "decode_error" when
// decoding failed). API keys are never printed. Stops on SIGINT/SIGTERM. --discard-bodies answers
// without decompressing or decoding ("decoded" is null): for load benchmarks on a shared machine.
#include <exception>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tests/testing/fake_intake.h"
#include "tests/testing/tool_flags.h"

namespace {

using sidecar::testing::FakeIntake;
using sidecar::testing::RecordedRequest;
namespace tools = sidecar::testing::tools;

constexpr std::string_view kUsage =
    "usage: fake-intake [--port N] [--fail-status S --fail-count N] [--discard-bodies]\n";

bool IsApiKeyName(std::string_view key) {
  std::string folded;
  for (const char c : key) {
    if (c != '_' && c != '-') {
      folded.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return folded == "apikey" || folded == "ddapikey";
}

// Payloads can embed an API key field (intake events, CommonMetadata); blank them out.
void RedactApiKeys(nlohmann::json& json) {
  if (json.is_object()) {
    for (auto it = json.begin(); it != json.end(); ++it) {
      if (IsApiKeyName(it.key()) && it.value().is_string() &&
          !it.value().get<std::string>().empty()) {
        it.value() = "<redacted>";
      } else {
        RedactApiKeys(it.value());
      }
    }
  } else if (json.is_array()) {
    for (nlohmann::json& item : json) {
      RedactApiKeys(item);
    }
  }
}

int Run(int argc, char** argv) {
  long port = 0;
  long fail_status = 0;
  long fail_count = 0;
  bool discard_bodies = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--discard-bodies") {
      discard_bodies = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << "Missing value for " << flag << ".\n" << kUsage;
      return 2;
    }
    const std::string_view value = argv[++i];
    std::optional<long> parsed;
    if (flag == "--port") {
      parsed = tools::ParseInt(value, 0, 65535);
      port = parsed.value_or(0);
    } else if (flag == "--fail-status") {
      parsed = tools::ParseInt(value, 100, 599);
      fail_status = parsed.value_or(0);
    } else if (flag == "--fail-count") {
      parsed = tools::ParseInt(value, 0, 1000000);
      fail_count = parsed.value_or(0);
    } else {
      std::cerr << "Unknown flag " << flag << ".\n" << kUsage;
      return 2;
    }
    if (!parsed) {
      std::cerr << "Invalid value '" << value << "' for " << flag << ".\n" << kUsage;
      return 2;
    }
  }
  if ((fail_count > 0) != (fail_status > 0)) {
    std::cerr << "--fail-status and --fail-count go together.\n" << kUsage;
    return 2;
  }

  const sigset_t stop_signals = tools::BlockStopSignals();
  FakeIntake::Options options;
  options.port = static_cast<uint16_t>(port);
  options.discard_bodies = discard_bodies;
  auto intake = FakeIntake::Start(options);
  if (!intake.ok()) {
    std::cerr << "Cannot start the fake intake: " << intake.status() << "\n";
    return 1;
  }
  if (fail_count > 0) {
    (*intake)->FailNext(static_cast<int>(fail_status), static_cast<int>(fail_count));
  }

  std::mutex out_mu;
  {
    // Held while the first line is printed so no request line can come before it.
    std::lock_guard<std::mutex> lock(out_mu);
    (*intake)->SetOnRequest([&out_mu](const RecordedRequest& request) {
      constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
      nlohmann::json decoded = request.decoded;
      RedactApiKeys(decoded);
      // Built by hand to keep the documented key order (nlohmann::json sorts keys).
      std::string text =
          "{\"path\":" + nlohmann::json(request.path).dump(-1, ' ', false, kReplace) +
          ",\"content_encoding\":" +
          nlohmann::json(request.content_encoding).dump(-1, ' ', false, kReplace) +
          ",\"api_key_present\":" + (request.Header("DD-API-KEY").empty() ? "false" : "true") +
          ",\"decoded\":" + decoded.dump(-1, ' ', false, kReplace);
      if (!request.decode_error.empty()) {
        text += ",\"decode_error\":" +
                nlohmann::json(request.decode_error).dump(-1, ' ', false, kReplace);
      }
      text += "}";
      std::lock_guard<std::mutex> out_lock(out_mu);
      std::cout << text << std::endl;
    });
    std::cout << "listening on " << (*intake)->base_url() << std::endl;
  }

  tools::WaitForStopSignal(stop_signals);
  (*intake)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "fake-intake: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "fake-intake: unknown exception\n";
  }
  return 1;
}
