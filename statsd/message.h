// File: statsd/message.h
//
// What statsd::Parser produces from one DogStatsD line: a MetricSample, an Event, a ServiceCheck or
// a ParseError (spec ../shared/spec/dogstatsd.md §2-4). Every string field is a std::string_view
// into the parsed line, so a result is valid only while the packet buffer lives; copy (or intern)
// what must outlive it. Nothing here allocates except the explicit Unescape helpers.
//
//   Parser parser(ParserOptions{});
//   ParseResult r = parser.Parse("page.views:1:2|c|@0.5|#env:prod,canary");
//   if (const auto* m = std::get_if<MetricSample>(&r)) {
//     for (double v : m->values) { ... }                 // 1, 2
//     for (std::string_view tag : m->tags) { ... }       // "env:prod", "canary"
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace sidecar::statsd {

// ---------------------------------------------------------------------------------------------
// Views that iterate without allocating.

// The comma-separated tags after `#`, as sent: not trimmed, not lowercased, not de-duplicated;
// empty items are kept (`#a,,b` has three tags), and a bare `#` has none (spec §2.1 step 8).
class TagList {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    Iterator() = default;  // the end iterator
    explicit Iterator(std::string_view raw) : rest_(raw), at_end_(false) { Advance(); }

    std::string_view operator*() const { return current_; }
    const std::string_view* operator->() const { return &current_; }
    Iterator& operator++() {
      Advance();
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      Advance();
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.at_end_ == b.at_end_ && (a.at_end_ || a.current_.data() == b.current_.data());
    }

   private:
    void Advance() {
      if (last_) {
        at_end_ = true;
        current_ = {};
        return;
      }
      const size_t comma = rest_.find(',');
      if (comma == std::string_view::npos) {
        current_ = rest_;
        last_ = true;
      } else {
        current_ = rest_.substr(0, comma);
        rest_.remove_prefix(comma + 1);
      }
    }

    std::string_view rest_;
    std::string_view current_;
    bool at_end_ = true;
    bool last_ = false;
  };

  constexpr TagList() = default;
  explicit constexpr TagList(std::string_view raw) : raw_(raw) {}

  // The tag section without its `#`.
  std::string_view raw() const { return raw_; }
  bool empty() const { return raw_.empty(); }
  // Number of tags (commas + 1, or 0 for an empty section). O(n).
  size_t size() const;
  Iterator begin() const { return raw_.empty() ? Iterator() : Iterator(raw_); }
  Iterator end() const { return Iterator(); }

 private:
  std::string_view raw_;
};

// The numeric values of one metric line: `v` or the packed form `v1:v2::v3` (empty items are
// skipped, spec §2.1 step 4). Every value was validated by the parser; iterating re-reads the
// packed text (the first value is kept, so single-value lines are never parsed twice).
class MetricValues {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = double;
    using difference_type = std::ptrdiff_t;
    using pointer = const double*;
    using reference = double;

    Iterator() = default;  // the end iterator
    explicit Iterator(const MetricValues& values);

    double operator*() const { return current_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.remaining_ == b.remaining_;
    }

