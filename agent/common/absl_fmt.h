// fmt formatters for abseil types, so log lines can take absl::Status and Status::message()
// directly (Debian's absl::string_view is its own type, unknown to fmt).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "fmt/format.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view text, FormatContext& context) const {
    return fmt::formatter<std::string_view>::format(std::string_view(text.data(), text.size()),
                                                    context);
  }
};

template <>
struct fmt::formatter<absl::Status> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const absl::Status& status, FormatContext& context) const {
    const std::string text = status.ToString();
    return fmt::formatter<std::string_view>::format(std::string_view(text), context);
  }
};
