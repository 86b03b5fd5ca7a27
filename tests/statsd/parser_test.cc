// Conformance of statsd::Parser with ../shared/spec/dogstatsd.md §14.A-D. Each case carries its ID
// (test or parameter name). Inputs are the spec's; assertions are on what the parser produces.
// Enrichment-level expectations (host: tag extraction, hostname defaults, JSON upload) belong to
// later stages; here the corresponding cases pin the raw fields those stages start from.
#include "statsd/parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "statsd/framer.h"

namespace sidecar::statsd {
namespace {

using Strings = std::vector<std::string>;
using Doubles = std::vector<double>;

ParseResult Parse(std::string_view line, const ParserOptions& options = {}) {
  return Parser(options).Parse(line);
}

std::string Describe(const ParseResult& result) {
  switch (result.index()) {
    case 0:
      return "MetricSample";
    case 1:
      return "Event";
    case 2:
      return "ServiceCheck";
    default:
      return "ParseError " + std::string(ParseErrorName(std::get<ParseError>(result)));
  }
}

Strings TagsOf(const TagList& tags) { return Strings(tags.begin(), tags.end()); }
Doubles ValuesOf(const MetricValues& values) { return Doubles(values.begin(), values.end()); }

// ---------------------------------------------------------------------------------------------
// §14.A accepted metric lines.

struct MetricCase {
  std::string id{};
  void PrintTo(const MetricCase& c, std::ostream* os) { *os << c.line; }

