// LineFramer: newline framing for raw log lines over TCP (the Agent's `type: tcp` logs source,
// ecs-logs.md B4 table). Bytes in, lines out, across arbitrary read boundaries.
//
//   LineFramer framer(max_line_bytes);
//   framer.Feed(bytes_read, lines);   // complete lines, without "\n" or "\r\n"
//   framer.Finish(lines);             // at EOF: the last line even without a newline
//
// A line longer than `max_line_bytes` is cut into pieces of at most that size, each its own line
// (as the Agent's reader does with frame_size); every cut is counted. Empty lines are skipped. At
// most max_line_bytes + 1 bytes are held between calls (a full line and a possible "\r").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sidecar::logs {

class LineFramer {
 public:
  // The Agent's logs_config.frame_size default.
  static constexpr size_t kDefaultMaxLineBytes = 9000;

  explicit LineFramer(size_t max_line_bytes = kDefaultMaxLineBytes);

  void Feed(std::string_view bytes, std::vector<std::string>& lines);
  // The unterminated last line, if any; the framer is empty afterwards.
  void Finish(std::vector<std::string>& lines);

  // Lines cut because they were longer than max_line_bytes.
  uint64_t cut_lines() const { return cut_lines_; }
  size_t buffered_bytes() const { return partial_.size(); }

 private:
  // Emits the first max_line_bytes of the line being built as a line of its own.
  void Cut(std::vector<std::string>& lines);
  // Emits the line being built, without a trailing "\r", unless empty.
  void Emit(std::vector<std::string>& lines);

  size_t max_line_bytes_;
  std::string partial_;
  uint64_t cut_lines_ = 0;
};

}  // namespace sidecar::logs
