#include "statsd/parser.h"

#include <cstdint>
#include <optional>

#include "statsd/go_number.h"

namespace sidecar::statsd {
namespace {

constexpr std::string_view kEventPrefix = "_e{";
constexpr std::string_view kServiceCheckPrefix = "_sc";
constexpr std::string_view kLocalDataPrefix = "c:";
constexpr std::string_view kExternalDataPrefix = "e:";
constexpr std::string_view kCardinalityPrefix = "card:";

// Walks the '|'-separated fields after a known position, like the Agent's nextField loop: `more`
// is true while a '|' has been seen that has not been consumed yet.
struct FieldCursor {
  std::string_view rest;
  bool more = false;

  std::string_view Next() {
    if (!more) {
      return {};
    }
    const size_t pipe = rest.find('|');
    std::string_view field;
    if (pipe == std::string_view::npos) {
      field = rest;
      rest = {};
      more = false;
    } else {
      field = rest.substr(0, pipe);
      rest.remove_prefix(pipe + 1);
    }
    return field;
  }
};

std::optional<MetricType> ParseMetricType(std::string_view symbol) {
  if (symbol.size() == 1) {
    switch (symbol[0]) {
      case 'g':
        return MetricType::kGauge;
      case 'c':
        return MetricType::kCounter;
      case 'h':
        return MetricType::kHistogram;
      case 'd':
        return MetricType::kDistribution;
      case 's':
        return MetricType::kSet;
      default:
        return std::nullopt;
    }
  }
  if (symbol == "ms") {
    return MetricType::kTiming;
  }
  return std::nullopt;
}

// Reads the origin fields common to all three message kinds; true if `field` was one of them.
template <typename Message>
bool ReadOriginField(std::string_view field, Message& message) {
  if (field.starts_with(kLocalDataPrefix)) {
    message.container_id = field.substr(kLocalDataPrefix.size());
    return true;
  }
  if (field.starts_with(kExternalDataPrefix)) {
    message.external_data = field.substr(kExternalDataPrefix.size());
    return true;
  }
  if (field.starts_with(kCardinalityPrefix)) {
    message.cardinality = field.substr(kCardinalityPrefix.size());
    return true;
  }
  return false;
}

// Length in bytes and in UTF-16 code units of the UTF-8 sequence starting at `pos`. Bytes that do
// not start a well-formed sequence count as one byte, one code unit.
struct Utf8Step {
  size_t bytes;
  uint64_t code_units;
};

Utf8Step StepUtf8(std::string_view s, size_t pos) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  size_t length = 1;
  uint64_t units = 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    units = 2;  // a surrogate pair
  } else {
    return {1, 1};
  }
  if (pos + length > s.size()) {
    return {1, 1};
  }
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(s[pos + i]) & 0xC0) != 0x80) {
      return {1, 1};
    }
  }
  return {length, units};
}

// The byte offset reached by advancing `units` UTF-16 code units from `pos`, or nullopt if the
// text ends first or the count stops inside a surrogate pair.
std::optional<size_t> AdvanceUtf16(std::string_view s, size_t pos, uint64_t units) {
  while (units > 0) {
    if (pos >= s.size()) {
      return std::nullopt;
    }
    const Utf8Step step = StepUtf8(s, pos);
    if (step.code_units > units) {
      return std::nullopt;
    }
    pos += step.bytes;
    units -= step.code_units;
  }
  return pos;
}

bool ContainsEscapedNewline(std::string_view text) {
  return text.find("\\n") != std::string_view::npos;
}

}  // namespace

MessageKind Classify(std::string_view line) {
  if (line.starts_with(kEventPrefix)) {
    return MessageKind::kEvent;
  }
  if (line.starts_with(kServiceCheckPrefix)) {
    return MessageKind::kServiceCheck;
  }
  return MessageKind::kMetric;  // anything unrecognised is tried as a metric, as in the Agent
}

Parser::Parser(const ParserOptions& options) : options_(options) {}

ParseResult Parser::Parse(std::string_view line) const {
  switch (Classify(line)) {
    case MessageKind::kEvent:
      return ParseEvent(line);
    case MessageKind::kServiceCheck:
      return ParseServiceCheck(line);
    case MessageKind::kMetric:
      break;
  }
  return ParseMetric(line);
}

