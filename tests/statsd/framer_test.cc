// Packet framing, spec §1.1 (and B06/B07 of §14.B; the other B cases are in parser_test.cc).
#include "statsd/framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sidecar::statsd {
namespace {

std::vector<std::string> Lines(std::string_view packet, bool eol_required,
                               FrameStats* stats_out = nullptr) {
  std::vector<std::string> lines;
  const FrameStats stats = ForEachLine(packet, FramerOptions{.eol_required = eol_required},
                                       [&](std::string_view line) { lines.emplace_back(line); });
  if (stats_out != nullptr) {
    *stats_out = stats;
  }
  return lines;
}

using Strings = std::vector<std::string>;

// B06: CR before LF is stripped, and the unterminated last line is kept by default.
TEST(FramerTest, B06SplitsOnNewlineAndStripsOneCarriageReturn) {
  FrameStats stats;
  EXPECT_EQ(Lines("foo\nbar\r\nbaz\r\nquz\nhax", false, &stats),
            (Strings{"foo", "bar", "baz", "quz", "hax"}));
  EXPECT_EQ(stats.lines, 5u);
  EXPECT_EQ(stats.unterminated_dropped, 0u);
}

// B07: with line ends required, the last line without '\n' (even with '\r') is dropped and counted.
TEST(FramerTest, B07DropsUnterminatedLastLineWhenEolRequired) {
  FrameStats stats;
  EXPECT_EQ(Lines("foo\nbar\r\nbaz\r\nquz\nhax\r", true, &stats),
            (Strings{"foo", "bar", "baz", "quz"}));
  EXPECT_EQ(stats.lines, 4u);
  EXPECT_EQ(stats.unterminated_dropped, 1u);
}

TEST(FramerTest, EolRequiredKeepsFullyTerminatedPacket) {
  FrameStats stats;
  EXPECT_EQ(Lines("foo\nbar\r\nbaz\r\nquz\nhax\r\n", true, &stats),
            (Strings{"foo", "bar", "baz", "quz", "hax"}));
  EXPECT_EQ(stats.unterminated_dropped, 0u);
}

TEST(FramerTest, SkipsEmptyLinesSilently) {
  FrameStats stats;
  EXPECT_EQ(Lines("\na\n\n\r\nb\n\n", false, &stats), (Strings{"a", "b"}));
  EXPECT_EQ(stats.empty_lines, 4u);
  EXPECT_EQ(stats.unterminated_dropped, 0u);
}

TEST(FramerTest, StripsOnlyOneCarriageReturn) {
  EXPECT_EQ(Lines("a\r\r\nb\rc", false), (Strings{"a\r", "b\rc"}));
}

TEST(FramerTest, EmptyPacketHasNoLines) {
  FrameStats stats;
  EXPECT_TRUE(Lines("", true, &stats).empty());
  EXPECT_EQ(stats.unterminated_dropped, 0u);
}

TEST(FramerTest, CursorReturnsViewsIntoThePacket) {
  const std::string packet = "a:1|c\nb:2|c";
  Framer framer(packet);
  const std::optional<std::string_view> first = framer.Next();
  const std::optional<std::string_view> second = framer.Next();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->data(), packet.data());
  EXPECT_EQ(second->data(), packet.data() + 6);
  EXPECT_FALSE(framer.Next().has_value());
  EXPECT_FALSE(framer.Next().has_value());  // stays exhausted
  EXPECT_FALSE(framer.dropped_unterminated());
}

}  // namespace
}  // namespace sidecar::statsd
