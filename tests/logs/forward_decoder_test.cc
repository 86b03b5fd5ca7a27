// ForwardDecoder: every recorded client capture (../shared/testdata/clients/logs), byte-at-a-time
// feeding, and the B4.2 wire rules one by one.
#include "logs/forward_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"

#ifndef SIDECAR_SHARED_TESTDATA
#error "SIDECAR_SHARED_TESTDATA must name ../shared/testdata"
#endif

namespace sidecar::logs {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const fs::path kCaptures = fs::path(SIDECAR_SHARED_TESTDATA) / "clients" / "logs";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// ---- a few msgpack writers, enough to build frames by hand
// ---------------------------------------

std::string Be(uint64_t value, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<char>(value >> (8 * i)));
  }
  return out;
}
std::string Str(const std::string& s) {
  if (s.size() < 32) {
    return std::string(1, static_cast<char>(0xa0 | s.size())) + s;
  }
  if (s.size() < 256) {
    return "\xd9" + Be(s.size(), 1) + s;
  }
  return "\xda" + Be(s.size(), 2) + s;
}
std::string Bin(const std::string& s) { return "\xc6" + Be(s.size(), 4) + s; }
std::string Arr(size_t n) { return std::string(1, static_cast<char>(0x90 | n)); }
std::string Map(size_t n) { return std::string(1, static_cast<char>(0x80 | n)); }
std::string Uint(uint32_t v) { return "\xce" + Be(v, 4); }
std::string Nil() { return std::string(1, '\xc0'); }
std::string Float64(double d) {
  uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof(bits));
  return "\xcb" + Be(bits, 8);
}
std::string EventTimeFixext8(uint32_t s, uint32_t ns) {
  return std::string("\xd7\x00", 2) + Be(s, 4) + Be(ns, 4);
}
std::string EventTimeExt8(uint32_t s, uint32_t ns) {
  return std::string("\xc7\x08\x00", 3) + Be(s, 4) + Be(ns, 4);
}
// {"log": line}
std::string LogRecordMap(const std::string& line) { return Map(1) + Str("log") + Str(line); }