  std::string line{};
  ParserOptions options{};
  std::string name{};
  MetricType type = MetricType::kGauge;
  Doubles values{};
  std::string set_value{};
  double rate = 1.0;
  Strings tags{};
  std::optional<int64_t> timestamp{};
  std::string container_id{};
};

class MetricAcceptTest : public testing::TestWithParam<MetricCase> {};

TEST_P(MetricAcceptTest, ParsesAllFields) {
  const MetricCase& c = GetParam();
  const ParseResult result = Parse(c.line, c.options);
  const auto* sample = std::get_if<MetricSample>(&result);
  ASSERT_NE(sample, nullptr) << c.line << " -> " << Describe(result);
  EXPECT_EQ(sample->name, c.name);
  EXPECT_EQ(sample->type, c.type);
  EXPECT_EQ(ValuesOf(sample->values), c.values);
  EXPECT_EQ(sample->values.size(), c.values.size());
  EXPECT_EQ(sample->set_value, c.set_value);
  EXPECT_EQ(sample->sample_rate, c.rate);
  EXPECT_EQ(TagsOf(sample->tags), c.tags);
  EXPECT_EQ(sample->tags.size(), c.tags.size());
  EXPECT_EQ(sample->timestamp, c.timestamp);
  EXPECT_EQ(sample->container_id, c.container_id);
}

const ParserOptions kNoTimestamps{.read_timestamps = false};
const ParserOptions kOriginClient{.origin_detection_client = true};
constexpr MetricType kG = MetricType::kGauge;
constexpr MetricType kC = MetricType::kCounter;
constexpr MetricType kH = MetricType::kHistogram;
constexpr MetricType kD = MetricType::kDistribution;
constexpr MetricType kS = MetricType::kSet;
constexpr MetricType kMs = MetricType::kTiming;

INSTANTIATE_TEST_SUITE_P(
    SpecA, MetricAcceptTest,
    testing::Values(
        MetricCase{
            .id = "A01", .line = "daemon:666|g", .name = "daemon", .type = kG, .values = {666}},
        MetricCase{.id = "A02",
                   .line = "daemon:666:777|g",
                   .name = "daemon",
                   .type = kG,
                   .values = {666, 777}},
        MetricCase{
            .id = "A03", .line = "daemon:21|c", .name = "daemon", .type = kC, .values = {21}},
        MetricCase{.id = "A04",
                   .line = "daemon:666:777|c",
                   .name = "daemon",
                   .type = kC,
                   .values = {666, 777}},
        MetricCase{.id = "A05",
                   .line = "custom_counter:1|c|#protocol:http,bench",
                   .name = "custom_counter",
                   .type = kC,
                   .values = {1},
                   .tags = {"protocol:http", "bench"}},
        MetricCase{.id = "A06_single",
                   .line = "daemon:21|h",
                   .name = "daemon",
                   .type = kH,
                   .values = {21}},
        MetricCase{.id = "A06_packed",
                   .line = "daemon:21:22|h",
                   .name = "daemon",
                   .type = kH,
                   .values = {21, 22}},
        // The `ms` symbol is kept apart; the aggregator treats kTiming like kHistogram (§2.2).
        MetricCase{.id = "A07_single",
                   .line = "daemon:21|ms",
                   .name = "daemon",
                   .type = kMs,
                   .values = {21}},
        MetricCase{.id = "A07_packed",
                   .line = "daemon:21:22|ms",
                   .name = "daemon",
                   .type = kMs,
                   .values = {21, 22}},
        MetricCase{
            .id = "A08", .line = "daemon:abc|s", .name = "daemon", .type = kS, .set_value = "abc"},
        MetricCase{.id = "A09",
                   .line = "daemon:abc:def|s",
                   .name = "daemon",
                   .type = kS,
                   .set_value = "abc:def"},
        MetricCase{.id = "A10_single",
                   .line = "daemon:3.5|d",
                   .name = "daemon",
                   .type = kD,
                   .values = {3.5}},
        MetricCase{.id = "A10_packed",
                   .line = "daemon:3.5:4.5|d",
                   .name = "daemon",
                   .type = kD,
                   .values = {3.5, 4.5}},
        MetricCase{.id = "A11",
                   .line = "daemon:♬†øU†øU¥ºuT0♪|s",
                   .name = "daemon",
                   .type = kS,
                   .set_value = "♬†øU†øU¥ºuT0♪"},
        MetricCase{.id = "A12",
                   .line = "♬†øU†øU¥ºuT0♪:666|g|#intitulé:T0µ",
                   .name = "♬†øU†øU¥ºuT0♪",
                   .type = kG,
                   .values = {666},
                   .tags = {"intitulé:T0µ"}},
        MetricCase{.id = "A13",
                   .line = "daemon:666|g|#sometag1:somevalue1,sometag2:somevalue2",
                   .name = "daemon",
                   .type = kG,
                   .values = {666},
                   .tags = {"sometag1:somevalue1", "sometag2:somevalue2"}},
        MetricCase{.id = "A14",
                   .line = "daemon:666|g|@0.21",
                   .name = "daemon",
                   .type = kG,
                   .values = {666},
                   .rate = 0.21},
        MetricCase{
            .id = "A15", .line = "daemon:666|g|#", .name = "daemon", .type = kG, .values = {666}},
        MetricCase{.id = "A21",
                   .line = "daemon:666|g|m:test",
                   .name = "daemon",
                   .type = kG,
                   .values = {666}},
        MetricCase{.id = "A25",
                   .line = "metric:1234|g|#onetag|T1657100430",
                   .options = kNoTimestamps,
                   .name = "metric",
                   .type = kG,
                   .values = {1234},
                   .tags = {"onetag"}},
        MetricCase{.id = "A26",
                   .line = "metric:1234|g|#onetag|T1657100430",
                   .name = "metric",
                   .type = kG,
                   .values = {1234},
                   .tags = {"onetag"},
                   .timestamp = 1657100430},
        MetricCase{.id = "A27",
                   .line = "metric:1234|g|#|T1657100430",
                   .name = "metric",
                   .type = kG,
                   .values = {1234},
                   .timestamp = 1657100430},
        MetricCase{.id = "A28",
                   .line = "metric:1234|g|@0.21|T1657100440",
                   .name = "metric",
                   .type = kG,
                   .values = {1234},
                   .rate = 0.21,
                   .timestamp = 1657100440},
        MetricCase{.id = "A29_tags_ts_rate",
                   .line = "metric:1234|g|#thereisatag|T1657100540|@0.21",
                   .name = "metric",
                   .type = kG,
                   .values = {1234},
                   .rate = 0.21,
                   .tags = {"thereisatag"},
                   .timestamp = 1657100540},
        MetricCase{.id = "A29_rate_ts_tags",
                   .line = "metric:1234|g|@0.21|T1657100540|#thereisatag",
                   .name = "metric",
                   .type = kG,
                   .values = {1234},
                   .rate = 0.21,
                   .tags = {"thereisatag"},
                   .timestamp = 1657100540},
        MetricCase{.id = "A29_ts_rate_tags",
                   .line = "metric:1234|g|T1657100540|@0.25|#atag",
                   .name = "metric",
                   .type = kG,
                   .values = {1234},
                   .rate = 0.25,
                   .tags = {"atag"},
                   .timestamp = 1657100540},
        MetricCase{.id = "A31",
                   .line = "example.metric:2.39283|d|@1.000000|#environment:dev|"
                           "c:2a25f7fc8fbf573d62053d7263dd2d440c07b6ab4d2b107e50b0d4df1f2ee15f",
                   .name = "example.metric",
                   .type = kD,
                   .values = {2.39283},
                   .rate = 1.0,
                   .tags = {"environment:dev"}},
        MetricCase{.id = "A32",
                   .line = "example.metric:2.39283|d|@1.000000|#environment:dev|"
                           "c:2a25f7fc8fbf573d62053d7263dd2d440c07b6ab4d2b107e50b0d4df1f2ee15f|"
                           "T1657100540|f:wowthisisacoolfeature|f2:omgthisoneiscooler",
                   .name = "example.metric",
                   .type = kD,
                   .values = {2.39283},
                   .rate = 1.0,
                   .tags = {"environment:dev"},
                   .timestamp = 1657100540},
        MetricCase{.id = "A33",
                   .line = "metric:1234|g|c:1234567890abcdef",
                   .options = kOriginClient,
                   .name = "metric",
                   .type = kG,
                   .values = {1234},
                   .container_id = "1234567890abcdef"},
        MetricCase{.id = "A34",
                   .line = "daemon::666::123::::|c",
                   .name = "daemon",
                   .type = kC,
                   .values = {666, 123}},
        MetricCase{.id = "A35_plain",
                   .line = "m:1.1234:21.5:13|d",
                   .name = "m",
                   .type = kD,
                   .values = {1.1234, 21.5, 13}},
        MetricCase{.id = "A35_trailing_colon",
                   .line = "m:1.1234:41:|d",
                   .name = "m",
                   .type = kD,
                   .values = {1.1234, 41}},
        MetricCase{.id = "A35_double_colon",
                   .line = "m:1.1234::41|d",
                   .name = "m",
                   .type = kD,
                   .values = {1.1234, 41}},
        MetricCase{.id = "A35_leading_colon",
                   .line = "m::1.1234::41|d",
                   .name = "m",
                   .type = kD,
                   .values = {1.1234, 41}},
        // A37: a sign is part of the number, not a delta: "+5" sets 5 and "-5" sets -5.
        MetricCase{
            .id = "A37_plus", .line = "gauge:+5|g", .name = "gauge", .type = kG, .values = {5}},
        MetricCase{
            .id = "A37_minus", .line = "gauge:-5|g", .name = "gauge", .type = kG, .values = {-5}},
        MetricCase{.id = "A38", .line = "m:1e3|c", .name = "m", .type = kC, .values = {1000}},
        MetricCase{.id = "A39_inf",
                   .line = "m:Inf|c",
                   .name = "m",
                   .type = kC,
                   .values = {std::numeric_limits<double>::infinity()}},
        MetricCase{.id = "A41",
                   .line = "m:1|g|#a|#b",
                   .name = "m",
                   .type = kG,
                   .values = {1},
                   .tags = {"b"}}),
    [](const testing::TestParamInfo<MetricCase>& param_info) { return param_info.param.id; });

// A39: NaN parses (the aggregator drops it), so it cannot live in the equality table above.
TEST(MetricParserTest, A39AcceptsNaN) {
  const ParseResult result = Parse("m:NaN|g");
  const auto* sample = std::get_if<MetricSample>(&result);
  ASSERT_NE(sample, nullptr) << Describe(result);
  ASSERT_EQ(sample->values.size(), 1u);
  EXPECT_TRUE(std::isnan(sample->values.front()));
}

// A35: the empty list is an error; as a metric line it is caught as an empty value, and a list
// made only of separators as "no value".
TEST(MetricParserTest, A35RejectsValueListWithoutValues) {
  EXPECT_EQ(std::get<ParseError>(Parse("m:|d")), ParseError::kMetricEmptyValue);
  EXPECT_EQ(std::get<ParseError>(Parse("m::|d")), ParseError::kMetricNoValue);
  EXPECT_EQ(std::get<ParseError>(Parse("m::::|g")), ParseError::kMetricNoValue);
}

// A33 counterpart, and A31 with origin detection on: the origin fields are read only on demand.
TEST(MetricParserTest, A33ReadsAllOriginFieldsOnlyWhenEnabled) {
  const std::string line = "m:1|g|c:ci-abc|e:it-false,cn-redis|card:high";
  const ParseResult on = Parse(line, kOriginClient);
  const auto* with = std::get_if<MetricSample>(&on);
  ASSERT_NE(with, nullptr);
  EXPECT_EQ(with->container_id, "ci-abc");
  EXPECT_EQ(with->external_data, "it-false,cn-redis");
  EXPECT_EQ(with->cardinality, "high");
  const ParseResult off = Parse(line);
  const auto* without = std::get_if<MetricSample>(&off);
  ASSERT_NE(without, nullptr);
  EXPECT_TRUE(without->container_id.empty());
  EXPECT_TRUE(without->external_data.empty());
  EXPECT_TRUE(without->cardinality.empty());
}

TEST(MetricParserTest, RepeatedFieldsLastOneWins) {
  const ParseResult result = Parse("m:1|g|@0.5|T10|@0.25|T20|#a|#b,c");
  const auto* sample = std::get_if<MetricSample>(&result);
  ASSERT_NE(sample, nullptr);
  EXPECT_EQ(sample->sample_rate, 0.25);
  EXPECT_EQ(sample->timestamp, 20);
  EXPECT_EQ(TagsOf(sample->tags), (Strings{"b", "c"}));
}

TEST(MetricParserTest, KeepsEmptyTagsAndIgnoresEmptyFields) {
  const ParseResult result = Parse("m:1|c||#a,,b,|");
  const auto* sample = std::get_if<MetricSample>(&result);
  ASSERT_NE(sample, nullptr);
  EXPECT_EQ(TagsOf(sample->tags), (Strings{"a", "", "b", ""}));
  EXPECT_EQ(sample->tags.size(), 4u);
}

TEST(MetricParserTest, NameMayContainSpacesAndValueMayUseGoFloatSyntax) {
  const ParseResult result = Parse("my metric:0x1p-2:1_000:-.5|h");
  const auto* sample = std::get_if<MetricSample>(&result);
  ASSERT_NE(sample, nullptr) << Describe(result);
  EXPECT_EQ(sample->name, "my metric");
  EXPECT_EQ(ValuesOf(sample->values), (Doubles{0.25, 1000, -0.5}));
}

TEST(MetricParserTest, SampleRateAcceptsAnyGoFloat) {
  for (const std::string_view line : {"m:1|c|@0", "m:1|c|@-1", "m:1|c|@2", "m:1|c|@NaN"}) {
    EXPECT_TRUE(std::holds_alternative<MetricSample>(Parse(line))) << line;
  }
  EXPECT_EQ(std::get<ParseError>(Parse("m:1|c|@")), ParseError::kMetricInvalidSampleRate);
  EXPECT_EQ(std::get<ParseError>(Parse("m:1|c|@ 0.5")), ParseError::kMetricInvalidSampleRate);
}

TEST(MetricParserTest, TimestampFollowsGoParseInt) {
  EXPECT_EQ(std::get<MetricSample>(Parse("m:1|g|T+5")).timestamp, 5);
  EXPECT_EQ(std::get<ParseError>(Parse("m:1|g|T0")), ParseError::kMetricNonPositiveTimestamp);
  EXPECT_EQ(std::get<ParseError>(Parse("m:1|g|T1_0")), ParseError::kMetricInvalidTimestamp);
  EXPECT_EQ(std::get<ParseError>(Parse("m:1|g|T99999999999999999999")),
            ParseError::kMetricInvalidTimestamp);
  // With the no-aggregation pipeline off, even a malformed T field is ignored (A25).
  EXPECT_TRUE(std::holds_alternative<MetricSample>(Parse("m:1|g|TABCD", kNoTimestamps)));
}

TEST(MetricParserTest, TypeIsCaseSensitiveAndExact) {
  for (const std::string_view line : {"m:1|G", "m:1|MS", "m:1| g", "m:1|g ", "m:1|gg", "m:1|m"}) {
    EXPECT_EQ(std::get<ParseError>(Parse(line)), ParseError::kMetricUnknownType) << line;
  }
}

TEST(MetricParserTest, ResultViewsPointIntoTheLine) {
  const std::string line = "name:1:2|c|@0.5|#a:b,c|T12";
  const ParseResult result = Parse(line);
  const auto& sample = std::get<MetricSample>(result);
  EXPECT_EQ(sample.name.data(), line.data());
  EXPECT_EQ(sample.values.raw().data(), line.data() + 5);
  EXPECT_EQ(sample.tags.raw().data(), line.data() + 17);
}

// ---------------------------------------------------------------------------------------------
// §14.A, §14.C and §14.D rejected lines, with the reason each is rejected for.

struct RejectCase {
  std::string id{};
  void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.line; }

