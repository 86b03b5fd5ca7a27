// PartialReassembler: Docker's 16 KiB pieces (partial_message/partial_id/partial_ordinal/
// partial_last, ecs-logs.md B4.1) joined back into one line (B4.3 item 5), within bounds.
#include "logs/partial_reassembler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace sidecar::logs {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;
using TimePoint = PartialReassembler::TimePoint;

const TimePoint kStart = TimePoint(std::chrono::hours(1));

LogRecord Piece(const std::string& id, int ordinal, bool last, const std::string& text,
                const std::string& tag = "app-firelens-1") {
  LogRecord record;
  record.tag = tag;
  record.timestamp_ns = 1000 + ordinal;
  record.message = text;
  record.attributes = {{"partial_message", "true"},
                       {"partial_id", id},
                       {"partial_ordinal", std::to_string(ordinal)},
                       {"partial_last", last ? "true" : "false"},
                       {"source", "stdout"}};
  return record;
}

LogRecord Whole(const std::string& text) {
  LogRecord record;
  record.tag = "app-firelens-1";
  record.message = text;
  record.attributes = {{"source", "stdout"}};
  return record;
}

TEST(PartialReassemblerTest, RecordsThatAreNotPiecesPassThrough) {
  PartialReassembler partials;
  std::vector<LogRecord> out;
  partials.Add(Whole("plain"), kStart, out);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message, "plain");
  EXPECT_TRUE(partials.empty());
}

TEST(PartialReassemblerTest, JoinsPiecesInOrder) {
  PartialReassembler partials;
  std::vector<LogRecord> out;
  partials.Add(Piece("p1", 1, false, "aaa"), kStart, out);
  partials.Add(Piece("p1", 2, false, "bbb"), kStart, out);
  EXPECT_THAT(out, IsEmpty());
  EXPECT_EQ(partials.held_bytes(), 6u);
  partials.Add(Piece("p1", 3, true, "c"), kStart, out);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message, "aaabbbc");
  EXPECT_EQ(out[0].timestamp_ns, 1001);                                  // The first piece's time.
  EXPECT_EQ(out[0].attributes, nlohmann::json({{"source", "stdout"}}));  // partial_* removed.
  EXPECT_TRUE(partials.empty());
  EXPECT_EQ(partials.held_bytes(), 0u);
  EXPECT_EQ(partials.stats().joined, 1u);
}

TEST(PartialReassemblerTest, JoinsPiecesArrivingOutOfOrder) {
  PartialReassembler partials;
  std::vector<LogRecord> out;
  partials.Add(Piece("p1", 3, true, "3"), kStart, out);
  partials.Add(Piece("p1", 1, false, "1"), kStart, out);
  EXPECT_THAT(out, IsEmpty());
  partials.Add(Piece("p1", 2, false, "2"), kStart, out);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message, "123");
  EXPECT_EQ(out[0].timestamp_ns, 1001);
}

TEST(PartialReassemblerTest, GroupsAreKeptApartByTagAndId) {
  PartialReassembler partials;
  std::vector<LogRecord> out;
  partials.Add(Piece("p1", 1, false, "a1", "tag-a"), kStart, out);
  partials.Add(Piece("p1", 1, false, "b1", "tag-b"), kStart, out);
  partials.Add(Piece("p2", 1, false, "c1", "tag-a"), kStart, out);
  partials.Add(Piece("p1", 2, true, "b2", "tag-b"), kStart, out);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message, "b1b2");
  EXPECT_EQ(out[0].tag, "tag-b");
}

TEST(PartialReassemblerTest, MissingLastPieceIsFlushedWhenStale) {
  PartialReassembler partials(PartialLimits{.max_age = std::chrono::seconds(5)});
  std::vector<LogRecord> out;
  partials.Add(Piece("p1", 1, false, "head"), kStart, out);
  partials.Add(Piece("p1", 2, false, "-tail"), kStart + std::chrono::seconds(1), out);
  EXPECT_EQ(partials.NextDeadline(), kStart + std::chrono::seconds(5));
  partials.FlushStale(kStart + std::chrono::seconds(4), out);
  EXPECT_THAT(out, IsEmpty());
  partials.FlushStale(kStart + std::chrono::seconds(5), out);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message, "head-tail");
  EXPECT_EQ(partials.stats().stale_flushes, 1u);
  EXPECT_EQ(partials.NextDeadline(), TimePoint::max());
}

TEST(PartialReassemblerTest, FlushAllEmptiesEverything) {
  PartialReassembler partials;
  std::vector<LogRecord> out;
  partials.Add(Piece("p1", 1, false, "x"), kStart, out);
  partials.Add(Piece("p2", 1, false, "y"), kStart, out);
  partials.FlushAll(out);
  EXPECT_THAT(out, SizeIs(2));
  EXPECT_TRUE(partials.empty());
}

TEST(PartialReassemblerTest, MessageOverflowFlushesWhatIsHeld) {
  PartialReassembler partials(PartialLimits{.max_message_bytes = 10});
  std::vector<LogRecord> out;
  partials.Add(Piece("p1", 1, false, "123456"), kStart, out);
  partials.Add(Piece("p1", 2, false, "789012"), kStart, out);  // 12 > 10: flush the first.
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message, "123456");
  EXPECT_EQ(partials.stats().overflow_flushes, 1u);
  partials.Add(Piece("p1", 3, true, "3"), kStart, out);
  ASSERT_THAT(out, SizeIs(2));
  EXPECT_EQ(out[1].message, "7890123");
  EXPECT_TRUE(partials.empty());
}

TEST(PartialReassemblerTest, TotalOverflowFlushesTheOldestGroup) {
  PartialReassembler partials(PartialLimits{.max_message_bytes = 100, .max_total_bytes = 10});
  std::vector<LogRecord> out;
  partials.Add(Piece("old", 1, false, "aaaaaa"), kStart, out);
  partials.Add(Piece("new", 1, false, "bbbbbb"), kStart + std::chrono::seconds(1), out);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message, "aaaaaa");
  EXPECT_EQ(partials.held_bytes(), 6u);
  EXPECT_EQ(partials.stats().overflow_flushes, 1u);
}

TEST(PartialReassemblerTest, SinglePieceMarkedLastIsEmittedAtOnce) {
  PartialReassembler partials;
  std::vector<LogRecord> out;
  partials.Add(Piece("p1", 1, true, "only"), kStart, out);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].message, "only");
}

}  // namespace
}  // namespace sidecar::logs
