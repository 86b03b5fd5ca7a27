#include "agent/app/lint_command.h"

#include <array>
#include <cerrno>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "container/lint/lint_report.h"
#include "container/lint/lint_rules.h"
#include "fmt/format.h"

namespace sidecar::app {
namespace {

namespace lint = ::sidecar::container::lint;

// Task definitions are a few KiB (ECS caps one at 64 KiB); templates somewhat more. The cap keeps
// a wrong argument (a disk image, /dev/zero) from being read whole into memory.
constexpr size_t kMiB = size_t{1024} * 1024;
constexpr size_t kMaxFileBytes = 16 * kMiB;

constexpr std::string_view kHelp =
    "Usage: sidecar-agent lint-task-def [--json] FILE\n"
    "\n"
    "Checks an ECS task definition for the mistakes that break the sidecar: network mode,\n"
    "API key in plain environment, missing health check or dependsOn HEALTHY, unreachable\n"
    "DogStatsD/APM addresses, Unix socket volumes, APM disabled, memory limits, FireLens\n"
    "options, unified service tags, DD_HOSTNAME, essential and stopTimeout.\n"
    "\n"
    "FILE is a task definition JSON (as register-task-definition --cli-input-json takes it,\n"
    "or as describe-task-definition prints it), a JSON array of container definitions, or a\n"
    "JSON CloudFormation template (every AWS::ECS::TaskDefinition resource). YAML templates\n"
    "are not supported. FILE '-' reads standard input.\n"
    "\n"
    "Each finding prints its severity, rule id, the JSON path of the offending element, why it\n"
    "breaks and how to fix it.\n"
    "\n"
    "Options:\n"
    "  --json   Print one JSON object instead: file, findings (each with severity, rule,\n"
    "           path, why, fix) and worst (error, warning, info or none).\n"
    "\n"
    "Exit status:\n"
    "  0  no findings, or only info\n"
    "  1  the worst finding is a warning\n"
    "  2  the worst finding is an error\n"
    "  3  the file cannot be read or parsed, or the arguments are wrong\n";

absl::StatusOr<std::string> ReadBounded(std::string_view file) {
  const bool from_stdin = file == "-";
  std::FILE* stream = from_stdin ? stdin : std::fopen(std::string(file).c_str(), "rb");
  if (stream == nullptr) {
    return absl::NotFoundError(
        fmt::format("cannot open {}: {}", file, std::generic_category().message(errno)));
  }
  std::string text;
  std::array<char, size_t{64} * 1024> buffer{};
  bool too_large = false;
  bool failed = false;
  while (true) {
    const size_t read = std::fread(buffer.data(), 1, buffer.size(), stream);
    text.append(buffer.data(), read);
    if (text.size() > kMaxFileBytes) {
      too_large = true;
      break;
    }
    if (read < buffer.size()) {
      failed = std::ferror(stream) != 0;
      break;
    }
  }
  if (!from_stdin) {
    std::fclose(stream);
  }
  if (too_large) {
    return absl::InvalidArgumentError(
        fmt::format("{} is larger than {} MiB; not a task definition", file, kMaxFileBytes / kMiB));
  }
  if (failed) {
    return absl::DataLossError(fmt::format("cannot read {}", file));
  }
  return text;
}

int Fail(std::string_view file, std::string_view message, bool json, std::FILE* out,
         std::FILE* err) {
  if (json) {
    const std::string report = lint::RenderJsonError(file, message);
    std::fwrite(report.data(), 1, report.size(), out);
  } else {
    std::fputs(fmt::format("lint-task-def: {}\n", message).c_str(), err);
  }
  return lint::kExitUnreadable;
}

}  // namespace

int RunLintTaskDef(const std::vector<std::string_view>& args, std::FILE* out, std::FILE* err) {
  bool json = false;
  std::string_view file;
  int files = 0;
  for (std::string_view arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(std::string(kHelp).c_str(), out);
      return lint::kExitClean;
    }
    if (arg == "--json") {
      json = true;
    } else if (arg.starts_with("-") && arg != "-") {
      std::fputs(fmt::format("lint-task-def: unknown option {}\n\n{}", arg, kHelp).c_str(), err);
      return lint::kExitUnreadable;
    } else {
      file = arg;
      ++files;
    }
  }
  if (files != 1) {
    std::fputs(fmt::format("lint-task-def: expected one FILE\n\n{}", kHelp).c_str(), err);
    return lint::kExitUnreadable;
  }

  absl::StatusOr<std::string> text = ReadBounded(file);
  if (!text.ok()) {
    return Fail(file, std::string(text.status().message()), json, out, err);
  }
  absl::StatusOr<std::vector<lint::Finding>> findings = lint::LintText(*text);
  if (!findings.ok()) {
    return Fail(file, fmt::format("{}: {}", file, std::string(findings.status().message())), json,
                out, err);
  }
  const std::string report =
      json ? lint::RenderJson(file, *findings) : lint::RenderText(file, *findings);
  std::fwrite(report.data(), 1, report.size(), out);
  return lint::ExitStatus(*findings);
}

int RunLintTaskDef(const std::vector<std::string_view>& args) {
  return RunLintTaskDef(args, stdout, stderr);
}

}  // namespace sidecar::app
