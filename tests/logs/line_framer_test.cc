// LineFramer: newline framing of raw TCP log lines with a maximum line length (frame_size).
#include "logs/line_framer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sidecar::logs {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Frame(LineFramer& framer, const std::vector<std::string>& reads) {
  std::vector<std::string> lines;
  for (const std::string& read : reads) {
    framer.Feed(read, lines);
  }
  return lines;
}

TEST(LineFramerTest, SplitsOnNewlinesAcrossReads) {
  LineFramer framer;
  EXPECT_THAT(Frame(framer, {"one\ntw", "o\nthr", "ee\n"}), ElementsAre("one", "two", "three"));
  EXPECT_EQ(framer.buffered_bytes(), 0u);
}

TEST(LineFramerTest, StripsCarriageReturns) {
  LineFramer framer;
  EXPECT_THAT(Frame(framer, {"a\r\nb\r", "\n"}), ElementsAre("a", "b"));
}

TEST(LineFramerTest, SkipsEmptyLines) {
  LineFramer framer;
  EXPECT_THAT(Frame(framer, {"\n\r\na\n\n"}), ElementsAre("a"));
}

TEST(LineFramerTest, LastLineWithoutNewlineIsDeliveredAtClose) {
  LineFramer framer;
  EXPECT_THAT(Frame(framer, {"a\nunterminated"}), ElementsAre("a"));
  std::vector<std::string> lines;
  framer.Finish(lines);
  EXPECT_THAT(lines, ElementsAre("unterminated"));
  lines.clear();
  framer.Finish(lines);
  EXPECT_THAT(lines, IsEmpty());
}

TEST(LineFramerTest, OverlongLinesAreCutAndCounted) {
  LineFramer framer(4);
  EXPECT_THAT(Frame(framer, {"abcdefghij\nxy\n"}), ElementsAre("abcd", "efgh", "ij", "xy"));
  EXPECT_EQ(framer.cut_lines(), 2u);
}

TEST(LineFramerTest, OverlongLineSplitAcrossReadsIsCutTheSameWay) {
  LineFramer framer(4);
  EXPECT_THAT(Frame(framer, {"ab", "cde", "fg", "hij\n"}), ElementsAre("abcd", "efgh", "ij"));
  EXPECT_EQ(framer.cut_lines(), 2u);
  EXPECT_EQ(framer.buffered_bytes(), 0u);
}

TEST(LineFramerTest, LineOfExactlyTheLimitIsNotCut) {
  LineFramer framer(4);
  EXPECT_THAT(Frame(framer, {"abcd\nwxyz\r\n"}), ElementsAre("abcd", "wxyz"));
  EXPECT_EQ(framer.cut_lines(), 0u);
}

TEST(LineFramerTest, CarriageReturnAfterAFullLineWaitsForTheNextByte) {
  LineFramer framer(4);
  // "\r" ends a read right after a full line: a line ending if "\n" follows, content otherwise.
  EXPECT_THAT(Frame(framer, {"abcd\r", "\nefgh\r", "x\n"}), ElementsAre("abcd", "efgh", "\rx"));
  EXPECT_EQ(framer.cut_lines(), 1u);
}

TEST(LineFramerTest, HoldsAtMostTheLimit) {
  LineFramer framer(8);
  std::vector<std::string> lines;
  framer.Feed(std::string(100, 'x'), lines);
  EXPECT_LE(framer.buffered_bytes(), 9u);
  EXPECT_EQ(lines.size(), 12u);  // 96 bytes cut into 12 lines, 4 held.
}

}  // namespace
}  // namespace sidecar::logs
