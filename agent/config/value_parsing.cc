#include "agent/config/value_parsing.h"

#include <charconv>

#include "agent/common/status_macros.h"
#include "agent/common/strings.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::config {

absl::Status InvalidValue(std::string_view variable, std::string_view value,
                          std::string_view accepted) {
  return absl::InvalidArgumentError(
      fmt::format("{}=\"{}\" is not valid. Accepted: {}.", variable, value, accepted));
}

absl::StatusOr<bool> ParseBool(const std::optional<std::string>& raw, std::string_view variable,
                               bool fallback) {
  if (!raw.has_value() || raw->empty()) {
    return fallback;
  }
  const std::string value = common::AsciiToLower(common::TrimAsciiSpace(*raw));
  if (value == "true" || value == "1" || value == "yes" || value == "on") {
    return true;
  }
  if (value == "false" || value == "0" || value == "no" || value == "off") {
    return false;
  }
  return InvalidValue(variable, *raw, "true or false");
}

absl::StatusOr<int64_t> ParseInteger(const std::optional<std::string>& raw,
                                     std::string_view variable, int64_t fallback, int64_t min,
                                     int64_t max) {
  if (!raw.has_value() || raw->empty()) {
    return fallback;
  }
  const std::string_view text = common::TrimAsciiSpace(*raw);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return InvalidValue(variable, *raw, fmt::format("an integer from {} to {}", min, max));
  }
  return value;
}

absl::StatusOr<uint16_t> ParsePort(const std::optional<std::string>& raw, std::string_view variable,
                                   uint16_t fallback) {
  SIDECAR_ASSIGN_OR_RETURN(int64_t port, ParseInteger(raw, variable, fallback, 0, 65535));
  return static_cast<uint16_t>(port);
}

// DD_TAGS accepts the Agent's space-separated list and a JSON array; commas also separate, since a
// comma can never be part of a DogStatsD tag and users often write "a:b,c:d".
absl::StatusOr<std::vector<std::string>> ParseTags(const std::optional<std::string>& raw,
                                                   std::string_view variable) {
  std::vector<std::string> tags;
  if (!raw.has_value()) {
    return tags;
  }
  const std::string_view text = common::TrimAsciiSpace(*raw);
  if (!text.empty() && text.front() == '[') {
    const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_array()) {
      return InvalidValue(variable, *raw,
                          "space-separated key:value tags or a JSON array of strings");
    }
    for (const auto& tag : parsed) {
      if (!tag.is_string()) {
        return InvalidValue(variable, *raw, "a JSON array of strings");
      }
      tags.push_back(tag.get<std::string>());
    }
    return tags;
  }
  for (std::string_view tag : common::SplitAnyOf(text, " ,\t\n")) {
    tags.emplace_back(tag);
  }
  return tags;
}

}  // namespace sidecar::config