   private:
    std::string_view rest_;  // unread items after the current one
    double current_ = 0;
    uint32_t remaining_ = 0;  // values left including the current one; 0 = end
  };

  constexpr MetricValues() = default;
  // `raw` is the value text, `count` the number of non-empty items, `first` the first one's value.
  constexpr MetricValues(std::string_view raw, uint32_t count, double first)
      : raw_(raw), count_(count), first_(first) {}

  std::string_view raw() const { return raw_; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  double front() const { return first_; }
  Iterator begin() const { return Iterator(*this); }
  Iterator end() const { return Iterator(); }

 private:
  std::string_view raw_;
  uint32_t count_ = 0;
  double first_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Metric samples (spec §2).

enum class MetricType : uint8_t {
  kGauge,         // g
  kCounter,       // c
  kHistogram,     // h
  kDistribution,  // d
  kSet,           // s
  kTiming,        // ms (aggregated as a histogram, spec §2.2)
};

// The wire symbol: "g", "c", "h", "d", "s", "ms".
std::string_view MetricTypeSymbol(MetricType type);

struct MetricSample {
  std::string_view name;  // before the first ':'; any bytes except ':' and '|', never empty
  MetricType type = MetricType::kGauge;
  MetricValues values;         // numeric values; empty for kSet
  std::string_view set_value;  // kSet only: the value text verbatim (may contain ':')
  double sample_rate = 1.0;    // `@`; any float Go accepts (0, negative and NaN included)
  TagList tags;                // `#`; the last `#` field wins
  // `T<unix seconds>` (>= 1) when ParserOptions::read_timestamps; nullopt = aggregate normally.
  std::optional<int64_t> timestamp;
  // Origin fields, filled only when ParserOptions::origin_detection_client.
  std::string_view container_id;   // `c:` local data, e.g. "ci-<id>", "in-<inode>", "<id>"
  std::string_view external_data;  // `e:`
  std::string_view cardinality;    // `card:` as sent (none/low/orchestrator/high expected)
};

// ---------------------------------------------------------------------------------------------
// Events (spec §3).

enum class EventPriority : uint8_t { kNormal, kLow };
enum class EventAlertType : uint8_t { kInfo, kWarning, kError, kSuccess };

// How the `_e{title_len,text_len}` lengths were read (architecture.md, "Tolerant event lengths").
enum class EventLengthUnit : uint8_t {
  kUtf8Bytes,       // the Agent's reading, tried first
  kUtf16CodeUnits,  // JavaScript clients (hot-shots); used when byte counts miss the separators
};

// Replaces every two-byte sequence backslash-`n` with a newline, left to right, as the Agent does
// for event titles and texts. Nothing else is unescaped.
std::string UnescapeEventText(std::string_view text);

struct Event {
  // Title and text as sent; the Agent turns backslash-`n` into a newline in both. The flags say
  // whether that changes anything, so the common case needs no copy: use the Unescaped* helpers
  // when building the upstream event.
  std::string_view title;  // never empty
  std::string_view text;   // may be empty
  bool title_has_escapes = false;
  bool text_has_escapes = false;
  EventLengthUnit length_unit = EventLengthUnit::kUtf8Bytes;
  std::optional<int64_t> timestamp;                   // `d:`; an unparsable value is ignored
  std::string_view hostname;                          // `h:`
  std::string_view aggregation_key;                   // `k:`
  EventPriority priority = EventPriority::kNormal;    // `p:normal|low`, else ignored
  std::string_view source_type;                       // `s:`
  EventAlertType alert_type = EventAlertType::kInfo;  // `t:error|warning|info|success`
  TagList tags;                                       // `#`
  std::string_view container_id;                      // `c:` (origin_detection_client only)
  std::string_view external_data;                     // `e:` (origin_detection_client only)
  std::string_view cardinality;                       // `card:` (origin_detection_client only)

  std::string UnescapedTitle() const {
    return title_has_escapes ? UnescapeEventText(title) : std::string(title);
  }
  std::string UnescapedText() const {
    return text_has_escapes ? UnescapeEventText(text) : std::string(text);
  }
};

// ---------------------------------------------------------------------------------------------
// Service checks (spec §4).

enum class ServiceCheckStatus : uint8_t { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

struct ServiceCheck {
  std::string_view name;  // never empty
  ServiceCheckStatus status = ServiceCheckStatus::kOk;
  std::optional<int64_t> timestamp;  // `d:`; an unparsable value is ignored
  std::string_view hostname;         // `h:`
  std::string_view message;          // `m:` (cannot contain '|')
  TagList tags;                      // `#`
  std::string_view container_id;     // `c:` (origin_detection_client only)
  std::string_view external_data;    // `e:` (origin_detection_client only)
  std::string_view cardinality;      // `card:` (origin_detection_client only)
};

// ---------------------------------------------------------------------------------------------
// Rejections: one value per reason a line is dropped (spec §14.A-D). Each maps to the Agent's
// MetricParseErrors / EventParseErrors / ServiceCheckParseErrors counter through KindOf().

enum class ParseError : uint8_t {
  // Metric lines (§2.1).
  kMetricNoPipe,                // no '|' at all (A16)
  kMetricNoColon,               // no ':' before the first '|' (A20)
  kMetricEmptyName,             // ":666|g" (A19)
  kMetricEmptyValue,            // "daemon:|g" (A18)
  kMetricEmptyType,             // "daemon:666|" (A17)
  kMetricUnknownType,           // "daemon:666|unknown" (A23)
  kMetricInvalidValue,          // a value Go's ParseFloat rejects (A22, A36)
  kMetricNoValue,               // a packed value list with only ':' (A35)
  kMetricInvalidSampleRate,     // "@abc" (A24)
  kMetricInvalidTimestamp,      // "TABCD", "T" (A30)
  kMetricNonPositiveTimestamp,  // "T-102348932", "T0" (A30)
  // Events (§3).
  kEventNoColon,             // no ':' after the header (C04)
  kEventHeaderTooShort,      // header shorter than `_e{1,1}` (C04)
  kEventHeaderNoComma,       // no ',' between the lengths (C04)
  kEventInvalidTitleLength,  // not an integer, or negative (C04)
  kEventInvalidTextLength,   // not an integer, or negative (C04)
  kEventEmptyTitle,          // title length 0 (C14)
  kEventTooShort,            // fewer bytes than title_len + 1 + text_len (C04)
  kEventLengthMismatch,      // lengths miss the '|'/end boundaries as bytes and as UTF-16
  // Service checks (§4).
  kServiceCheckInvalidFormat,  // fewer than two '|' (D02, A40)
  kServiceCheckEmptyName,      // "_sc||" (D02)
  kServiceCheckInvalidStatus,  // status other than 0-3 (D03)
};
inline constexpr size_t kParseErrorCount =
    static_cast<size_t>(ParseError::kServiceCheckInvalidStatus) + 1;

enum class MessageKind : uint8_t { kMetric, kEvent, kServiceCheck };

// Which kind of line the error was found in.
MessageKind KindOf(ParseError error);
// A stable snake_case name, for the `reason:` tag of our self-telemetry (e.g. "metric_no_pipe").
std::string_view ParseErrorName(ParseError error);

using ParseResult = std::variant<MetricSample, Event, ServiceCheck, ParseError>;

}  // namespace sidecar::statsd