// name:value[:value...]|type[|field]...   (spec §2.1)
ParseResult Parser::ParseMetric(std::string_view line) const {
  // The sample is built in place and every path returns `result` (NRVO): building a local
  // MetricSample and returning it copied ~200 bytes through the stack per line, with stalls.
  ParseResult result(std::in_place_type<MetricSample>);
  MetricSample& sample = *std::get_if<MetricSample>(&result);
  const size_t pipe = line.find('|');
  if (pipe == std::string_view::npos) {
    result = ParseError::kMetricNoPipe;
    return result;
  }
  const std::string_view name_and_value = line.substr(0, pipe);
  const size_t colon = name_and_value.find(':');
  if (colon == std::string_view::npos) {
    result = ParseError::kMetricNoColon;
    return result;
  }
  sample.name = name_and_value.substr(0, colon);
  const std::string_view raw_value = name_and_value.substr(colon + 1);
  if (sample.name.empty()) {
    result = ParseError::kMetricEmptyName;
    return result;
  }
  if (raw_value.empty()) {
    result = ParseError::kMetricEmptyValue;
    return result;
  }

  FieldCursor fields{line.substr(pipe + 1), true};
  const std::string_view symbol = fields.Next();
  const std::optional<MetricType> type = ParseMetricType(symbol);
  if (!type) {
    result = symbol.empty() ? ParseError::kMetricEmptyType : ParseError::kMetricUnknownType;
    return result;
  }
  sample.type = *type;

  if (sample.type == MetricType::kSet) {
    sample.set_value = raw_value;  // verbatim, ':' included: sets take a single value
  } else if (raw_value.find(':') == std::string_view::npos) {
    const std::optional<double> value = internal::ParseGoFloat(raw_value);
    if (!value) {
      result = ParseError::kMetricInvalidValue;
      return result;
    }
    sample.values = MetricValues(raw_value, 1, *value);
  } else {
    // Packed values: empty items are skipped, every other item must be a float.
    uint32_t count = 0;
    double first = 0;
    std::string_view rest = raw_value;
    while (!rest.empty()) {
      const size_t next = rest.find(':');
      const std::string_view item = rest.substr(0, next);
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
      if (item.empty()) {
        continue;
      }
      const std::optional<double> value = internal::ParseGoFloat(item);
      if (!value) {
        result = ParseError::kMetricInvalidValue;
        return result;
      }
      if (count == 0) {
        first = *value;
      }
      ++count;
    }
    if (count == 0) {
      result = ParseError::kMetricNoValue;
      return result;
    }
    sample.values = MetricValues(raw_value, count, first);
  }

  while (fields.more) {
    const std::string_view field = fields.Next();
    if (field.empty()) {
      continue;
    }
    switch (field[0]) {
      case '#':
        sample.tags = TagList(field.substr(1));
        continue;
      case '@': {
        const std::optional<double> rate = internal::ParseGoFloat(field.substr(1));
        if (!rate) {
          result = ParseError::kMetricInvalidSampleRate;
          return result;
        }
        sample.sample_rate = *rate;
        continue;
      }
      case 'T': {
        if (!options_.read_timestamps) {
          continue;
        }
        const std::optional<int64_t> timestamp = internal::ParseGoInt64(field.substr(1));
        if (!timestamp) {
          result = ParseError::kMetricInvalidTimestamp;
          return result;
        }
        if (*timestamp < 1) {
          result = ParseError::kMetricNonPositiveTimestamp;
          return result;
        }
        sample.timestamp = *timestamp;
        continue;
      }
      default:
        break;
    }
    if (options_.origin_detection_client) {
      ReadOriginField(field, sample);
    }
    // Anything else is a field from a newer protocol version: ignored.
  }
  return result;
}

