#include "logs/processing_rules.h"

#include <re2/re2.h>

#include <algorithm>
#include <utility>

#include "fmt/format.h"

namespace sidecar::logs {
namespace {

// Go's regexp is RE2 syntax; quiet options keep bad user patterns out of stderr (the error is
// returned instead).
RE2::Options QuietOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  return options;
}

absl::StatusOr<std::unique_ptr<re2::RE2>> Compile(std::string_view pattern,
                                                  std::string_view rule_name) {
  auto re =
      std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), QuietOptions());
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        fmt::format("Processing rule \"{}\": pattern \"{}\" does not compile: {}.", rule_name,
                    pattern, re->error()));
  }
  return re;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Width of the UTF-8 sequence starting at text[pos] (1 for invalid bytes, as Go decodes them).
size_t RuneWidth(std::string_view text, size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  size_t width = 1;
  if (lead >= 0xF0 && lead <= 0xF7) {
    width = 4;
  } else if (lead >= 0xE0) {
    width = lead <= 0xEF ? 3 : 1;
  } else if (lead >= 0xC0) {
    width = 2;
  }
  return std::min(width, text.size() - pos);
}

void AppendGroup(const re2::RE2& re, const std::vector<re2::StringPiece>& groups,
                 std::string_view name, std::string& out) {
  bool numeric = !name.empty() && name.size() <= 8;
  int number = 0;
  for (char c : name) {
    if (c < '0' || c > '9') {
      numeric = false;
      break;
    }
    number = number * 10 + (c - '0');
  }
  int index = -1;
  if (numeric) {
    index = number;
  } else {
    for (const auto& [group, group_name] : re.CapturingGroupNames()) {
      if (group_name == name) {
        index = group;
        break;
      }
    }
  }
  if (index < 0 || static_cast<size_t>(index) >= groups.size()) {
    return;  // Go expands an unknown group to nothing.
  }
  const re2::StringPiece& piece = groups[static_cast<size_t>(index)];
  if (piece.data() != nullptr) {
    out.append(piece.data(), piece.size());
  }
}

// Go's Regexp.Expand of `placeholder` for one match.
void Expand(const re2::RE2& re, const std::vector<re2::StringPiece>& groups,
            std::string_view placeholder, std::string& out) {
  while (!placeholder.empty()) {
    const size_t dollar = placeholder.find('$');
    if (dollar == std::string_view::npos) {
      break;
    }
    out.append(placeholder.substr(0, dollar));
    placeholder.remove_prefix(dollar + 1);
    if (!placeholder.empty() && placeholder.front() == '$') {
      out.push_back('$');
      placeholder.remove_prefix(1);
      continue;
    }
    const bool brace = !placeholder.empty() && placeholder.front() == '{';
    size_t i = brace ? 1 : 0;
    while (i < placeholder.size() && IsNameChar(placeholder[i])) {
      ++i;
    }
    const size_t name_start = brace ? 1 : 0;
    const bool closed = !brace || (i < placeholder.size() && placeholder[i] == '}');
    if (i == name_start || !closed) {
      out.push_back('$');  // Malformed: Go keeps the '$' as text.
      continue;
    }
    AppendGroup(re, groups, placeholder.substr(name_start, i - name_start), out);
    placeholder.remove_prefix(brace ? i + 1 : i);
  }
  out.append(placeholder);
}

}  // namespace

struct ProcessingRules::Rule {
  RuleType type = RuleType::kExcludeAtMatch;
  std::string name;
  std::unique_ptr<re2::RE2> re;
  std::string placeholder;
};

std::string_view RuleTypeName(RuleType type) {
  switch (type) {
    case RuleType::kExcludeAtMatch:
      return "exclude_at_match";
    case RuleType::kIncludeAtMatch:
      return "include_at_match";
    case RuleType::kMaskSequences:
      return "mask_sequences";
    case RuleType::kExcludeTruncated:
      return "exclude_truncated";
    case RuleType::kMultiLine:
      return "multi_line";
  }
  return "unknown";
}

std::string ReplaceAllGo(const re2::RE2& re, std::string_view text, std::string_view placeholder) {
  const size_t groups_count = static_cast<size_t>(re.NumberOfCapturingGroups()) + 1;
  std::vector<re2::StringPiece> groups(groups_count);
  const re2::StringPiece input(text.data(), text.size());
  std::string out;
  size_t search = 0;
  size_t last_end = 0;
  while (search <= text.size()) {
    if (!re.Match(input, search, text.size(), re2::RE2::UNANCHORED, groups.data(),
                  static_cast<int>(groups_count))) {
      break;
    }
    const auto start = static_cast<size_t>(groups[0].data() - text.data());
    const size_t end = start + groups[0].size();
    out.append(text.substr(last_end, start - last_end));
    // An empty match right after the previous match is not replaced (Go semantics).
    if (end > last_end || start == 0) {
      Expand(re, groups, placeholder, out);
    }
    last_end = end;
    // Always advance by at least one character.
    const size_t width = search < text.size() ? RuneWidth(text, search) : 1;
    search = std::max(search + width, end);
  }
  out.append(text.substr(last_end));
  return out;
}

