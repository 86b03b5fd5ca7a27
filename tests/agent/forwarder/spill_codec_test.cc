#include "agent/forwarder/spill_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sidecar::forwarder {
namespace {

SpillRecord Record(std::string body, Priority priority = Priority::kNormal) {
  SpillRecord record;
  record.intake = Intake::kLogs;
  record.priority = priority;
  record.endpoint_index = 2;
  record.created_unix_ms = 1700000000123;
  record.item_count = 42;
  record.endpoint_base_url = "https://http-intake.logs.datadoghq.com";
  record.route = "/api/v2/logs";
  record.kind = "logs";
  record.content_type = "application/json";
  record.content_encoding = "zstd";
  record.headers = {{"DD-Agent-Payload", "5.0.1"}, {"X-Empty", ""}};
  record.body = std::move(body);
  return record;
}

TEST(SpillCodecTest, RoundTripsEveryField) {
  const std::vector<SpillRecord> records = {Record(std::string("a\0b", 3), Priority::kHigh),
                                            Record(std::string(5000, 'z'))};
  const DecodedSpillFile decoded = DecodeSpillFile(EncodeSpillFile(records));
  EXPECT_TRUE(decoded.header_ok);
  EXPECT_EQ(decoded.declared_records, 2u);
  EXPECT_EQ(decoded.corrupt_records, 0u);
  EXPECT_EQ(decoded.records, records);
}

TEST(SpillCodecTest, EmptyBatchIsAValidFile) {
  const DecodedSpillFile decoded = DecodeSpillFile(EncodeSpillFile({}));
  EXPECT_TRUE(decoded.header_ok);
  EXPECT_TRUE(decoded.records.empty());
  EXPECT_EQ(decoded.corrupt_records, 0u);
}

TEST(SpillCodecTest, EveryTruncationKeepsOnlyWholeRecordsAndCountsTheRest) {
  const std::vector<SpillRecord> records = {Record("first"), Record("second")};
  const std::string bytes = EncodeSpillFile(records);
  for (size_t size = 0; size < bytes.size(); ++size) {
    const DecodedSpillFile decoded = DecodeSpillFile(std::string_view(bytes).substr(0, size));
    ASSERT_LE(decoded.records.size(), 1u) << size;
    if (!decoded.records.empty()) {
      EXPECT_EQ(decoded.records[0], records[0]);
    }
    EXPECT_GE(decoded.corrupt_records, 1u) << size;
    if (decoded.header_ok) {
      EXPECT_EQ(decoded.records.size() + decoded.corrupt_records, 2u) << size;
    }
  }
}

TEST(SpillCodecTest, FlippedByteInASecondRecordKeepsTheFirst) {
  const std::vector<SpillRecord> records = {Record("first"), Record("second-record-body")};
  std::string bytes = EncodeSpillFile(records);
  bytes[bytes.size() - 3] ^= 0x40;  // Inside the last record's body.
  const DecodedSpillFile decoded = DecodeSpillFile(bytes);
  ASSERT_EQ(decoded.records.size(), 1u);
  EXPECT_EQ(decoded.records[0], records[0]);
  EXPECT_EQ(decoded.corrupt_records, 1u);
}

TEST(SpillCodecTest, CorruptedLengthIsCaughtByTheCrc) {
  std::string bytes = EncodeSpillFile({Record("only")});
  bytes[kSpillHeaderBytes] ^= 0x01;  // The record's length field.
  const DecodedSpillFile decoded = DecodeSpillFile(bytes);
  EXPECT_TRUE(decoded.records.empty());
  EXPECT_EQ(decoded.corrupt_records, 1u);
}

TEST(SpillCodecTest, BadMagicVersionOrHeaderCrcRejectsTheFile) {
  const std::string good = EncodeSpillFile({Record("x")});
  for (size_t index : {0u, 4u, 8u, 12u}) {
    std::string bytes = good;
    bytes[index] ^= 0x01;
    const DecodedSpillFile decoded = DecodeSpillFile(bytes);
    EXPECT_FALSE(decoded.header_ok) << index;
    EXPECT_TRUE(decoded.records.empty()) << index;
    EXPECT_EQ(decoded.corrupt_records, 1u) << index;
  }
  EXPECT_FALSE(DecodeSpillHeader("SCSP").ok);
}

TEST(SpillCodecTest, RandomBytesNeverCrashOrDecodeAnything) {
  std::mt19937 random(7);
  const std::string good = EncodeSpillFile({Record("seed"), Record("more")});
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = good;
    // Mutate a few bytes after the header, so the record decoder is what gets exercised.
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i) {
      bytes[kSpillHeaderBytes + random() % (bytes.size() - kSpillHeaderBytes)] =
          static_cast<char>(random());
    }
    const DecodedSpillFile decoded = DecodeSpillFile(bytes);
    EXPECT_EQ(decoded.records.size() + decoded.corrupt_records, 2u);
  }
}

}  // namespace
}  // namespace sidecar::forwarder
