#include "statsd/framer.h"

namespace sidecar::statsd {

std::optional<std::string_view> Framer::Next() {
  while (!rest_.empty()) {
    std::string_view line;
    const size_t newline = rest_.find('\n');
    if (newline == std::string_view::npos) {
      if (eol_required_) {
        dropped_unterminated_ = true;
        rest_ = {};
        return std::nullopt;
      }
      line = rest_;
      rest_ = {};
    } else {
      line = rest_.substr(0, newline);
      rest_.remove_prefix(newline + 1);
    }
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      ++empty_lines_;
      continue;
    }
    return line;
  }
  return std::nullopt;
}

}  // namespace sidecar::statsd
