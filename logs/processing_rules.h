// File: logs/processing_rules.h
//
// The Agent's log processing rules (spec ../shared/spec/ecs-logs.md §B5.3): regex filters and
// masks applied to each record's message in configuration order, and the stateful multi_line
// aggregator that runs before them.
//
//   auto rules = ProcessingRules::Create(config.processing_rules);      // at start
//   if (!rules->Apply(record)) { /* dropped: count it */ }
//
//   auto aggregator = MultiLineAggregator::Create({.pattern = R"(\d{4}-\d{2}-\d{2})"});
//   aggregator->Add(std::move(record), clock.SteadyNow(), out);          // per record
//   aggregator->FlushStale(clock.SteadyNow(), out);                      // on a timer
//
// Regexes are RE2, the syntax of the Agent's Go `regexp`, matched in linear time (untrusted log
// lines cannot make a pattern backtrack for ever).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "logs/log_record.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace sidecar::logs {

// Marks the cut ends of a message that was split (the Agent's `message.TruncatedFlag`).
inline constexpr std::string_view kTruncatedFlag = "...TRUNCATED...";

enum class RuleType {
  kExcludeAtMatch,    // Drop the record when the pattern matches anywhere in the message.
  kIncludeAtMatch,    // Drop the record unless the pattern matches (several = all must match).
  kMaskSequences,     // Replace every match with replace_placeholder (Go ReplaceAll: ${1}, $name).
  kExcludeTruncated,  // Drop records that were, or will be, split at the maximum message size.
  kMultiLine,         // Aggregate lines; stateful, so handled by MultiLineAggregator.
};

// One rule as configured (DD_LOGS_CONFIG_PROCESSING_RULES items).
struct RuleSpec {
  RuleType type = RuleType::kExcludeAtMatch;
  std::string name{};
  std::string pattern{};
  std::string replace_placeholder{};
};

// The Agent's `type` names: "exclude_at_match", "include_at_match", "mask_sequences", ...
std::string_view RuleTypeName(RuleType type);

// Compiled stateless rules (every type but kMultiLine). Immutable, so one instance may serve
// every thread.
class ProcessingRules {
 public:
  // InvalidArgument naming the rule when a name or needed pattern is missing or a pattern does
  // not compile. kMultiLine specs are skipped here (build a MultiLineAggregator from them).
  // `max_message_bytes` is where the encoder splits (kExcludeTruncated drops longer messages).
  static absl::StatusOr<ProcessingRules> Create(const std::vector<RuleSpec>& specs,
                                                size_t max_message_bytes = 900'000);

  ProcessingRules(ProcessingRules&&) noexcept;
  ProcessingRules& operator=(ProcessingRules&&) noexcept;
  ~ProcessingRules();

  // Applies the rules in order to record.message. false: the record must be dropped. Masks
  // rewrite the message, so later rules see the masked text (B5-4).
  bool Apply(LogRecord& record) const;

  bool empty() const { return rules_.empty(); }

 private:
  struct Rule;
  ProcessingRules() = default;

  std::vector<Rule> rules_;
  size_t max_message_bytes_ = 0;
};

// Go regexp ReplaceAll of every match of `re` in `text` with `placeholder` expanded as Go's
// Regexp.Expand does ($1, ${1}, $name, ${name}, $$). Exposed for tests.
std::string ReplaceAllGo(const re2::RE2& re, std::string_view text, std::string_view placeholder);

struct MultiLineOptions {
  // A line matching this pattern at its start opens a new message (the Agent's `^pattern`).
  std::string pattern{};
  // A pending message is sent once no line has joined it for this long (the Agent's
  // logs_config.aggregation_timeout).
  std::chrono::milliseconds flush_timeout{1000};
  // A message is cut (kTruncatedFlag at both cut ends) rather than grown past this.
  size_t max_message_bytes = 900'000;
  // Streams (tag + stdout/stderr) with a pending message; the oldest is flushed to admit another.
  size_t max_streams = 256;
};

// Joins the lines of each stream (Fluent tag + the record's `source`, so concurrent containers
// never mix) into multi-line messages separated by '\n'. Memory is bounded by max_streams
// pending messages of at most max_message_bytes each. Not thread-safe: one per logs strand.
class MultiLineAggregator {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // InvalidArgument when the pattern is empty or does not compile.
  static absl::StatusOr<MultiLineAggregator> Create(MultiLineOptions options);

  MultiLineAggregator(MultiLineAggregator&&) noexcept;
  MultiLineAggregator& operator=(MultiLineAggregator&&) noexcept;
  ~MultiLineAggregator();

  // Adds one line; appends to `out` the messages it completes (possibly none). The completed
  // message keeps the tag, timestamp and attributes of its first line.
  void Add(LogRecord record, TimePoint now, std::vector<LogRecord>& out);
  // Moves messages idle for flush_timeout or more to `out`.
  void FlushStale(TimePoint now, std::vector<LogRecord>& out);
  // Moves every pending message to `out` (shutdown).
  void FlushAll(std::vector<LogRecord>& out);

  size_t pending_streams() const { return pending_.size(); }

 private:
  struct Pending {
    LogRecord record;
    TimePoint last_line;
  };
  explicit MultiLineAggregator(MultiLineOptions options);
  void Append(Pending& pending, std::string_view line, std::vector<LogRecord>& out);

  MultiLineOptions options_;
  std::unique_ptr<const re2::RE2> start_;
  std::map<std::string, Pending, std::less<>> pending_;
};

}  // namespace sidecar::logs
