// File: statsd/framer.h
//
// Splits one DogStatsD packet into lines (spec ../shared/spec/dogstatsd.md §1.1) without copying:
// lines end at '\n', one trailing '\r' is removed, empty lines are skipped silently, and a last
// line without '\n' is kept unless the transport requires line ends (Agent
// `dogstatsd_eol_required`), in which case it is dropped and reported so the caller can count it
// (UnterminatedMetricErrors).
//
//   Framer framer(packet, FramerOptions{});
//   while (std::optional<std::string_view> line = framer.Next()) { parser.Parse(*line); }
//   if (framer.dropped_unterminated()) { ++stats.unterminated_lines; }
//
// or, with a callback:
//
//   FrameStats s = ForEachLine(packet, options, [&](std::string_view line) { ... });
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace sidecar::statsd {

struct FramerOptions {
  // Drop a last line that has no '\n' (Agent `dogstatsd_eol_required` listing this transport).
  // Default false, as in the Agent; hot-shots never ends its datagrams with '\n'.
  bool eol_required = false;
};

class Framer {
 public:
  explicit Framer(std::string_view packet, const FramerOptions& options = {})
      : rest_(packet), eol_required_(options.eol_required) {}

  // The next non-empty line, without its '\n' and without one trailing '\r'; nullopt at the end.
  // The view points into the packet.
  std::optional<std::string_view> Next();

  // True once Next() has dropped an unterminated non-empty last line (eol_required only).
  bool dropped_unterminated() const { return dropped_unterminated_; }
  // Empty lines skipped so far (not errors; informational).
  size_t empty_lines() const { return empty_lines_; }

 private:
  std::string_view rest_;
  bool eol_required_ = false;
  bool dropped_unterminated_ = false;
  size_t empty_lines_ = 0;
};

struct FrameStats {
  size_t lines = 0;                 // lines handed to the callback
  size_t empty_lines = 0;           // skipped silently
  size_t unterminated_dropped = 0;  // 0 or 1: the last line, dropped in eol_required mode
};

// Calls fn(std::string_view line) for every line of `packet`, in order.
template <typename Fn>
FrameStats ForEachLine(std::string_view packet, const FramerOptions& options, Fn&& fn) {
  Framer framer(packet, options);
  FrameStats stats;
  while (const std::optional<std::string_view> line = framer.Next()) {
    ++stats.lines;
    fn(*line);
  }
  stats.empty_lines = framer.empty_lines();
  stats.unterminated_dropped = framer.dropped_unterminated() ? 1 : 0;
  return stats;
}

}  // namespace sidecar::statsd
