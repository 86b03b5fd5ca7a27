#include "logs/line_framer.h"

#include <algorithm>

namespace sidecar::logs {

LineFramer::LineFramer(size_t max_line_bytes)
    : max_line_bytes_(std::max<size_t>(1, max_line_bytes)) {
  partial_.reserve(std::min<size_t>(max_line_bytes_, 4096));
}

void LineFramer::Feed(std::string_view bytes, std::vector<std::string>& lines) {
  while (!bytes.empty()) {
    const size_t newline = bytes.find('\n');
    std::string_view segment = bytes.substr(0, newline);
    while (!segment.empty()) {
      if (partial_.size() >= max_line_bytes_) {
        // A "\r" right after a full line may be its line ending: hold it until the next byte
        // tells, so the result does not depend on where reads end.
        if (partial_.size() == max_line_bytes_ && segment == "\r") {
          partial_.push_back('\r');
          break;
        }
        Cut(lines);
      }
      const size_t take = std::min(segment.size(), max_line_bytes_ - partial_.size());
      partial_.append(segment.data(), take);
      segment.remove_prefix(take);
    }
    if (newline == std::string_view::npos) {
      return;
    }
    Emit(lines);
    bytes.remove_prefix(newline + 1);
  }
}

void LineFramer::Finish(std::vector<std::string>& lines) { Emit(lines); }

void LineFramer::Cut(std::vector<std::string>& lines) {
  ++cut_lines_;
  std::string rest = partial_.substr(max_line_bytes_);
  partial_.resize(max_line_bytes_);
  lines.push_back(std::move(partial_));
  partial_ = std::move(rest);
}

void LineFramer::Emit(std::vector<std::string>& lines) {
  if (!partial_.empty() && partial_.back() == '\r') {
    partial_.pop_back();
  }
  if (!partial_.empty()) {
    lines.push_back(std::move(partial_));
  }
  partial_.clear();
}

}  // namespace sidecar::logs
