#include "agent/runtime/memory_budget.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "agent/common/absl_fmt.h"
#include "fmt/format.h"

namespace sidecar::runtime {
namespace {

// cgroup v1 reports "no limit" as LONG_MAX rounded down to a page; anything this large is no limit.
constexpr uint64_t kUnlimitedThreshold = uint64_t{1} << 62;

std::optional<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  if (!file || !std::getline(file, line)) {
    return std::nullopt;
  }
  return line;
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  const auto invalid = [&text] {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a size (bytes, or a number with KiB, MiB or GiB)", text));
  };
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
    ++digits;
  }
  if (digits == 0) {
    return invalid();
  }
  uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + digits, number);
  if (error != std::errc() || end != text.data() + digits) {
    return invalid();
  }
  std::string unit;
  for (char c : text.substr(digits)) {
    if (c != ' ') {
      unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  int shift = 0;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else if (unit == "k" || unit == "ki" || unit == "kib" || unit == "kb") {
    shift = 10;
  } else if (unit == "m" || unit == "mi" || unit == "mib" || unit == "mb") {
    shift = 20;
  } else if (unit == "g" || unit == "gi" || unit == "gib" || unit == "gb") {
    shift = 30;
  } else {
    return invalid();
  }
  if (shift > 0 && number > (~uint64_t{0} >> shift)) {
    return invalid();
  }
  return number << shift;
}

std::optional<uint64_t> ReadCgroupMemoryLimit(std::string_view cgroup_root) {
  const std::string root(cgroup_root);
  if (auto v2 = ReadFirstLine(root + "/memory.max"); v2.has_value()) {
    if (*v2 == "max") {
      return std::nullopt;
    }
    auto value = ParseDecimal(*v2);
    return value.has_value() && *value < kUnlimitedThreshold ? value : std::nullopt;
  }
  if (auto v1 = ReadFirstLine(root + "/memory/memory.limit_in_bytes"); v1.has_value()) {
    auto value = ParseDecimal(*v1);
    return value.has_value() && *value < kUnlimitedThreshold ? value : std::nullopt;
  }
  return std::nullopt;
}

absl::StatusOr<MemoryBudget> ResolveMemoryBudget(const std::optional<std::string>& configured,
                                                 std::string_view cgroup_root) {
  MemoryBudget budget;
  if (configured.has_value() && !configured->empty()) {
    auto bytes = ParseByteSize(*configured);
    if (!bytes.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("DD_SIDECAR_MEMORY_LIMIT: {}", bytes.status().message()));
    }
    if (*bytes < MemoryBudget::kMinimumLimitBytes) {
      return absl::InvalidArgumentError(
          fmt::format("DD_SIDECAR_MEMORY_LIMIT: {} bytes is below the 80 MiB the sidecar needs to "
                      "stay under its limit through a flood (it holds about 20 MiB idle); give at "
                      "least 80MiB (128MiB or more recommended)",
                      *bytes));
    }
    budget.limit_bytes = *bytes;
    budget.source = "DD_SIDECAR_MEMORY_LIMIT";
    return budget;
  }
  if (auto limit = ReadCgroupMemoryLimit(cgroup_root); limit.has_value()) {
    budget.limit_bytes = *limit;
    budget.source = "cgroup";
  }
  return budget;
}

}  // namespace sidecar::runtime
