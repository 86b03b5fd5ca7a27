#include "statsd/message.h"

#include <algorithm>

#include "statsd/go_number.h"

namespace sidecar::statsd {

size_t TagList::size() const {
  if (raw_.empty()) {
    return 0;
  }
  return static_cast<size_t>(std::count(raw_.begin(), raw_.end(), ',')) + 1;
}

MetricValues::Iterator::Iterator(const MetricValues& values)
    : current_(values.first_), remaining_(values.count_) {
  if (remaining_ > 1) {
    // Skip leading empty items and the first value, which is already parsed.
    std::string_view raw = values.raw_;
    while (!raw.empty() && raw.front() == ':') {
      raw.remove_prefix(1);
    }
    const size_t colon = raw.find(':');
    rest_ = colon == std::string_view::npos ? std::string_view() : raw.substr(colon + 1);
  }
}

MetricValues::Iterator& MetricValues::Iterator::operator++() {
  if (remaining_ == 0) {
    return *this;
  }
  --remaining_;
  if (remaining_ == 0) {
    return *this;
  }
  while (!rest_.empty() && rest_.front() == ':') {
    rest_.remove_prefix(1);
  }
  const size_t colon = rest_.find(':');
  const std::string_view item = rest_.substr(0, colon);
  rest_ = colon == std::string_view::npos ? std::string_view() : rest_.substr(colon + 1);
  // The parser validated every item, so this cannot fail for values it produced.
  current_ = internal::ParseGoFloat(item).value_or(0.0);
  return *this;
}

std::string_view MetricTypeSymbol(MetricType type) {
  switch (type) {
    case MetricType::kGauge:
      return "g";
    case MetricType::kCounter:
      return "c";
    case MetricType::kHistogram:
      return "h";
    case MetricType::kDistribution:
      return "d";
    case MetricType::kSet:
      return "s";
    case MetricType::kTiming:
      return "ms";
  }
  return "?";
}

std::string UnescapeEventText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'n') {
      out.push_back('\n');
      ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

MessageKind KindOf(ParseError error) {
  if (error <= ParseError::kMetricNonPositiveTimestamp) {
    return MessageKind::kMetric;
  }
  if (error <= ParseError::kEventLengthMismatch) {
    return MessageKind::kEvent;
  }
  return MessageKind::kServiceCheck;
}

std::string_view ParseErrorName(ParseError error) {
  switch (error) {
    case ParseError::kMetricNoPipe:
      return "metric_no_pipe";
    case ParseError::kMetricNoColon:
      return "metric_no_colon";
    case ParseError::kMetricEmptyName:
      return "metric_empty_name";
    case ParseError::kMetricEmptyValue:
      return "metric_empty_value";
    case ParseError::kMetricEmptyType:
      return "metric_empty_type";
    case ParseError::kMetricUnknownType:
      return "metric_unknown_type";
    case ParseError::kMetricInvalidValue:
      return "metric_invalid_value";
    case ParseError::kMetricNoValue:
      return "metric_no_value";
    case ParseError::kMetricInvalidSampleRate:
      return "metric_invalid_sample_rate";
    case ParseError::kMetricInvalidTimestamp:
      return "metric_invalid_timestamp";
    case ParseError::kMetricNonPositiveTimestamp:
      return "metric_non_positive_timestamp";
    case ParseError::kEventNoColon:
      return "event_no_colon";
    case ParseError::kEventHeaderTooShort:
      return "event_header_too_short";
    case ParseError::kEventHeaderNoComma:
      return "event_header_no_comma";
    case ParseError::kEventInvalidTitleLength:
      return "event_invalid_title_length";
    case ParseError::kEventInvalidTextLength:
      return "event_invalid_text_length";
    case ParseError::kEventEmptyTitle:
      return "event_empty_title";
    case ParseError::kEventTooShort:
      return "event_too_short";
    case ParseError::kEventLengthMismatch:
      return "event_length_mismatch";
    case ParseError::kServiceCheckInvalidFormat:
      return "service_check_invalid_format";
    case ParseError::kServiceCheckEmptyName:
      return "service_check_empty_name";
    case ParseError::kServiceCheckInvalidStatus:
      return "service_check_invalid_status";
  }
  return "unknown";
}

}  // namespace sidecar::statsd
