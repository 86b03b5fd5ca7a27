// Fuzz target for the DogStatsD framer and parser (statsd/framer.h, statsd/parser.h): arbitrary
// bytes are framed as a packet and every line parsed under two option sets. Besides "no crash",
// it checks cheap invariants: every returned view lies inside its line and the line inside the
// input, iterators agree with the sizes, errors match the line's classification, parsing is
// deterministic, and numbers accepted by the Go-grammar readers survive a print/parse round trip.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <variant>

#include "statsd/framer.h"
#include "statsd/go_number.h"
#include "statsd/parser.h"

namespace sidecar::statsd {
namespace {

// Aborts (a fuzzer finding) when `condition` is false.
void Require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void RequireInside(std::string_view part, std::string_view whole) {
  if (part.empty()) {
    return;  // default-constructed views carry no pointer worth checking
  }
  Require(part.data() >= whole.data());
  Require(part.data() + part.size() <= whole.data() + whole.size());
}

void CheckTags(const TagList& tags, std::string_view line) {
  RequireInside(tags.raw(), line);
  size_t count = 0;
  for (const std::string_view tag : tags) {
    RequireInside(tag, line);
    Require(tag.find(',') == std::string_view::npos);
    ++count;
  }
  Require(count == tags.size());
}

void CheckOrigin(std::string_view container_id, std::string_view external_data,
                 std::string_view cardinality, std::string_view line) {
  RequireInside(container_id, line);
  RequireInside(external_data, line);
  RequireInside(cardinality, line);
}

bool SameDouble(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

void CheckResult(const ParseResult& result, std::string_view line) {
  if (const auto* sample = std::get_if<MetricSample>(&result)) {
    Require(Classify(line) == MessageKind::kMetric);
    Require(!sample->name.empty());
    Require(sample->name.find(':') == std::string_view::npos);
    Require(sample->name.find('|') == std::string_view::npos);
    RequireInside(sample->name, line);
    RequireInside(sample->values.raw(), line);
    RequireInside(sample->set_value, line);
    CheckTags(sample->tags, line);
    CheckOrigin(sample->container_id, sample->external_data, sample->cardinality, line);
    if (sample->timestamp) {
      Require(*sample->timestamp >= 1);
    }
    if (sample->type == MetricType::kSet) {
      Require(sample->values.empty() && !sample->set_value.empty());
    } else {
      Require(!sample->values.empty());
      size_t count = 0;
      for (const double value : sample->values) {
        if (count == 0) {
          Require(SameDouble(value, sample->values.front()));
        }
        ++count;
      }
      Require(count == sample->values.size());
    }
  } else if (const auto* event = std::get_if<Event>(&result)) {
    Require(Classify(line) == MessageKind::kEvent);
    Require(!event->title.empty());
    RequireInside(event->title, line);
    RequireInside(event->text, line);
    RequireInside(event->hostname, line);
    RequireInside(event->aggregation_key, line);
    RequireInside(event->source_type, line);
    CheckTags(event->tags, line);
    CheckOrigin(event->container_id, event->external_data, event->cardinality, line);
    Require(event->text_has_escapes == (event->text.find("\\n") != std::string_view::npos));
    Require(event->UnescapedText().size() <= event->text.size());
    Require(event->UnescapedTitle().size() <= event->title.size());
  } else if (const auto* check = std::get_if<ServiceCheck>(&result)) {
    Require(Classify(line) == MessageKind::kServiceCheck);
    Require(!check->name.empty());
    Require(static_cast<unsigned>(check->status) <= 3);
    RequireInside(check->name, line);
    RequireInside(check->hostname, line);
    RequireInside(check->message, line);
    CheckTags(check->tags, line);
    CheckOrigin(check->container_id, check->external_data, check->cardinality, line);
  } else {
    const ParseError error = std::get<ParseError>(result);
    Require(static_cast<size_t>(error) < kParseErrorCount);
    Require(ParseErrorName(error) != "unknown");
    Require(KindOf(error) == Classify(line));
  }
}

// Whatever the readers accept must print and read back to the same number.
void CheckNumberRoundTrip(std::string_view text) {
  if (const std::optional<double> value = internal::ParseGoFloat(text)) {
    if (!std::isnan(*value)) {
      char buffer[64];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *value);
      Require(ec == std::errc());
      const std::optional<double> again = internal::ParseGoFloat(std::string_view(buffer, end));
      Require(again.has_value() && SameDouble(*again, *value));
    }
  }
  if (const std::optional<int64_t> value = internal::ParseGoInt64(text)) {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *value);
    Require(ec == std::errc());
    Require(internal::ParseGoInt64(std::string_view(buffer, end)) == value);
  }
}

}  // namespace
}  // namespace sidecar::statsd

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sidecar::statsd;  // NOLINT(google-build-using-namespace): fuzz entry point
  const std::string_view packet(reinterpret_cast<const char*>(data), size);
  static const Parser kAgentDefaults(ParserOptions{});
  static const Parser kEverythingOn(ParserOptions{
      .read_timestamps = false, .origin_detection_client = true, .tolerant_event_lengths = false});

  for (const bool eol_required : {false, true}) {
    const FrameStats stats = ForEachLine(
        packet, FramerOptions{.eol_required = eol_required}, [&](std::string_view line) {
          RequireInside(line, packet);
          Require(!line.empty());
          Require(line.find('\n') == std::string_view::npos);
          for (const Parser* parser : {&kAgentDefaults, &kEverythingOn}) {
            const ParseResult result = parser->Parse(line);
            CheckResult(result, line);
            Require(parser->Parse(line).index() == result.index());
          }
        });
    Require(stats.unterminated_dropped <= (eol_required ? 1u : 0u));
  }
  if (size <= 64) {
    CheckNumberRoundTrip(packet);
  }
  return 0;
}
