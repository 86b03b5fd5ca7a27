// AppendJsonString writes strings as Go's encoding/json does (the Agent's encoders are Go), which
// for valid text other than U+2028/U+2029 is what nlohmann writes too.
#include "agent/common/json_writer.h"

#include <random>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace sidecar::common {
namespace {

std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

TEST(AppendJsonStringTest, EscapesLikeGo) {
  EXPECT_EQ(Escaped("plain"), "\"plain\"");
  EXPECT_EQ(Escaped("quote \" and \\"), "\"quote \\\" and \\\\\"");
  EXPECT_EQ(Escaped("a\tb\nc\r"), "\"a\\tb\\nc\\r\"");
  EXPECT_EQ(Escaped(std::string_view("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(Escaped("ünicöde ✓ 🐨"), "\"ünicöde ✓ 🐨\"");
  EXPECT_EQ(Escaped("line\xE2\x80\xA8sep"), "\"line\\u2028sep\"");
}

TEST(AppendJsonStringTest, ReplacesEachInvalidByte) {
  EXPECT_EQ(Escaped("a\xff"
                    "b"),
            "\"a\\ufffdb\"");
  EXPECT_EQ(Escaped("\xC0\xAF"), "\"\\ufffd\\ufffd\"");  // overlong '/'
  EXPECT_EQ(Escaped("cut \xE2\x9C"), "\"cut \\ufffd\\ufffd\"");
}

TEST(AppendJsonStringTest, AnyBytesGiveJsonThatParsesBackToTheValidText) {
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(static_cast<size_t>(random() % 40), '\0');
    for (char& c : bytes) c = static_cast<char>(random() & 0xFF);
    const auto parsed = nlohmann::json::parse(Escaped(bytes), nullptr, false);
    ASSERT_TRUE(parsed.is_string()) << "round " << round;
  }
  const std::string valid = "tab\there \"q\" ✓";
  EXPECT_EQ(nlohmann::json::parse(Escaped(valid)).get<std::string>(), valid);
}

TEST(AppendJsonIntTest, WritesDecimal) {
  std::string out;
  AppendJsonInt(out, -12);
  out.push_back(',');
  AppendJsonInt(out, 1735689600123);
  EXPECT_EQ(out, "-12,1735689600123");
}

}  // namespace
}  // namespace sidecar::common
