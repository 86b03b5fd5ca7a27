// Go strconv grammars used by the DogStatsD parser (spec §2.1 step 5): values and `@` rates go
// through ParseFloat(s, 64), `T`, `d:` and event lengths through ParseInt(s, 10, 64).
#include "statsd/go_number.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <ostream>
#include <string>

namespace sidecar::statsd::internal {
namespace {

struct FloatCase {
  std::string name;
  std::string_view text;
  double expected;
};
void PrintTo(const FloatCase& c, std::ostream* os) { *os << c.text; }

class GoFloatAcceptTest : public testing::TestWithParam<FloatCase> {};

TEST_P(GoFloatAcceptTest, ParsesLikeGo) {
  const std::optional<double> value = ParseGoFloat(GetParam().text);
  ASSERT_TRUE(value.has_value()) << GetParam().text;
  if (std::isnan(GetParam().expected)) {
    EXPECT_TRUE(std::isnan(*value));
  } else {
    EXPECT_EQ(*value, GetParam().expected) << GetParam().text;
    EXPECT_EQ(std::signbit(*value), std::signbit(GetParam().expected)) << GetParam().text;
  }
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

INSTANTIATE_TEST_SUITE_P(
    Table, GoFloatAcceptTest,
    testing::Values(
        FloatCase{"Integer", "666", 666}, FloatCase{"PlusSign", "+5", 5},
        FloatCase{"MinusSign", "-5", -5}, FloatCase{"NegativeZero", "-0", -0.0},
        FloatCase{"Decimal", "12.75", 12.75}, FloatCase{"LeadingDot", ".5", 0.5},
        FloatCase{"TrailingDot", "5.", 5}, FloatCase{"SignedLeadingDot", "-.5", -0.5},
        FloatCase{"Exponent", "1e3", 1000}, FloatCase{"UpperExponent", "1E3", 1000},
        FloatCase{"SignedExponent", "25e-1", 2.5}, FloatCase{"LeadingZeros", "00012", 12},
        FloatCase{"Max", "1.7976931348623157e308", std::numeric_limits<double>::max()},
        FloatCase{"Subnormal", "4.9e-324", std::numeric_limits<double>::denorm_min()},
        FloatCase{"UnderflowIsZero", "1e-400", 0.0},
        FloatCase{"NegativeUnderflowIsNegativeZero", "-2e-324", -0.0},
        FloatCase{"ZeroWithHugeExponent", "0e99999", 0.0},
        FloatCase{"LongMantissa", "0.1000000000000000055511151231257827021181583404541015625", 0.1},
        FloatCase{"Hex", "0x1p-2", 0.25}, FloatCase{"HexUpper", "0X1P+2", 4},
        FloatCase{"HexFraction", "0x1.8p1", 3}, FloatCase{"HexLeadingDot", "0x.8p1", 1},
        FloatCase{"HexNegative", "-0xAp0", -10},
        FloatCase{"HexMax", "0x1.fffffffffffffp1023", std::numeric_limits<double>::max()},
        FloatCase{"HexSubnormal", "0x1p-1074", std::numeric_limits<double>::denorm_min()},
        FloatCase{"HexTiesToEven", "0x1.00000000000008p0", 1.0},
        FloatCase{"HexRoundsUp", "0x1.00000000000018p0", 1.0 + 2 * 0x1p-52},
        FloatCase{"Underscores", "1_000", 1000},
        FloatCase{"UnderscoresInFraction", "1_0.5_0", 10.5},
        FloatCase{"UnderscoreInExponent", "1e1_0", 1e10},
        FloatCase{"UnderscoreAfterHexPrefix", "0x_1p0", 1},
        FloatCase{"UnderscoreInHex", "0x1_0p0", 16}, FloatCase{"Inf", "Inf", kInf},
        FloatCase{"PlusInf", "+inf", kInf}, FloatCase{"MinusInfinity", "-Infinity", -kInf},
        FloatCase{"InfinityUpper", "INFINITY", kInf}, FloatCase{"NaN", "NaN", kNaN},
        FloatCase{"NanLower", "nan", kNaN}),
    [](const testing::TestParamInfo<FloatCase>& param_info) { return param_info.param.name; });

struct RejectCase {
  std::string name;
  std::string text;
};
void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.text; }

class GoFloatRejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(GoFloatRejectTest, RejectsLikeGo) {
  EXPECT_FALSE(ParseGoFloat(GetParam().text).has_value()) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, GoFloatRejectTest,
    testing::Values(
        RejectCase{"Empty", ""}, RejectCase{"SignOnly", "+"}, RejectCase{"MinusOnly", "-"},
        RejectCase{"LeadingSpace", " 1"}, RejectCase{"TrailingSpace", "1 "},
        RejectCase{"Comma", "1,5"}, RejectCase{"TwoDots", "1.2.3"}, RejectCase{"Word", "abc"},
        RejectCase{"DanglingExponent", "1e"}, RejectCase{"DanglingExponentSign", "1e+"},
        RejectCase{"ExponentOnly", "e5"}, RejectCase{"DotOnly", "."}, RejectCase{"SignDot", "-."},
        RejectCase{"TwoSigns", "+-5"}, RejectCase{"DoubleMinus", "--5"},
        RejectCase{"FractionalExponent", "1e5.0"}, RejectCase{"Suffix", "1f"},
        RejectCase{"HexPrefixOnly", "0x"}, RejectCase{"HexWithoutExponent", "0x1"},
        RejectCase{"HexFractionNoExponent", "0x1.8"}, RejectCase{"HexDanglingExponent", "0x1p"},
        RejectCase{"HexNoDigits", "0xp1"}, RejectCase{"HexDecimalExponent", "0x1e5"},
        RejectCase{"Binary", "0b101"}, RejectCase{"Octal", "0o7"},
        RejectCase{"LeadingUnderscore", "_1"}, RejectCase{"TrailingUnderscore", "1_"},
        RejectCase{"DoubleUnderscore", "1__0"}, RejectCase{"UnderscoreBeforeDot", "1_.5"},
        RejectCase{"UnderscoreAfterDot", "1._5"}, RejectCase{"UnderscoreBeforeExponent", "1_e5"},
        RejectCase{"UnderscoreAfterExponent", "1e_5"}, RejectCase{"SignUnderscore", "+_1"},
        RejectCase{"HexUnderscoreBeforeExponent", "0x1_p0"}, RejectCase{"SignedNaN", "+nan"},
        RejectCase{"NegativeNaN", "-NaN"}, RejectCase{"Infin", "infin"}, RejectCase{"In", "in"},
        RejectCase{"NaNSuffix", "nan1"}, RejectCase{"InfUnderscore", "inf_"},
        RejectCase{"Overflow", "1e400"}, RejectCase{"NegativeOverflow", "-1e400"},
        RejectCase{"OverflowAfterRounding", "1.7976931348623159e308"},
        RejectCase{"LongIntegerOverflow", "1" + std::string(400, '0')},
        RejectCase{"HexOverflow", "0x1p1024"},
        RejectCase{"HexOverflowAfterRounding", "0x1.fffffffffffff8p1023"},
        RejectCase{"NonAsciiDigit", "\xd9\xa1"}),
    [](const testing::TestParamInfo<RejectCase>& param_info) { return param_info.param.name; });

TEST(GoFloatTest, AcceptsLongUnderscoredLiteral) {
  std::string text = "1";
  for (int i = 0; i < 100; ++i) {
    text += "_0";
  }
  const std::optional<double> value = ParseGoFloat(text);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, 1e100);
}

// Short plain decimals take a fast path (integer / power of ten); it must round exactly like the
// general one. strtod is the reference (correctly rounded, same grammar for these strings).
TEST(GoFloatTest, PlainDecimalsRoundLikeStrtod) {
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int i = 0; i < 200'000; ++i) {
    const size_t digits = 1 + next() % 17;  // Up to 17: past the fast path's 15-digit limit too.
    std::string text;
    if (next() % 4 == 0) {
      text += '-';
    }
    for (size_t d = 0; d < digits; ++d) {
      text += static_cast<char>('0' + next() % 10);
    }
    if (next() % 2 == 0) {
      text.insert(text.size() - next() % digits, 1, '.');
    }
    const std::optional<double> value = ParseGoFloat(text);
    ASSERT_TRUE(value.has_value()) << text;
    const double expected = std::strtod(text.c_str(), nullptr);
    EXPECT_EQ(*value, expected) << text;
    EXPECT_EQ(std::signbit(*value), std::signbit(expected)) << text;
  }
}