std::string Gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(
      deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct Decoded {
  absl::Status status;
  std::vector<ForwardMessage> messages;
};

Decoded FeedAll(const std::string& bytes, ForwardLimits limits = {}) {
  ForwardDecoder decoder(limits);
  Decoded result;
  result.status = decoder.Feed(bytes, result.messages);
  return result;
}

Decoded FeedBytewise(const std::string& bytes, ForwardLimits limits = {}) {
  ForwardDecoder decoder(limits);
  Decoded result;
  for (const char c : bytes) {
    result.status = decoder.Feed(std::string_view(&c, 1), result.messages);
    if (!result.status.ok()) {
      break;
    }
  }
  return result;
}

// ---- recorded captures
// ---------------------------------------------------------------------------

int64_t ExpectedNanos(const Json& time) {
  if (time.is_object()) {
    const Json& et = time.at("$eventtime");
    return et.at("seconds").get<int64_t>() * 1'000'000'000 + et.at("nanoseconds").get<int64_t>();
  }
  if (time.is_string()) {
    return std::stoll(time.get<std::string>()) * 1'000'000'000;
  }
  return time.get<int64_t>() * 1'000'000'000;
}

struct ExpectedRecord {
  std::string tag;
  int64_t timestamp_ns;
  Json record;
};

// What the decoded view says each frame carries.
std::vector<std::vector<ExpectedRecord>> ExpectedFrames(const Json& view) {
  std::vector<std::vector<ExpectedRecord>> frames;
  for (const Json& frame : view.at("frames")) {
    const std::string tag = frame.at("tag");
    const std::string mode = frame.at("mode");
    std::vector<ExpectedRecord> records;
    if (mode == "Message") {
      const Json& decoded = frame.at("decoded");
      records.push_back({tag, ExpectedNanos(decoded[1]), decoded[2]});
    } else {
      const Json& entries = mode == "Forward" ? frame.at("decoded")[1] : frame.at("entries");
      for (const Json& entry : entries) {
        records.push_back({tag, ExpectedNanos(entry[0]), entry[1]});
      }
    }
    frames.push_back(std::move(records));
  }
  return frames;
}

void ExpectMatches(const LogRecord& actual, const ExpectedRecord& expected) {
  EXPECT_EQ(actual.source, LogSource::kForward);
  EXPECT_EQ(actual.tag, expected.tag);
  EXPECT_EQ(actual.timestamp_ns, expected.timestamp_ns);
  Json attributes = expected.record;
  if (expected.record.contains("log")) {
    // FireLens contract: `log` is the message, the rest are attributes.
    EXPECT_EQ(actual.message, expected.record.at("log").get<std::string>());
    attributes.erase("log");
  } else {
    // No `log`: the whole record, as JSON, is the message.
    EXPECT_EQ(Json::parse(actual.message), expected.record);
  }
  EXPECT_EQ(actual.attributes, attributes);
}

std::vector<std::string> CaptureNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kCaptures)) {
    if (entry.path().extension() == ".bin") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class RecordedCaptureTest : public ::testing::TestWithParam<std::string> {};

// B4.2: every mode the Node clients, the Docker driver and Fluent Bit put on the wire.
TEST_P(RecordedCaptureTest, DecodesLikeTheDecodedView) {
  const std::string bytes = ReadFile(kCaptures / (GetParam() + ".bin"));
  const Json view = Json::parse(ReadFile(kCaptures / (GetParam() + ".json")));
  const auto frames = ExpectedFrames(view);
  ASSERT_FALSE(bytes.empty());

  for (const bool bytewise : {false, true}) {
    SCOPED_TRACE(bytewise ? "byte at a time" : "whole capture");
    const Decoded decoded = bytewise ? FeedBytewise(bytes) : FeedAll(bytes);
    ASSERT_THAT(decoded.status, IsOk());
    ASSERT_THAT(decoded.messages, SizeIs(frames.size()));
    std::string acks;
    for (size_t f = 0; f < frames.size(); ++f) {
      const ForwardMessage& message = decoded.messages[f];
      ASSERT_THAT(message.records, SizeIs(frames[f].size()));
      for (size_t r = 0; r < frames[f].size(); ++r) {
        ExpectMatches(message.records[r], frames[f][r]);
      }
      const Json& option = view["frames"][f]["option"];
      if (option.is_object() && option.contains("chunk")) {
        ASSERT_TRUE(message.ack_chunk.has_value());
        EXPECT_EQ(*message.ack_chunk, option["chunk"].get<std::string>());
        acks += EncodeAck(*message.ack_chunk);
      } else {
        EXPECT_FALSE(message.ack_chunk.has_value());
      }
    }
    const fs::path ack_file = kCaptures / (GetParam() + ".ack.msgpack");
    if (fs::exists(ack_file)) {
      EXPECT_EQ(acks, ReadFile(ack_file));  // B4.2 ack: {"ack": <same chunk>}
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Clients, RecordedCaptureTest, ::testing::ValuesIn(CaptureNames()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(ForwardDecoderTest, AllCapturesArePresent) { EXPECT_THAT(CaptureNames(), SizeIs(12)); }

TEST(ForwardDecoderTest, ArbitrarySplitPointsGiveTheSameRecords) {
  const std::string bytes = ReadFile(kCaptures / "forward-firelens-docker-message.bin");
  const Decoded whole = FeedAll(bytes);
  ASSERT_THAT(whole.messages, SizeIs(2));
  for (size_t split = 1; split < bytes.size(); split += 7) {
    ForwardDecoder decoder;
    std::vector<ForwardMessage> messages;
    ASSERT_THAT(decoder.Feed(std::string_view(bytes).substr(0, split), messages), IsOk());
    ASSERT_THAT(decoder.Feed(std::string_view(bytes).substr(split), messages), IsOk());
    ASSERT_THAT(messages, SizeIs(2)) << split;
    EXPECT_EQ(messages[1].records[0].message, whole.messages[1].records[0].message);
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
}

// ---- B4.2 element rules
// --------------------------------------------------------------------------

TEST(ForwardDecoderTest, EventTimeAsFixext8AndExt8) {
  const std::string frames = Arr(3) + Str("t") + EventTimeFixext8(1735689600, 5) +
                             LogRecordMap("a") + Arr(3) + Str("t") +
                             EventTimeExt8(1735689601, 999'999'999) + LogRecordMap("b");
  const Decoded decoded = FeedAll(frames);
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(2));
  EXPECT_EQ(decoded.messages[0].records[0].timestamp_ns, 1735689600'000'000'005);
  EXPECT_EQ(decoded.messages[1].records[0].timestamp_ns, 1735689601'999'999'999);
}

TEST(ForwardDecoderTest, IntegerAndFloatSeconds) {
  const Decoded decoded = FeedAll(Arr(3) + Str("t") + Uint(1735689600) + LogRecordMap("a") +
                                  Arr(3) + Str("t") + Float64(1735689600.25) + LogRecordMap("b"));
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(2));
  EXPECT_EQ(decoded.messages[0].records[0].timestamp_ns, 1735689600'000'000'000);
  EXPECT_EQ(decoded.messages[1].records[0].timestamp_ns, 1735689600'250'000'000);
}

TEST(ForwardDecoderTest, NilHeartbeatsAreIgnored) {
  const Decoded decoded =
      FeedAll(Nil() + Arr(3) + Str("t") + Uint(1) + LogRecordMap("a") + Nil() + Nil());
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(1));
  EXPECT_EQ(decoded.messages[0].records[0].message, "a");
}

TEST(ForwardDecoderTest, NilOptionIsAccepted) {
  // Docker 18.x sends the option as nil.
  const Decoded decoded = FeedAll(Arr(4) + Str("t") + Uint(1) + LogRecordMap("a") + Nil());
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(1));
  EXPECT_FALSE(decoded.messages[0].ack_chunk.has_value());
}

TEST(ForwardDecoderTest, ChunkAsksForAnAckInEveryMode) {
  const std::string option = Map(1) + Str("chunk") + Str("abc");
  const std::string entry = Arr(2) + Uint(1) + LogRecordMap("x");
  const Decoded decoded =
      FeedAll(Arr(4) + Str("t") + Uint(1) + LogRecordMap("x") + option +  // Message
              Arr(3) + Str("t") + Arr(1) + entry + option +               // Forward
              Arr(3) + Str("t") + Bin(entry) + option);                   // PackedForward
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(3));
  for (const ForwardMessage& message : decoded.messages) {
    EXPECT_EQ(message.ack_chunk, "abc");
    EXPECT_THAT(message.records, SizeIs(1));
  }
}

TEST(ForwardDecoderTest, PackedEntriesMayBeAStr) {
  const std::string entries =
      Arr(2) + Uint(1) + LogRecordMap("a") + Arr(2) + Uint(2) + LogRecordMap("b");
  const Decoded decoded = FeedAll(Arr(2) + Str("t") + "\xdb" + Be(entries.size(), 4) + entries);
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(1));
  EXPECT_THAT(decoded.messages[0].records, SizeIs(2));
}

TEST(ForwardDecoderTest, ConcatenatedGzipMembersAreAllInflated) {
  const std::string first = Arr(2) + Uint(1) + LogRecordMap("first");
  const std::string second = Arr(2) + Uint(2) + LogRecordMap("second");
  const std::string option = Map(1) + Str("compressed") + Str("gzip");
  const Decoded decoded = FeedAll(Arr(3) + Str("t") + Bin(Gzip(first) + Gzip(second)) + option);
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(1));
  ASSERT_THAT(decoded.messages[0].records, SizeIs(2));
  EXPECT_EQ(decoded.messages[0].records[1].message, "second");
}

TEST(ForwardDecoderTest, ZstdEntriesAreInflated) {
  const std::string entry = Arr(2) + Uint(1) + LogRecordMap("zstd line");
  std::string compressed(ZSTD_compressBound(entry.size()), '\0');
  compressed.resize(
      ZSTD_compress(compressed.data(), compressed.size(), entry.data(), entry.size(), 1));
  const Decoded decoded =
      FeedAll(Arr(3) + Str("t") + Bin(compressed) + Map(1) + Str("compressed") + Str("zstd"));
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(1));
  EXPECT_EQ(decoded.messages[0].records[0].message, "zstd line");
}

TEST(ForwardDecoderTest, GzipBombIsCapped) {
  const std::string zeros(8 << 20, '\0');  // 8 MiB of zeros compress to a few KiB.
  const std::string bomb = Gzip(zeros);
  ASSERT_LT(bomb.size(), 64u << 10);
  ForwardDecoder decoder(ForwardLimits{.max_decompressed_bytes = 1 << 20});
  std::vector<ForwardMessage> messages;
  EXPECT_THAT(decoder.Feed(Arr(3) + Str("t") + Bin(bomb) + Map(1) + Str("compressed") + Str("gzip"),
                           messages),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(decoder.error(), ForwardError::kTooLarge);
  EXPECT_THAT(messages, IsEmpty());
}

TEST(ForwardDecoderTest, CorruptGzipIsABadCompressionError) {
  std::string gz = Gzip(Arr(2) + Uint(1) + LogRecordMap("a"));
  gz.resize(gz.size() - 6);  // Truncated member.
  ForwardDecoder decoder;
  std::vector<ForwardMessage> messages;
  EXPECT_THAT(decoder.Feed(Arr(3) + Str("t") + Bin(gz) + Map(1) + Str("compressed") + Str("gzip"),
                           messages),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(decoder.error(), ForwardError::kBadCompression);
}

// ---- size caps: fail fast, before buffering -----------------------------------------------------

TEST(ForwardDecoderTest, OversizeBinHeaderFailsBeforeThePayloadArrives) {
  // A PackedForward claiming a 4 GB bin: only the headers are sent.
  const std::string header = Arr(3) + Str("t") + "\xc6" + Be(0xfffffff0u, 4);
  ForwardDecoder decoder;
  std::vector<ForwardMessage> messages;
  EXPECT_THAT(decoder.Feed(header, messages), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(decoder.error(), ForwardError::kTooLarge);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(ForwardDecoderTest, HugeArrayCountFailsFast) {
  ForwardDecoder decoder;
  std::vector<ForwardMessage> messages;
  EXPECT_THAT(decoder.Feed(Arr(2) + Str("t") + "\xdd" + Be(0xffffffffu, 4), messages),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(ForwardDecoderTest, MessageOverTheLimitIsRejectedWhileArriving) {
  ForwardDecoder decoder(ForwardLimits{.max_message_bytes = 1000});
  std::vector<ForwardMessage> messages;
  const std::string frame = Arr(3) + Str("t") + Uint(1) + LogRecordMap(std::string(2000, 'x'));
  EXPECT_THAT(decoder.Feed(frame.substr(0, 20), messages),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(ForwardDecoderTest, ByteAtATimeLargeMessageStaysWithinLimit) {
  const std::string frame = Arr(3) + Str("t") + Uint(1) + LogRecordMap(std::string(50'000, 'y'));
  const Decoded decoded = FeedBytewise(frame);
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(1));
  EXPECT_EQ(decoded.messages[0].records[0].message.size(), 50'000u);
}

TEST(ForwardDecoderTest, DeepNestingIsRejected) {
  std::string nested;
  for (size_t i = 0; i < kMaxForwardDepth + 5; ++i) {
    nested += Arr(1);
  }
  nested += Nil();
  const Decoded decoded = FeedAll(Arr(3) + Str("t") + Uint(1) + Map(1) + Str("deep") + nested);
  EXPECT_THAT(decoded.status, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ForwardDecoderTest, ContainerKeyIsWrittenAsItsJsonText) {
  const Decoded decoded = FeedAll(Arr(3) + Str("t") + Uint(1) + Map(2) + Str("log") + Str("m") +
                                  Map(1) + Str("inner") + Uint(2) + Str("v"));
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(1));
  EXPECT_EQ(decoded.messages[0].records[0].attributes, Json::parse(R"({"{\"inner\":2}":"v"})"));
}

// Found by the logs_forward fuzz target: maps used as keys of maps, nested, made every level
// escape the level below, doubling the text each time (339 bytes took 10 s to decode).
TEST(ForwardDecoderTest, NestedContainerKeysDoNotExpandExponentially) {
  constexpr size_t kLevels = 40;
  std::string record = Map(1);  // The record: one field whose key is the nested chain.
  for (size_t i = 0; i < kLevels; ++i) {
    record += Map(1);  // Each map's key is the next map; its value is nil.
  }
  record += Str("k");
  for (size_t i = 0; i <= kLevels; ++i) {
    record += Nil();
  }
  const Decoded decoded = FeedAll(Arr(3) + Str("t") + Uint(1) + record);
  ASSERT_THAT(decoded.status, IsOk());
  ASSERT_THAT(decoded.messages, SizeIs(1));
  const std::string& message = decoded.messages[0].records[0].message;
  EXPECT_LT(message.size(), 64u) << message;
  EXPECT_THAT(message, HasSubstr("<map>"));
}

// ---- protocol violations
// --------------------------------------------------------------------------

TEST(ForwardDecoderTest, NonStringTagClosesTheConnection) {
  ForwardDecoder decoder;
  std::vector<ForwardMessage> messages;
  EXPECT_THAT(decoder.Feed(Arr(3) + Uint(7) + Uint(1) + LogRecordMap("a"), messages),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(decoder.error(), ForwardError::kMalformed);
  // Sticky: later bytes are not decoded.
  EXPECT_THAT(decoder.Feed(Arr(3) + Str("t") + Uint(1) + LogRecordMap("a"), messages),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(messages, IsEmpty());
}

TEST(ForwardDecoderTest, ShortArraysAndMissingRecordsAreRejected) {
  EXPECT_FALSE(FeedAll(Arr(1) + Str("t")).status.ok());
  EXPECT_FALSE(FeedAll(Arr(2) + Str("t") + Uint(1)).status.ok());  // Message, no record
  EXPECT_FALSE(FeedAll(Arr(3) + Str("t") + Uint(1) + Str("not a map")).status.ok());
  EXPECT_FALSE(FeedAll(Arr(4) + Str("t") + Uint(1) + Map(0) + Uint(3)).status.ok());  // option
  EXPECT_FALSE(FeedAll(Str("not an array")).status.ok());
  EXPECT_FALSE(FeedAll(std::string(1, '\xc1')).status.ok());  // Reserved byte.
}

TEST(ForwardDecoderTest, EntriesBeforeABadEntryAreStillReturned) {
  // B4.2: entries parsed before a bad entry are ingested; no ack for the message.
  const std::string good = Arr(2) + Uint(1) + LogRecordMap("good");
  const std::string bad = Arr(2) + Str("not a time") + LogRecordMap("bad");
  const Decoded decoded =
      FeedAll(Arr(3) + Str("t") + Arr(2) + good + bad + Map(1) + Str("chunk") + Str("c"));
  EXPECT_THAT(decoded.status, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(decoded.messages, SizeIs(1));
  ASSERT_THAT(decoded.messages[0].records, SizeIs(1));
  EXPECT_EQ(decoded.messages[0].records[0].message, "good");
  EXPECT_FALSE(decoded.messages[0].ack_chunk.has_value());
}

TEST(ForwardDecoderTest, TruncatedPackedEntryIsAnError) {
  std::string entries = Arr(2) + Uint(1) + LogRecordMap("ok") + Arr(2) + Uint(2);
  const Decoded decoded = FeedAll(Arr(2) + Str("t") + Bin(entries));
  EXPECT_THAT(decoded.status, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(decoded.messages, SizeIs(1));
  EXPECT_THAT(decoded.messages[0].records, SizeIs(1));
}

// ---- record mapping (architecture.md "FireLens records") ----------------------------------------

TEST(ForwardDecoderTest, RecordFieldsBecomeAttributes) {
  const std::string record = Map(5) + Str("log") + Str("line") + Str("source") + Str("stderr") +
                             Str("blob") + Bin("raw") + Str("nested") + Map(1) + Str("k") + Arr(2) +
                             Uint(1) + Nil() + Str("bad") +
                             Str("a\xff"
                                 "b");
  const Decoded decoded = FeedAll(Arr(3) + Str("t") + Uint(1) + record);
  ASSERT_THAT(decoded.status, IsOk());
  const LogRecord& r = decoded.messages.at(0).records.at(0);
  EXPECT_EQ(r.message, "line");
  EXPECT_EQ(r.attributes, Json::parse(R"({"source":"stderr","blob":"raw","nested":{"k":[1,null]},)"
                                      R"("bad":"a\ufffdb"})"));
  EXPECT_NO_THROW((void)r.attributes.dump());
}

TEST(ForwardDecoderTest, RecordWithoutLogIsSentAsJson) {
  const Decoded decoded =
      FeedAll(Arr(3) + Str("t") + Uint(1) + Map(2) + Str("msg") + Str("hi") + Str("n") + Uint(3));
  ASSERT_THAT(decoded.status, IsOk());
  const LogRecord& r = decoded.messages.at(0).records.at(0);
  EXPECT_EQ(Json::parse(r.message), Json::parse(R"({"msg":"hi","n":3})"));
  EXPECT_EQ(r.tag, "t");
}

TEST(ForwardDecoderTest, EncodeAckMatchesTheFluentdReply) {
  EXPECT_EQ(EncodeAck("abc"), std::string("\x81\xa3"
                                          "ack"
                                          "\xa3"
                                          "abc"));
  const std::string long_chunk(40, 'z');
  EXPECT_EQ(EncodeAck(long_chunk), std::string("\x81\xa3"
                                               "ack"
                                               "\xd9\x28") +
                                       long_chunk);
}

}  // namespace
}  // namespace sidecar::logs
