#include "logs/processing_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <chrono>

#include "tests/testing/status_matchers.h"

namespace sidecar::logs {
namespace {

using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

LogRecord Line(std::string message, std::string tag = "app-firelens-abc",
               std::string source = "stdout") {
  LogRecord record;
  record.tag = std::move(tag);
  record.message = std::move(message);
  record.attributes["source"] = std::move(source);
  return record;
}

ProcessingRules MustCreate(std::vector<RuleSpec> specs) {
  auto rules = ProcessingRules::Create(specs);
  EXPECT_THAT(rules, IsOk());
  return std::move(*rules);
}

TEST(ProcessingRulesTest, ExcludeAtMatchDropsMatchingLinesAnywhere) {
  ProcessingRules rules = MustCreate({{RuleType::kExcludeAtMatch, "no_health", "GET /health"}});
  LogRecord health = Line("10.0.0.1 - GET /health 200");
  LogRecord other = Line("10.0.0.1 - GET /orders 200");
  EXPECT_FALSE(rules.Apply(health));
  EXPECT_TRUE(rules.Apply(other));
}

TEST(ProcessingRulesTest, IncludeAtMatchKeepsOnlyMatchingLinesAndSeveralRulesMustAllMatch) {
  ProcessingRules rules = MustCreate({{RuleType::kIncludeAtMatch, "errors", "ERROR|WARN"},
                                      {RuleType::kIncludeAtMatch, "payments", "payment"}});
  LogRecord both = Line("ERROR payment failed");
  LogRecord one = Line("ERROR cart failed");
  LogRecord none = Line("INFO all good");
  EXPECT_TRUE(rules.Apply(both));
  EXPECT_FALSE(rules.Apply(one));
  EXPECT_FALSE(rules.Apply(none));
}

// B5.3 example rule: mask_sequences with a literal placeholder.
TEST(ProcessingRulesTest, MaskSequencesReplacesEveryMatch) {
  ProcessingRules rules = MustCreate(
      {{RuleType::kMaskSequences, "mask_api_key", "api_key=[A-Za-z0-9]{32}", "[REDACTED]"}});
  LogRecord record = Line(
      "a api_key=0123456789abcdef0123456789abcdef b "
      "api_key=ffffffffffffffffffffffffffffffff");
  EXPECT_TRUE(rules.Apply(record));
  EXPECT_EQ(record.message, "a [REDACTED] b [REDACTED]");
}

TEST(ProcessingRulesTest, MaskSequencesExpandsCaptureGroupsLikeGo) {
  ProcessingRules rules =
      MustCreate({{RuleType::kMaskSequences, "mask_card", R"((\d{4})-\d{4}-\d{4}-(?P<last>\d{4}))",
                   "${1}-XXXX-XXXX-$last"}});
  LogRecord record = Line("card 1234-5678-9012-3456 charged");
  EXPECT_TRUE(rules.Apply(record));
  EXPECT_EQ(record.message, "card 1234-XXXX-XXXX-3456 charged");
}

TEST(ProcessingRulesTest, ReplaceAllGoHandlesDollarEscapesUnknownGroupsAndEmptyMatches) {
  re2::RE2 word(R"((\w+)@(\w+))");
  // $$ is a literal dollar; $1x names group "1x", which does not exist, so it expands to nothing
  // (Go's rule); ${1}x is group 1 then "x"; a lone '$' before a non-name stays.
  EXPECT_EQ(ReplaceAllGo(word, "joe@example", "$$ $1x ${1}x $2 $-"), "$  joex example $-");
  re2::RE2 empty("x*");
  // Go: ReplaceAllString("abc", "-") with `x*` gives "-a-b-c-".
  EXPECT_EQ(ReplaceAllGo(empty, "abc", "-"), "-a-b-c-");
  // Go: `a*` on "baaac" with "-" gives "-b-c-" (the empty match after "aaa" is not replaced).
  re2::RE2 as("a*");
  EXPECT_EQ(ReplaceAllGo(as, "baaac", "-"), "-b-c-");
}

// B5-4: rules apply in order; a later include sees the text an earlier mask produced.
TEST(ProcessingRulesTest, RulesApplyInOrderOnTheMaskedText) {
  ProcessingRules rules = MustCreate({{RuleType::kMaskSequences, "mask", "secret=\\S+", "masked"},
                                      {RuleType::kExcludeAtMatch, "drop_masked", "^masked$"}});
  LogRecord record = Line("secret=hunter2");
  EXPECT_FALSE(rules.Apply(record));
  EXPECT_EQ(record.message, "masked");
}

TEST(ProcessingRulesTest, ExcludeTruncatedDropsCutAndOversizedMessages) {
  auto rules = ProcessingRules::Create({{RuleType::kExcludeTruncated, "no_truncated"}}, 10);
  ASSERT_THAT(rules, IsOk());
  LogRecord cut = Line(std::string("abc") + std::string(kTruncatedFlag));
  LogRecord long_line = Line(std::string(11, 'x'));
  LogRecord fine = Line(std::string(10, 'x'));
  EXPECT_FALSE(rules->Apply(cut));
  EXPECT_FALSE(rules->Apply(long_line));
  EXPECT_TRUE(rules->Apply(fine));
}

TEST(ProcessingRulesTest, InvalidRegexIsAnErrorNamingTheRule) {
  auto rules = ProcessingRules::Create({{RuleType::kExcludeAtMatch, "broken", "(unclosed"}});
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("broken")));
  auto missing = ProcessingRules::Create({{RuleType::kMaskSequences, "no_pattern", ""}});
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no_pattern")));
  auto unnamed = ProcessingRules::Create({{RuleType::kExcludeAtMatch, "", "x"}});
  EXPECT_THAT(unnamed, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProcessingRulesTest, NoRulesKeepEverything) {
  ProcessingRules rules = MustCreate({});
  LogRecord record = Line("anything");
  EXPECT_TRUE(rules.empty());
  EXPECT_TRUE(rules.Apply(record));
  EXPECT_EQ(record.message, "anything");
}

class MultiLineTest : public ::testing::Test {
 protected:
  MultiLineAggregator Make(MultiLineOptions options) {
    auto aggregator = MultiLineAggregator::Create(std::move(options));
    EXPECT_THAT(aggregator, IsOk());
    return std::move(*aggregator);
  }
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
  std::vector<LogRecord> out_;
};

std::vector<std::string> Messages(const std::vector<LogRecord>& records) {
  std::vector<std::string> messages;
  for (const LogRecord& record : records) {
    messages.push_back(record.message);
  }
  return messages;
}

TEST_F(MultiLineTest, JoinsContinuationLinesUntilTheNextStartLine) {
  MultiLineAggregator aggregator = Make({.pattern = R"(\d{4}-\d{2}-\d{2})"});
  aggregator.Add(Line("2026-01-01 ERROR boom"), now_, out_);
  aggregator.Add(Line("  at Foo.bar(Foo.java:1)"), now_, out_);
  aggregator.Add(Line("  at Foo.main(Foo.java:9)"), now_, out_);
  EXPECT_THAT(out_, IsEmpty());
  aggregator.Add(Line("2026-01-01 INFO next"), now_, out_);
  EXPECT_THAT(
      Messages(out_),
      ElementsAre("2026-01-01 ERROR boom\n  at Foo.bar(Foo.java:1)\n  at Foo.main(Foo.java:9)"));
  aggregator.FlushAll(out_);
  EXPECT_THAT(Messages(out_), SizeIs(2));
  EXPECT_EQ(out_[1].message, "2026-01-01 INFO next");
}

TEST_F(MultiLineTest, PatternMustMatchAtTheStartOfTheLine) {
  MultiLineAggregator aggregator = Make({.pattern = "START"});
  aggregator.Add(Line("START one"), now_, out_);
  aggregator.Add(Line("not START"), now_, out_);  // Matches, but not at the start: joins.
  aggregator.FlushAll(out_);
  EXPECT_THAT(Messages(out_), ElementsAre("START one\nnot START"));
}

TEST_F(MultiLineTest, FlushesAPendingMessageAfterTheTimeout) {
  MultiLineAggregator aggregator = Make({.pattern = "START", .flush_timeout = milliseconds(1000)});
  aggregator.Add(Line("START one"), now_, out_);
  aggregator.Add(Line("more"), now_ + milliseconds(600), out_);
  // Idle time counts from the last line joined, not the first.
  aggregator.FlushStale(now_ + milliseconds(1500), out_);
  EXPECT_THAT(out_, IsEmpty());
  aggregator.FlushStale(now_ + milliseconds(1600), out_);
  EXPECT_THAT(Messages(out_), ElementsAre("START one\nmore"));
  EXPECT_EQ(aggregator.pending_streams(), 0u);
}

TEST_F(MultiLineTest, KeepsStreamsOfDifferentContainersAndStdioApart) {
  MultiLineAggregator aggregator = Make({.pattern = "START"});
  aggregator.Add(Line("START a", "a-firelens-1"), now_, out_);
  aggregator.Add(Line("START b", "b-firelens-1"), now_, out_);
  aggregator.Add(Line("START a-err", "a-firelens-1", "stderr"), now_, out_);
  aggregator.Add(Line("a2", "a-firelens-1"), now_, out_);
  aggregator.Add(Line("b2", "b-firelens-1"), now_, out_);
  aggregator.Add(Line("e2", "a-firelens-1", "stderr"), now_, out_);
  aggregator.FlushAll(out_);
  EXPECT_THAT(Messages(out_),
              ::testing::UnorderedElementsAre("START a\na2", "START b\nb2", "START a-err\ne2"));
}

TEST_F(MultiLineTest, CutsAMessageAtTheSizeLimitWithTruncatedMarkers) {
  MultiLineAggregator aggregator = Make({.pattern = "S", .max_message_bytes = 20});
  aggregator.Add(Line("S 123456789"), now_, out_);  // 11 bytes.
  aggregator.Add(Line("abcdefgh"), now_, out_);     // 11 + 1 + 8 = 20: fits.
  aggregator.Add(Line("xyz"), now_, out_);          // Would exceed: cut.
  aggregator.FlushAll(out_);
  EXPECT_THAT(Messages(out_),
              ElementsAre("S 123456789\nabcdefgh...TRUNCATED...", "...TRUNCATED...xyz"));
}

TEST_F(MultiLineTest, BoundsTheNumberOfPendingStreams) {
  MultiLineAggregator aggregator = Make({.pattern = "S", .max_streams = 2});
  aggregator.Add(Line("S1", "a-firelens-1"), now_, out_);
  aggregator.Add(Line("S2", "b-firelens-1"), now_ + milliseconds(1), out_);
  aggregator.Add(Line("S3", "c-firelens-1"), now_ + milliseconds(2), out_);
  EXPECT_EQ(aggregator.pending_streams(), 2u);
  EXPECT_THAT(Messages(out_), ElementsAre("S1"));  // The least recently fed stream goes first.
}

TEST_F(MultiLineTest, InvalidOrEmptyPatternIsAnError) {
  EXPECT_THAT(MultiLineAggregator::Create({.pattern = "(("}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MultiLineAggregator::Create({.pattern = ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace sidecar::logs
