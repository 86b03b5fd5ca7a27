// Parsers for environment variable values. Every error is InvalidArgument and names the variable
// and the accepted form, so a bad task definition fails with one actionable line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sidecar::config {

absl::Status InvalidValue(std::string_view variable, std::string_view value,
                          std::string_view accepted);

// true/false, 1/0, yes/no, on/off (any case); unset or empty gives `fallback`.
absl::StatusOr<bool> ParseBool(const std::optional<std::string>& raw, std::string_view variable,
                               bool fallback);
absl::StatusOr<int64_t> ParseInteger(const std::optional<std::string>& raw,
                                     std::string_view variable, int64_t fallback, int64_t min,
                                     int64_t max);
absl::StatusOr<uint16_t> ParsePort(const std::optional<std::string>& raw, std::string_view variable,
                                   uint16_t fallback);
// A list: the Agent's space-separated form, commas, or a JSON array of strings.
absl::StatusOr<std::vector<std::string>> ParseTags(const std::optional<std::string>& raw,
                                                   std::string_view variable);

}  // namespace sidecar::config