TEST(GoFloatTest, PlainDecimalEdgeCases) {
  EXPECT_EQ(ParseGoFloat("999999999999999"), 999999999999999.0);
  EXPECT_EQ(ParseGoFloat("0.000000000000001"), 1e-15);
  EXPECT_EQ(ParseGoFloat("0.1"), 0.1);
  EXPECT_EQ(ParseGoFloat("1."), 1.0);
  EXPECT_EQ(ParseGoFloat(".5"), 0.5);
  EXPECT_TRUE(std::signbit(*ParseGoFloat("-0")));
  EXPECT_FALSE(ParseGoFloat(".").has_value());
  EXPECT_FALSE(ParseGoFloat("1..2").has_value());
  EXPECT_FALSE(ParseGoFloat("1.2.3").has_value());
}

TEST(GoInt64Test, AcceptsSignedDecimalIntegers) {
  EXPECT_EQ(ParseGoInt64("0"), 0);
  EXPECT_EQ(ParseGoInt64("+12"), 12);
  EXPECT_EQ(ParseGoInt64("-5"), -5);
  EXPECT_EQ(ParseGoInt64("0001"), 1);
  EXPECT_EQ(ParseGoInt64("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseGoInt64("-9223372036854775808"), std::numeric_limits<int64_t>::min());
}

TEST(GoInt64Test, RejectsEverythingElse) {
  for (const std::string_view text :
       {"", "+", "-", "1_2", "12a", " 1", "1 ", "1.0", "0x10", "1e3", "9223372036854775808",
        "-9223372036854775809", "99999999999999999999"}) {
    EXPECT_FALSE(ParseGoInt64(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace sidecar::statsd::internal
