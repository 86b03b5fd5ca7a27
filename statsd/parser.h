// File: statsd/parser.h
//
// DogStatsD line parser: one line (as produced by statsd/framer.h) in, one ParseResult out. Accepts
// and rejects exactly what the Datadog Agent does (spec ../shared/spec/dogstatsd.md §1.2, §2-4,
// conformance cases §14.A-D), with one deliberate difference for event lengths (below).
//
// Pure and stateless: no I/O, clock, logging, globals, exceptions or heap allocation; safe to share
// between threads. Result views point into `line`.
//
//   const Parser parser(ParserOptions{});
//   ForEachLine(packet, {}, [&](std::string_view line) {
//     ParseResult result = parser.Parse(line);
//     if (const auto* error = std::get_if<ParseError>(&result)) { stats.Count(*error); return; }
//     ...
//   });
//
// Design notes:
// - Classification by the first bytes: `_e{` event, `_sc` service check, anything else a metric.
// - Numbers follow Go's strconv grammars (statsd/go_number.h), since that is what the Agent uses.
// - Unknown `|x:` fields are ignored; a repeated field overwrites the earlier one.
// - Tolerant event lengths (architecture.md, "Contract decisions"): `_e{a,b}` lengths are first
//   read as UTF-8 byte counts like the Agent; when that does not put a '|' right after the title
//   and a '|' or the end right after the text, they are read as UTF-16 code units (what JavaScript
//   clients such as hot-shots send); when that fails too, the event is rejected
//   (kEventLengthMismatch). The Agent instead accepts a mis-cut event.
#pragma once

#include <string_view>

#include "statsd/message.h"

namespace sidecar::statsd {

struct ParserOptions {
  // Read `|T<unix seconds>` on metric lines. Agent `dogstatsd_no_aggregation_pipeline`, default
  // true; when false the field is ignored like any unknown field.
  bool read_timestamps = true;
  // Read the origin fields `c:`, `e:` and `card:`. Agent `dogstatsd_origin_detection_client`,
  // default false; when false they are ignored like any unknown field.
  bool origin_detection_client = false;
  // Retry event lengths as UTF-16 code units and reject events whose lengths miss the separators
  // (our contract, see above). false = the Agent's behaviour: byte counts, separators unchecked.
  bool tolerant_event_lengths = true;
};

// Which parser a line goes to (spec §1.2).
MessageKind Classify(std::string_view line);

class Parser {
 public:
  explicit Parser(const ParserOptions& options);

  // Parses one line without its line terminator.
  ParseResult Parse(std::string_view line) const;

 private:
  ParseResult ParseMetric(std::string_view line) const;
  ParseResult ParseEvent(std::string_view line) const;
  ParseResult ParseServiceCheck(std::string_view line) const;

  ParserOptions options_;
};

}  // namespace sidecar::statsd