absl::StatusOr<ProcessingRules> ProcessingRules::Create(const std::vector<RuleSpec>& specs,
                                                        size_t max_message_bytes) {
  ProcessingRules rules;
  rules.max_message_bytes_ = max_message_bytes;
  for (const RuleSpec& spec : specs) {
    if (spec.name.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("A {} processing rule has no name.", RuleTypeName(spec.type)));
    }
    if (spec.type == RuleType::kMultiLine) {
      continue;
    }
    Rule rule;
    rule.type = spec.type;
    rule.name = spec.name;
    if (spec.type != RuleType::kExcludeTruncated) {
      if (spec.pattern.empty()) {
        return absl::InvalidArgumentError(fmt::format("Processing rule \"{}\" ({}) has no pattern.",
                                                      spec.name, RuleTypeName(spec.type)));
      }
      auto re = Compile(spec.pattern, spec.name);
      if (!re.ok()) {
        return re.status();
      }
      rule.re = std::move(*re);
    }
    rule.placeholder = spec.replace_placeholder;
    rules.rules_.push_back(std::move(rule));
  }
  return rules;
}

ProcessingRules::ProcessingRules(ProcessingRules&&) noexcept = default;
ProcessingRules& ProcessingRules::operator=(ProcessingRules&&) noexcept = default;
ProcessingRules::~ProcessingRules() = default;

bool ProcessingRules::Apply(LogRecord& record) const {
  for (const Rule& rule : rules_) {
    const re2::StringPiece message(record.message.data(), record.message.size());
    switch (rule.type) {
      case RuleType::kExcludeAtMatch:
        if (re2::RE2::PartialMatch(message, *rule.re)) {
          return false;
        }
        break;
      case RuleType::kIncludeAtMatch:
        if (!re2::RE2::PartialMatch(message, *rule.re)) {
          return false;
        }
        break;
      case RuleType::kMaskSequences:
        if (re2::RE2::PartialMatch(message, *rule.re)) {
          record.message = ReplaceAllGo(*rule.re, record.message, rule.placeholder);
        }
        break;
      case RuleType::kExcludeTruncated: {
        const std::string_view text = record.message;
        if (text.size() > max_message_bytes_ || text.starts_with(kTruncatedFlag) ||
            text.ends_with(kTruncatedFlag)) {
          return false;
        }
        break;
      }
      case RuleType::kMultiLine:
        break;
    }
  }
  return true;
}

absl::StatusOr<MultiLineAggregator> MultiLineAggregator::Create(MultiLineOptions options) {
  if (options.pattern.empty()) {
    return absl::InvalidArgumentError("A multi_line processing rule has no pattern.");
  }
  auto re = Compile(options.pattern, "multi_line");
  if (!re.ok()) {
    return re.status();
  }
  options.max_streams = std::max<size_t>(options.max_streams, 1);
  options.max_message_bytes = std::max(options.max_message_bytes, kTruncatedFlag.size() + 1);
  MultiLineAggregator aggregator(std::move(options));
  aggregator.start_ = std::move(*re);
  return aggregator;
}

MultiLineAggregator::MultiLineAggregator(MultiLineOptions options) : options_(std::move(options)) {}
MultiLineAggregator::MultiLineAggregator(MultiLineAggregator&&) noexcept = default;
MultiLineAggregator& MultiLineAggregator::operator=(MultiLineAggregator&&) noexcept = default;
MultiLineAggregator::~MultiLineAggregator() = default;

void MultiLineAggregator::Add(LogRecord record, TimePoint now, std::vector<LogRecord>& out) {
  std::string key = record.tag;
  key.push_back('\x1f');
  if (auto source = record.attributes.find("source");
      source != record.attributes.end() && source->is_string()) {
    key += source->get_ref<const std::string&>();
  }
  const bool starts_message =
      start_->Match(re2::StringPiece(record.message.data(), record.message.size()), 0,
                    record.message.size(), re2::RE2::ANCHOR_START, nullptr, 0);

  auto it = pending_.find(key);
  if (it != pending_.end() && !starts_message) {
    it->second.last_line = now;
    Append(it->second, record.message, out);
    return;
  }
  if (it != pending_.end()) {
    out.push_back(std::move(it->second.record));
    pending_.erase(it);
  } else if (pending_.size() >= options_.max_streams) {
    auto oldest = std::min_element(
        pending_.begin(), pending_.end(),
        [](const auto& a, const auto& b) { return a.second.last_line < b.second.last_line; });
    out.push_back(std::move(oldest->second.record));
    pending_.erase(oldest);
  }
  // A first line that does not match still opens a message: the following lines join it.
  pending_.emplace(std::move(key), Pending{std::move(record), now});
}

void MultiLineAggregator::Append(Pending& pending, std::string_view line,
                                 std::vector<LogRecord>& out) {
  std::string& message = pending.record.message;
  if (message.size() + 1 + line.size() <= options_.max_message_bytes) {
    message.push_back('\n');
    message.append(line);
    return;
  }
  // Full: send what we have, marked as cut, and continue in a new message marked likewise (the
  // Agent's truncation of an oversized multi-line group).
  LogRecord full = std::move(pending.record);
  pending.record = LogRecord{};
  pending.record.source = full.source;
  pending.record.tag = full.tag;
  pending.record.timestamp_ns = full.timestamp_ns;
  pending.record.attributes = full.attributes;
  pending.record.message.assign(kTruncatedFlag);
  pending.record.message.append(line);
  full.message.append(kTruncatedFlag);
  out.push_back(std::move(full));
}

void MultiLineAggregator::FlushStale(TimePoint now, std::vector<LogRecord>& out) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.last_line >= options_.flush_timeout) {
      out.push_back(std::move(it->second.record));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

void MultiLineAggregator::FlushAll(std::vector<LogRecord>& out) {
  for (auto& [key, pending] : pending_) {
    out.push_back(std::move(pending.record));
  }
  pending_.clear();
}

}  // namespace sidecar::logs