  std::string line{};
  ParseError error{};
};

class RejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(RejectTest, RejectsWithReason) {
  const ParseResult result = Parse(GetParam().line);
  ASSERT_TRUE(std::holds_alternative<ParseError>(result))
      << GetParam().line << " -> " << Describe(result);
  EXPECT_EQ(ParseErrorName(std::get<ParseError>(result)), ParseErrorName(GetParam().error))
      << GetParam().line;
}

INSTANTIATE_TEST_SUITE_P(
    SpecA, RejectTest,
    testing::Values(RejectCase{"A16", "daemon:666", ParseError::kMetricNoPipe},
                    RejectCase{"A17", "daemon:666|", ParseError::kMetricEmptyType},
                    RejectCase{"A18", "daemon:|g", ParseError::kMetricEmptyValue},
                    RejectCase{"A19", ":666|g", ParseError::kMetricEmptyName},
                    RejectCase{"A20", "abc666|g", ParseError::kMetricNoColon},
                    RejectCase{"A22", "daemon:abc|g", ParseError::kMetricInvalidValue},
                    RejectCase{"A23", "daemon:666|unknown", ParseError::kMetricUnknownType},
                    RejectCase{"A24", "daemon:666|g|@abc", ParseError::kMetricInvalidSampleRate},
                    RejectCase{"A30_letters", "metric:1234|g|#onetag|TABCD",
                               ParseError::kMetricInvalidTimestamp},
                    RejectCase{"A30_empty", "metric:1234|g|#onetag|T",
                               ParseError::kMetricInvalidTimestamp},
                    RejectCase{"A30_negative", "metric:1234|g|#onetag|T-102348932",
                               ParseError::kMetricNonPositiveTimestamp},
                    RejectCase{"A36", "daemon3: :1:|g", ParseError::kMetricInvalidValue},
                    RejectCase{"A40", "_sc.metric:1|g", ParseError::kServiceCheckInvalidFormat}),
    [](const testing::TestParamInfo<RejectCase>& param_info) { return param_info.param.id; });

INSTANTIATE_TEST_SUITE_P(
    SpecC, RejectTest,
    testing::Values(
        // `_e:` and `_e|` lack the `_e{` prefix, so they are (bad) metric lines.
        RejectCase{"C04_no_braces", "_e:title|text", ParseError::kMetricUnknownType},
        RejectCase{"C04_too_short", "_e{10,10}:title|text", ParseError::kEventTooShort},
        RejectCase{"C04_zero_lengths", "_e{0,0}:a|a", ParseError::kEventEmptyTitle},
        RejectCase{"C04_zero_title", "_e{0,4}:text", ParseError::kEventEmptyTitle},
        RejectCase{"C04_no_comma", "_e{5555:title|text", ParseError::kEventHeaderNoComma},
        RejectCase{"C04_title_not_int", "_e{a,1}:title|text", ParseError::kEventInvalidTitleLength},
        RejectCase{"C04_text_not_int", "_e{1,a}:title|text", ParseError::kEventInvalidTextLength},
        RejectCase{"C04_no_text_length", "_e{5,}:title|text", ParseError::kEventHeaderTooShort},
        RejectCase{"C04_no_title_length", "_e{,4}:title|text", ParseError::kEventHeaderTooShort},
        RejectCase{"C04_empty_braces", "_e{}:title|text", ParseError::kEventHeaderTooShort},
        RejectCase{"C04_only_comma", "_e{,}:title|text", ParseError::kEventHeaderTooShort},
        RejectCase{"C04_pipe_prefix", "_e|text", ParseError::kMetricNoColon},
        RejectCase{"C04_colon_pipe", "_e:|text", ParseError::kMetricEmptyValue},
        RejectCase{"C04_negative_lengths", "_e{-123,-987}:", ParseError::kEventInvalidTitleLength},
        RejectCase{"C04_negative_text", "_e{5,-987}:title", ParseError::kEventInvalidTextLength},
        RejectCase{"C04_no_colon", "_e{0001,-9876", ParseError::kEventNoColon},
        RejectCase{"C14", "_e{0,9}:|test text", ParseError::kEventEmptyTitle},
        RejectCase{"C20_negative_title", "_e{-5,2}:abc", ParseError::kEventInvalidTitleLength}),
    [](const testing::TestParamInfo<RejectCase>& param_info) { return param_info.param.id; });

INSTANTIATE_TEST_SUITE_P(
    SpecD, RejectTest,
    testing::Values(
        RejectCase{"D02_no_status", "_sc|agent.up", ParseError::kServiceCheckInvalidFormat},
        RejectCase{"D02_empty_status", "_sc|agent.up|", ParseError::kServiceCheckInvalidStatus},
        RejectCase{"D02_empty_name", "_sc||", ParseError::kServiceCheckEmptyName},
        RejectCase{"D02_bare_prefix", "_sc|", ParseError::kServiceCheckInvalidFormat},
        RejectCase{"D03_word", "_sc|agent.up|OK", ParseError::kServiceCheckInvalidStatus},
        RejectCase{"D03_two_digits", "_sc|agent.up|21", ParseError::kServiceCheckInvalidStatus},
        RejectCase{"D03_four", "_sc|agent.up|4", ParseError::kServiceCheckInvalidStatus},
        RejectCase{"D14_first_line", "_sc|agen.down", ParseError::kServiceCheckInvalidFormat}),
    [](const testing::TestParamInfo<RejectCase>& param_info) { return param_info.param.id; });

TEST(ParseErrorTest, EveryErrorHasADistinctNameAndAKind) {
  std::vector<std::string_view> names;
  for (size_t i = 0; i < kParseErrorCount; ++i) {
    const auto error = static_cast<ParseError>(i);
    names.push_back(ParseErrorName(error));
    EXPECT_NE(names.back(), "unknown");
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_EQ(KindOf(ParseError::kMetricNonPositiveTimestamp), MessageKind::kMetric);
  EXPECT_EQ(KindOf(ParseError::kEventNoColon), MessageKind::kEvent);
  EXPECT_EQ(KindOf(ParseError::kEventLengthMismatch), MessageKind::kEvent);
  EXPECT_EQ(KindOf(ParseError::kServiceCheckInvalidFormat), MessageKind::kServiceCheck);
}

// ---------------------------------------------------------------------------------------------
// §14.B packets: framing + parsing together, counting what a server worker would count.

struct PacketOutcome {
  Strings sample_names{};  // one entry per value, as the Agent emits one sample per value
  size_t events = 0;
  size_t service_checks = 0;
  size_t metric_errors = 0;
  size_t event_errors = 0;
  size_t service_check_errors = 0;
  size_t unterminated = 0;
};

PacketOutcome ParsePacket(std::string_view packet, const FramerOptions& framer_options = {}) {
  const Parser parser(ParserOptions{});
  PacketOutcome out;
  const FrameStats stats = ForEachLine(packet, framer_options, [&](std::string_view line) {
    const ParseResult result = parser.Parse(line);
    if (const auto* sample = std::get_if<MetricSample>(&result)) {
      const size_t n = sample->type == MetricType::kSet ? 1 : sample->values.size();
      for (size_t i = 0; i < n; ++i) {
        out.sample_names.emplace_back(sample->name);
      }
    } else if (std::holds_alternative<Event>(result)) {
      ++out.events;
    } else if (std::holds_alternative<ServiceCheck>(result)) {
      ++out.service_checks;
    } else {
      switch (KindOf(std::get<ParseError>(result))) {
        case MessageKind::kMetric:
          ++out.metric_errors;
          break;
        case MessageKind::kEvent:
          ++out.event_errors;
          break;
        case MessageKind::kServiceCheck:
          ++out.service_check_errors;
          break;
      }
    }
  });
  out.unterminated = stats.unterminated_dropped;
  return out;
}

TEST(PacketTest, B01TwoLinesGiveTwoSamples) {
  const PacketOutcome out =
      ParsePacket("daemon:666|c\ndaemon2:1000|c|#sometag1:somevalue1,sometag2:somevalue2");
  EXPECT_EQ(out.sample_names, (Strings{"daemon", "daemon2"}));
}

TEST(PacketTest, B02PackedValuesCountOnePerValue) {
  const PacketOutcome out =
      ParsePacket("daemon:666:123|c\ndaemon2:1000|c|#sometag1:somevalue1,sometag2:somevalue2");
  EXPECT_EQ(out.sample_names, (Strings{"daemon", "daemon", "daemon2"}));
}

TEST(PacketTest, B03EmptyLineAndTrailingNewlineAreFine) {
  const PacketOutcome out =
      ParsePacket("daemon:666|c\n\ndaemon2:1000|c|#sometag1:somevalue1,sometag2:somevalue2\n");
  EXPECT_EQ(out.sample_names, (Strings{"daemon", "daemon2"}));
  EXPECT_EQ(out.metric_errors, 0u);
}

TEST(PacketTest, B04BadLineIsCountedAndTheRestKept) {
  const PacketOutcome out =
      ParsePacket("daemon:666a|g\ndaemon2:1000|c|#sometag1:somevalue1,sometag2:somevalue2");
  EXPECT_EQ(out.sample_names, (Strings{"daemon2"}));
  EXPECT_EQ(out.metric_errors, 1u);
}

TEST(PacketTest, B05OnlyTheValidLineSurvives) {
  const PacketOutcome out = ParsePacket(
      "daemon:|g\ndaemon2:1000|c|#sometag1:somevalue1,sometag2:somevalue2\ndaemon3: :1:|g");
  EXPECT_EQ(out.sample_names, (Strings{"daemon2"}));
  EXPECT_EQ(out.metric_errors, 2u);
}

// B06/B07 framing cases are in framer_test.cc; here the same packets reach the parser.
TEST(PacketTest, B06AndB07ReachTheParserAsSeparateLines) {
  EXPECT_EQ(ParsePacket("foo\nbar\r\nbaz\r\nquz\nhax").metric_errors, 5u);
  const PacketOutcome eol = ParsePacket("foo\nbar\r\nbaz\r\nquz\nhax\r", {.eol_required = true});
  EXPECT_EQ(eol.metric_errors, 4u);
  EXPECT_EQ(eol.unterminated, 1u);
}

// B08: datagram assembly is the listener's; the assembled packet joins datagrams with '\n'.
TEST(PacketTest, B08AssembledDatagramsAreSeparateLines) {
  const PacketOutcome out = ParsePacket(std::string("a:1|c") + "\n" + "b:2|c");
  EXPECT_EQ(out.sample_names, (Strings{"a", "b"}));
}

// B09: the kernel truncates a 9000-byte datagram to the 8192-byte buffer; whole lines still parse,
// the cut one is rejected.
TEST(PacketTest, B09TruncatedDatagramKeepsWholeLines) {
  std::string datagram;
  size_t lines = 0;
  while (datagram.size() < 9000) {
    datagram += "truncation.test.metric.with.a.long.name:12345|c\n";
    ++lines;
  }
  const std::string received = datagram.substr(0, 8192);
  const size_t whole_lines = 8192 / 48;  // each line is 48 bytes including '\n'
  ASSERT_EQ(received.size() % 48, 8192u % 48);
  ASSERT_LT(8192u % 48, 46u) << "the cut must fall before the type for the line to be invalid";
  const PacketOutcome out = ParsePacket(received);
  EXPECT_EQ(out.sample_names.size(), whole_lines);
  EXPECT_EQ(out.metric_errors, 1u);
  EXPECT_GT(lines, whole_lines);
}

// ---------------------------------------------------------------------------------------------
// §14.C events.

Event MustParseEvent(std::string_view line, const ParserOptions& options = {}) {
  const ParseResult result = Parse(line, options);
  const auto* event = std::get_if<Event>(&result);
  if (event == nullptr) {
    ADD_FAILURE() << line << " -> " << Describe(result);
    return Event{};
  }
  return *event;
}

TEST(EventParserTest, C01MinimalEventHasDefaults) {
  const Event e = MustParseEvent("_e{10,9}:test title|test text");
  EXPECT_EQ(e.title, "test title");
  EXPECT_EQ(e.text, "test text");
  EXPECT_FALSE(e.timestamp.has_value());  // 0 -> now at the aggregator
  EXPECT_EQ(e.priority, EventPriority::kNormal);
  EXPECT_EQ(e.alert_type, EventAlertType::kInfo);
  EXPECT_TRUE(e.tags.empty());
  EXPECT_TRUE(e.hostname.empty());  // the enricher fills in the default host
  EXPECT_EQ(e.length_unit, EventLengthUnit::kUtf8Bytes);
}

TEST(EventParserTest, C02OnlyBackslashNIsUnescaped) {
  const Event e = MustParseEvent("_e{10,24}:test title|test\\line1\\nline2\\nline3");
  EXPECT_EQ(e.text, "test\\line1\\nline2\\nline3");
  EXPECT_TRUE(e.text_has_escapes);
  EXPECT_FALSE(e.title_has_escapes);
  EXPECT_EQ(e.UnescapedText(), "test\\line1\nline2\nline3");
  EXPECT_EQ(e.UnescapedTitle(), "test title");
}

TEST(EventParserTest, C03PipeInsideTitleIsCoveredByTheLength) {
  const Event e = MustParseEvent("_e{10,24}:test|title|test\\line1\\nline2\\nline3");
  EXPECT_EQ(e.title, "test|title");
  EXPECT_EQ(e.UnescapedText(), "test\\line1\nline2\nline3");
}

TEST(EventParserTest, C05BadOptionalValuesAreIgnored) {
  for (const std::string_view line : {"_e{5,4}:title|text|d:abc", "_e{5,4}:title|text|p:urgent",
                                      "_e{5,4}:title|text|t:test", "_e{5,4}:title|text|x:1234"}) {
    const Event e = MustParseEvent(line);
    EXPECT_EQ(e.title, "title") << line;
    EXPECT_EQ(e.text, "text") << line;
    EXPECT_FALSE(e.timestamp.has_value()) << line;
    EXPECT_EQ(e.priority, EventPriority::kNormal) << line;
    EXPECT_EQ(e.alert_type, EventAlertType::kInfo) << line;
  }
}

TEST(EventParserTest, C05BadValueKeepsAnEarlierGoodOne) {
  const Event e = MustParseEvent("_e{5,4}:title|text|d:21|d:abc|p:low|p:urgent|t:error|t:x");
  EXPECT_EQ(e.timestamp, 21);
  EXPECT_EQ(e.priority, EventPriority::kLow);
  EXPECT_EQ(e.alert_type, EventAlertType::kError);
}

TEST(EventParserTest, C06Timestamp) {
  EXPECT_EQ(MustParseEvent("_e{10,9}:test title|test text|d:21").timestamp, 21);
}

TEST(EventParserTest, C07PriorityLow) {
  EXPECT_EQ(MustParseEvent("_e{10,9}:test title|test text|p:low").priority, EventPriority::kLow);
}

TEST(EventParserTest, C08Hostname) {
  EXPECT_EQ(MustParseEvent("_e{10,9}:test title|test text|h:localhost").hostname, "localhost");
}

TEST(EventParserTest, C09AlertWarning) {
  EXPECT_EQ(MustParseEvent("_e{10,9}:test title|test text|t:warning").alert_type,
            EventAlertType::kWarning);
}

TEST(EventParserTest, C10AggregationKeyKeepsSpaces) {
  EXPECT_EQ(MustParseEvent("_e{10,9}:test title|test text|k:some aggregation key").aggregation_key,
            "some aggregation key");
}

TEST(EventParserTest, C11SourceType) {
  EXPECT_EQ(MustParseEvent("_e{10,9}:test title|test text|s:this is the source").source_type,
            "this is the source");
}

TEST(EventParserTest, C12Tags) {
  EXPECT_EQ(TagsOf(MustParseEvent("_e{10,9}:test title|test text|#tag1,tag2:test").tags),
            (Strings{"tag1", "tag2:test"}));
}

TEST(EventParserTest, C13AllFields) {
  const Event e = MustParseEvent(
      "_e{10,9}:test title|test text|t:warning|d:12345|p:low|h:some.host|k:aggKey|"
      "s:source test|#tag1,tag2:test");
  EXPECT_EQ(e.title, "test title");
  EXPECT_EQ(e.text, "test text");
  EXPECT_EQ(e.alert_type, EventAlertType::kWarning);
  EXPECT_EQ(e.timestamp, 12345);
  EXPECT_EQ(e.priority, EventPriority::kLow);
  EXPECT_EQ(e.hostname, "some.host");
  EXPECT_EQ(e.aggregation_key, "aggKey");
  EXPECT_EQ(e.source_type, "source test");
  EXPECT_EQ(TagsOf(e.tags), (Strings{"tag1", "tag2:test"}));
}

TEST(EventParserTest, C15EmptyTextIsAllowed) {
  const Event e = MustParseEvent("_e{10,0}:test title|");
  EXPECT_EQ(e.title, "test title");
  EXPECT_TRUE(e.text.empty());
}

TEST(EventParserTest, C16EmptyTextFollowedByFields) {
  const Event e = MustParseEvent("_e{10,0}:test title||t:warning");
  EXPECT_TRUE(e.text.empty());
  EXPECT_EQ(e.alert_type, EventAlertType::kWarning);
}

// C17/C18/C19: moving `host:` and `dd.internal.entity_id:` out of the tags is the enricher's job;
// the parser hands over the tags verbatim and no `h:` hostname.
TEST(EventParserTest, C17HostTagIsLeftForTheEnricher) {
  const Event e = MustParseEvent("_e{10,9}:test title|test text|#host:localhost");
  EXPECT_EQ(TagsOf(e.tags), (Strings{"host:localhost"}));
  EXPECT_TRUE(e.hostname.empty());
}

TEST(EventParserTest, C18EmptyHostTagIsLeftForTheEnricher) {
  const Event e = MustParseEvent("_e{10,9}:test title|test text|#host:,other:tag");
  EXPECT_EQ(TagsOf(e.tags), (Strings{"host:", "other:tag"}));
}

TEST(EventParserTest, C19EntityIdTagIsLeftForTheEnricher) {
  const Event e =
      MustParseEvent("_e{10,9}:test title|test text|#tag1,tag2:test,dd.internal.entity_id:testID");
  EXPECT_EQ(TagsOf(e.tags), (Strings{"tag1", "tag2:test", "dd.internal.entity_id:testID"}));
}

TEST(EventParserTest, C20OnlyTheValidEventOfAPacketSurvives) {
  const PacketOutcome out = ParsePacket(
      "_e{0,9}:|test text\n"
      "_e{10,9}:test title|test text|t:warning|d:12345|p:low|h:some.host|k:aggKey|"
      "s:source test|#tag1,tag2:test\n"
      "_e{-5,2}:abc\n");
  EXPECT_EQ(out.events, 1u);
  EXPECT_EQ(out.event_errors, 2u);
}

TEST(EventParserTest, C21EscapedNewlineAndAllFields) {
  const Event e = MustParseEvent(
      "_e{11,15}:test titled|test\\ntextntext|t:info|d:12346|p:normal|h:some.otherhost|"
      "k:aggKeyAlt|s:source investigation|#tag1,tag2:test,tag3:resolved");
  EXPECT_EQ(e.title, "test titled");
  EXPECT_EQ(e.UnescapedText(), "test\ntextntext");
  EXPECT_EQ(e.alert_type, EventAlertType::kInfo);
  EXPECT_EQ(e.timestamp, 12346);
  EXPECT_EQ(e.priority, EventPriority::kNormal);
  EXPECT_EQ(e.hostname, "some.otherhost");
  EXPECT_EQ(e.aggregation_key, "aggKeyAlt");
  EXPECT_EQ(e.source_type, "source investigation");
  EXPECT_EQ(TagsOf(e.tags), (Strings{"tag1", "tag2:test", "tag3:resolved"}));
}

TEST(EventParserTest, TitleEscapesAreUnescapedToo) {
  const Event e = MustParseEvent("_e{7,1}:a\\nb\\\\n|x");
  EXPECT_TRUE(e.title_has_escapes);
  EXPECT_EQ(e.UnescapedTitle(), "a\nb\\\n");
}

TEST(EventParserTest, OriginFieldsOnlyWhenEnabled) {
  const std::string line = "_e{1,1}:a|b|c:ci-1|e:x|card:low";
  const Event on = MustParseEvent(line, kOriginClient);
  EXPECT_EQ(on.container_id, "ci-1");
  EXPECT_EQ(on.external_data, "x");
  EXPECT_EQ(on.cardinality, "low");
  EXPECT_TRUE(MustParseEvent(line).container_id.empty());
}

// Contract decision "Tolerant event lengths" (architecture.md): byte counts first, then UTF-16.
TEST(EventLengthTest, FallsBackToUtf16CodeUnits) {
  // "Déploiement ✓" is 13 UTF-16 code units and 16 bytes; the text 21 units and 24 bytes.
  const Event e = MustParseEvent(
      "_e{13,21}:D\xc3\xa9ploiement \xe2\x9c\x93|version 1.4.2 \xe2\x80\x94 pr\xc3\xaate|t:info");
  EXPECT_EQ(e.title, "D\xc3\xa9ploiement \xe2\x9c\x93");
  EXPECT_EQ(e.text, "version 1.4.2 \xe2\x80\x94 pr\xc3\xaate");
  EXPECT_EQ(e.length_unit, EventLengthUnit::kUtf16CodeUnits);
  EXPECT_EQ(e.alert_type, EventAlertType::kInfo);
}

TEST(EventLengthTest, PrefersByteCountsWhenTheyLand) {
  const Event e = MustParseEvent("_e{2,2}:\xc3\xa9|\xc3\xa9");
  EXPECT_EQ(e.title, "\xc3\xa9");
  EXPECT_EQ(e.length_unit, EventLengthUnit::kUtf8Bytes);
}

TEST(EventLengthTest, CountsAstralCharactersAsTwoCodeUnits) {
  const Event e = MustParseEvent("_e{2,3}:\xf0\x9f\x98\x80|a\xf0\x9f\x98\x80");
  EXPECT_EQ(e.title, "\xf0\x9f\x98\x80");
  EXPECT_EQ(e.text, "a\xf0\x9f\x98\x80");
  EXPECT_EQ(e.length_unit, EventLengthUnit::kUtf16CodeUnits);
}

TEST(EventLengthTest, RejectsWhenNeitherReadingLands) {
  // ASCII: both readings agree and miss the '|'.
  EXPECT_EQ(std::get<ParseError>(Parse("_e{4,4}:title|text")), ParseError::kEventLengthMismatch);
  // Text too short for its field separator.
  EXPECT_EQ(std::get<ParseError>(Parse("_e{5,2}:title|text|d:21")),
            ParseError::kEventLengthMismatch);
  // Half a surrogate pair.
  EXPECT_EQ(std::get<ParseError>(Parse("_e{1,1}:\xf0\x9f\x98\x80|x")),
            ParseError::kEventLengthMismatch);
}

TEST(EventLengthTest, AgentModeAcceptsAMisCutEvent) {
  const ParserOptions agent{.tolerant_event_lengths = false};
  const Event e = MustParseEvent("_e{5,2}:title|text|d:21", agent);
  EXPECT_EQ(e.text, "te");
  EXPECT_EQ(e.timestamp, 21);  // the leftover "xt" is an unknown field
  const Event utf8 = MustParseEvent(
      "_e{13,21}:D\xc3\xa9ploiement \xe2\x9c\x93|version 1.4.2 \xe2\x80\x94 pr\xc3\xaate", agent);
  EXPECT_EQ(utf8.title, "D\xc3\xa9ploiement ");
  EXPECT_EQ(utf8.length_unit, EventLengthUnit::kUtf8Bytes);
}

TEST(EventLengthTest, HugeLengthsAreTooShortNotOverflow) {
  EXPECT_EQ(std::get<ParseError>(Parse("_e{9223372036854775807,9223372036854775807}:a|b")),
            ParseError::kEventTooShort);
  EXPECT_EQ(std::get<ParseError>(Parse("_e{9223372036854775808,1}:a|b")),
            ParseError::kEventInvalidTitleLength);
}

// ---------------------------------------------------------------------------------------------
// §14.D service checks.

ServiceCheck MustParseCheck(std::string_view line, const ParserOptions& options = {}) {
  const ParseResult result = Parse(line, options);
  const auto* check = std::get_if<ServiceCheck>(&result);
  if (check == nullptr) {
    ADD_FAILURE() << line << " -> " << Describe(result);
    return ServiceCheck{};
  }
  return *check;
}

TEST(ServiceCheckParserTest, D01MinimalCheck) {
  const ServiceCheck c = MustParseCheck("_sc|agent.up|0");
  EXPECT_EQ(c.name, "agent.up");
  EXPECT_EQ(c.status, ServiceCheckStatus::kOk);
  EXPECT_FALSE(c.timestamp.has_value());
  EXPECT_TRUE(c.message.empty());
  EXPECT_TRUE(c.tags.empty());
  EXPECT_TRUE(c.hostname.empty());
}

TEST(ServiceCheckParserTest, D01AllFourStatuses) {
  EXPECT_EQ(MustParseCheck("_sc|a|1").status, ServiceCheckStatus::kWarning);
  EXPECT_EQ(MustParseCheck("_sc|a|2").status, ServiceCheckStatus::kCritical);
  EXPECT_EQ(MustParseCheck("_sc|a|3").status, ServiceCheckStatus::kUnknown);
}

TEST(ServiceCheckParserTest, D04BadTimestampAndUnknownFieldAreIgnored) {
  EXPECT_FALSE(MustParseCheck("_sc|agent.up|0|d:some_time").timestamp.has_value());
  EXPECT_EQ(MustParseCheck("_sc|agent.up|0|u:unknown").name, "agent.up");
}

TEST(ServiceCheckParserTest, D05Timestamp) {
  EXPECT_EQ(MustParseCheck("_sc|agent.up|0|d:21").timestamp, 21);
}

TEST(ServiceCheckParserTest, D06Hostname) {
  EXPECT_EQ(MustParseCheck("_sc|agent.up|0|h:localhost").hostname, "localhost");
}

TEST(ServiceCheckParserTest, D07ThreeTags) {
  EXPECT_EQ(TagsOf(MustParseCheck("_sc|agent.up|0|#tag1,tag2:test,tag3").tags),
            (Strings{"tag1", "tag2:test", "tag3"}));
}

TEST(ServiceCheckParserTest, D08Message) {
  EXPECT_EQ(MustParseCheck("_sc|agent.up|0|m:this is fine").message, "this is fine");
}

TEST(ServiceCheckParserTest, D09AllFields) {
  const ServiceCheck c =
      MustParseCheck("_sc|agent.up|0|d:21|h:localhost|#tag1:test,tag2|m:this is fine");
  EXPECT_EQ(c.timestamp, 21);
  EXPECT_EQ(c.hostname, "localhost");
  EXPECT_EQ(TagsOf(c.tags), (Strings{"tag1:test", "tag2"}));
  EXPECT_EQ(c.message, "this is fine");
}

TEST(ServiceCheckParserTest, D10LastRepeatedFieldWins) {
  const ServiceCheck c = MustParseCheck("_sc|agent.up|0|d:21|h:localhost|h:localhost2|d:22");
  EXPECT_EQ(c.hostname, "localhost2");
  EXPECT_EQ(c.timestamp, 22);
}

// D11/D12/D13: as for events, `host:` and entity-id tags are moved out by the enricher.
TEST(ServiceCheckParserTest, D11HostTagIsLeftForTheEnricher) {
  const ServiceCheck c = MustParseCheck("_sc|agent.up|0|#host:localhost");
  EXPECT_EQ(TagsOf(c.tags), (Strings{"host:localhost"}));
  EXPECT_TRUE(c.hostname.empty());
}

TEST(ServiceCheckParserTest, D12EmptyHostTagIsLeftForTheEnricher) {
  EXPECT_EQ(TagsOf(MustParseCheck("_sc|agent.up|0|#host:,other:tag").tags),
            (Strings{"host:", "other:tag"}));
}

TEST(ServiceCheckParserTest, D13EntityIdTagIsLeftForTheEnricher) {
  const ServiceCheck c = MustParseCheck(
      "_sc|agent.up|0|d:21|h:localhost|#tag1:test,tag2,dd.internal.entity_id:testID|"
      "m:this is fine");
  EXPECT_EQ(TagsOf(c.tags), (Strings{"tag1:test", "tag2", "dd.internal.entity_id:testID"}));
  EXPECT_EQ(c.message, "this is fine");
}

TEST(ServiceCheckParserTest, D14OnlyTheValidCheckOfAPacketSurvives) {
  const PacketOutcome out = ParsePacket(
      "_sc|agen.down\n"
      "_sc|agent.up|0|d:12345|h:localhost|m:this is fine|"
      "#sometag1:somevalyyue1,sometag2:somevalue2");
  EXPECT_EQ(out.service_checks, 1u);
  EXPECT_EQ(out.service_check_errors, 1u);
  const ServiceCheck c = MustParseCheck(
      "_sc|agent.up|0|d:12345|h:localhost|m:this is fine|"
      "#sometag1:somevalyyue1,sometag2:somevalue2");
  EXPECT_EQ(c.message, "this is fine");  // `m:` before `#` works
  EXPECT_EQ(TagsOf(c.tags), (Strings{"sometag1:somevalyyue1", "sometag2:somevalue2"}));
}

TEST(ServiceCheckParserTest, OriginFieldsOnlyWhenEnabled) {
  const std::string line = "_sc|a|0|c:ci-1|card:orchestrator|m:ok";
  const ServiceCheck on = MustParseCheck(line, kOriginClient);
  EXPECT_EQ(on.container_id, "ci-1");
  EXPECT_EQ(on.cardinality, "orchestrator");
  EXPECT_EQ(on.message, "ok");
  EXPECT_TRUE(MustParseCheck(line).container_id.empty());
}

TEST(ClassifyTest, UsesTheFirstThreeBytes) {
  EXPECT_EQ(Classify("_e{1,1}:a|b"), MessageKind::kEvent);
  EXPECT_EQ(Classify("_sc|a|0"), MessageKind::kServiceCheck);
  EXPECT_EQ(Classify("_scanner:1|c"), MessageKind::kServiceCheck);
  EXPECT_EQ(Classify("_e:1|c"), MessageKind::kMetric);
  EXPECT_EQ(Classify("random gibberish"), MessageKind::kMetric);
  EXPECT_EQ(Classify(""), MessageKind::kMetric);
}

}  // namespace
}  // namespace sidecar::statsd