// _e{title_len,text_len}:title|text[|field]...   (spec §3)
ParseResult Parser::ParseEvent(std::string_view line) const {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return ParseError::kEventNoColon;
  }
  const std::string_view header = line.substr(0, colon);
  const std::string_view content = line.substr(colon + 1);
  // The shortest sensible header is `_e{1,0}`; its last byte is assumed to be '}', unchecked.
  if (header.size() < 7) {
    return ParseError::kEventHeaderTooShort;
  }
  const std::string_view lengths = header.substr(kEventPrefix.size(), header.size() - 4);
  const size_t comma = lengths.find(',');
  if (comma == std::string_view::npos) {
    return ParseError::kEventHeaderNoComma;
  }
  const std::optional<int64_t> title_length = internal::ParseGoInt64(lengths.substr(0, comma));
  if (!title_length || *title_length < 0) {
    return ParseError::kEventInvalidTitleLength;
  }
  if (*title_length == 0) {
    return ParseError::kEventEmptyTitle;
  }
  const std::optional<int64_t> text_length = internal::ParseGoInt64(lengths.substr(comma + 1));
  if (!text_length || *text_length < 0) {
    return ParseError::kEventInvalidTextLength;
  }
  const auto title_count = static_cast<uint64_t>(*title_length);
  const auto text_count = static_cast<uint64_t>(*text_length);
  if (title_count >= content.size() || text_count > content.size() - title_count - 1) {
    return ParseError::kEventTooShort;
  }

  Event event;
  size_t title_end = static_cast<size_t>(title_count);
  size_t text_end = static_cast<size_t>(title_count + 1 + text_count);
  const auto lands = [&content](size_t title_stop, size_t text_stop) {
    return title_stop < content.size() && content[title_stop] == '|' &&
           (text_stop == content.size() ||
            (text_stop < content.size() && content[text_stop] == '|'));
  };
  if (options_.tolerant_event_lengths && !lands(title_end, text_end)) {
    // Not byte counts: try JavaScript string lengths (UTF-16 code units) before giving up.
    const std::optional<size_t> utf16_title_end = AdvanceUtf16(content, 0, title_count);
    if (!utf16_title_end || *utf16_title_end >= content.size() ||
        content[*utf16_title_end] != '|') {
      return ParseError::kEventLengthMismatch;
    }
    const std::optional<size_t> utf16_text_end =
        AdvanceUtf16(content, *utf16_title_end + 1, text_count);
    if (!utf16_text_end || !lands(*utf16_title_end, *utf16_text_end)) {
      return ParseError::kEventLengthMismatch;
    }
    title_end = *utf16_title_end;
    text_end = *utf16_text_end;
    event.length_unit = EventLengthUnit::kUtf16CodeUnits;
  }
  event.title = content.substr(0, title_end);
  event.text = content.substr(title_end + 1, text_end - title_end - 1);
  event.title_has_escapes = ContainsEscapedNewline(event.title);
  event.text_has_escapes = ContainsEscapedNewline(event.text);

  // As in the Agent, the optional part starts right after the text, so with well-formed input its
  // first "field" is the empty one before the '|'. Bad values are ignored, keeping the previous
  // one.
  FieldCursor fields{content.substr(text_end), text_end < content.size()};
  while (fields.more) {
    const std::string_view field = fields.Next();
    if (field.starts_with('#')) {
      event.tags = TagList(field.substr(1));
    } else if (field.starts_with("d:")) {
      if (const std::optional<int64_t> ts = internal::ParseGoInt64(field.substr(2))) {
        event.timestamp = *ts;
      }
    } else if (field.starts_with("h:")) {
      event.hostname = field.substr(2);
    } else if (field.starts_with("k:")) {
      event.aggregation_key = field.substr(2);
    } else if (field.starts_with("p:")) {
      const std::string_view priority = field.substr(2);
      if (priority == "normal") {
        event.priority = EventPriority::kNormal;
      } else if (priority == "low") {
        event.priority = EventPriority::kLow;
      }
    } else if (field.starts_with("s:")) {
      event.source_type = field.substr(2);
    } else if (field.starts_with("t:")) {
      const std::string_view alert = field.substr(2);
      if (alert == "error") {
        event.alert_type = EventAlertType::kError;
      } else if (alert == "warning") {
        event.alert_type = EventAlertType::kWarning;
      } else if (alert == "info") {
        event.alert_type = EventAlertType::kInfo;
      } else if (alert == "success") {
        event.alert_type = EventAlertType::kSuccess;
      }
    } else if (options_.origin_detection_client) {
      ReadOriginField(field, event);
    }
  }
  return event;
}

// _sc|name|status[|field]...   (spec §4)
ParseResult Parser::ParseServiceCheck(std::string_view line) const {
  const size_t first_pipe = line.find('|');
  if (line.size() < 4 || first_pipe == std::string_view::npos ||
      line.find('|', first_pipe + 1) == std::string_view::npos) {
    return ParseError::kServiceCheckInvalidFormat;
  }
  // The first four bytes are dropped unchecked, as in the Agent.
  FieldCursor fields{line.substr(4), true};
  ServiceCheck check;
  check.name = fields.Next();
  if (check.name.empty()) {
    return ParseError::kServiceCheckEmptyName;
  }
  const std::string_view status = fields.Next();
  if (status.size() != 1 || status[0] < '0' || status[0] > '3') {
    return ParseError::kServiceCheckInvalidStatus;
  }
  check.status = static_cast<ServiceCheckStatus>(status[0] - '0');

  while (fields.more) {
    const std::string_view field = fields.Next();
    if (field.starts_with("d:")) {
      if (const std::optional<int64_t> ts = internal::ParseGoInt64(field.substr(2))) {
        check.timestamp = *ts;
      }
    } else if (field.starts_with("h:")) {
      check.hostname = field.substr(2);
    } else if (field.starts_with('#')) {
      check.tags = TagList(field.substr(1));
    } else if (field.starts_with("m:")) {
      check.message = field.substr(2);
    } else if (options_.origin_detection_client) {
      ReadOriginField(field, check);
    }
  }
  return check;
}

}  // namespace sidecar::statsd
