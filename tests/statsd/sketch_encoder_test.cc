// /api/beta/sketches encoding: spec §8.2, §9.3, §9.8 (and H12 headers). Payloads are
// decompressed and decoded with the protoc-generated SketchPayload.
#include "statsd/sketch_encoder.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "proto/metrics.pb.h"
#include "tests/statsd/encoder_test_util.h"

namespace sidecar::statsd {
namespace {

using datadog::agentpayload::SketchPayload;
using encoder_testing::Body;
using encoder_testing::RandomString;
using forwarder::CompressionKind;

constexpr std::string_view kFooter("\x12\x00", 2);

SketchPayload Decode(const forwarder::Payload& payload) {
  SketchPayload decoded;
  const std::string body = Body(payload);
  EXPECT_TRUE(decoded.ParseFromString(body));
  // The empty CommonMetadata footer is present and the very last field.
  EXPECT_TRUE(decoded.has_metadata());
  EXPECT_TRUE(body.ends_with(kFooter));
  // Our hand-written bytes are exactly what protobuf itself would write for the same message.
  EXPECT_EQ(decoded.SerializeAsString(), body);
  return decoded;
}

SketchSerie Sketch(std::string name, std::vector<std::string> tags = {}) {
  return SketchSerie{.name = std::move(name),
                     .host = "",
                     .tags = std::move(tags),
                     .points = {SketchPoint{.timestamp = 1700000000,
                                            .count = 3,
                                            .min = 1,
                                            .max = 3.5,
                                            .avg = 2,
                                            .sum = 6,
                                            .keys = {1338, 1383, 1419},
                                            .counts = {1, 1, 1}}}};
}

// §8.2, H12: every Sketch and Dogsketch field, the metadata origin, the footer and the headers.
TEST(SketchEncoderTest, EncodesEverySketchField) {
  SketchSerie sketch = Sketch("request.duration", {"env:prod", "service:web"});
  sketch.host = "i-0abc";
  sketch.points.push_back(SketchPoint{.timestamp = 1700000010,
                                      .count = 70'000,
                                      .min = -1,
                                      .max = 1e-10,
                                      .avg = -0.5,
                                      .sum = -35'000,
                                      .keys = {-1338, 0},
                                      .counts = {65'535, 4'465}});
  const EncodeResult result = SketchEncoder(EncoderOptions{}).Encode({&sketch, 1});

  ASSERT_EQ(result.payloads.size(), 1u);
  EXPECT_EQ(result.items_dropped_too_big, 0u);
  const forwarder::Payload& payload = result.payloads[0];
  EXPECT_EQ(payload.intake, forwarder::Intake::kMetrics);
  EXPECT_EQ(payload.route, "/api/beta/sketches");
  EXPECT_EQ(payload.kind, "sketches");
  EXPECT_EQ(payload.content_type, "application/x-protobuf");
  EXPECT_EQ(payload.content_encoding, "zstd");
  EXPECT_EQ(payload.extra_headers,
            (forwarder::Headers{{"DD-Agent-Payload", std::string(kAgentPayloadVersion)}}));
  EXPECT_EQ(payload.item_count, 1u);  // Sketches.
  EXPECT_EQ(payload.priority, forwarder::Priority::kNormal);

  const SketchPayload decoded = Decode(payload);
  ASSERT_EQ(decoded.sketches_size(), 1);
  const SketchPayload::Sketch& one = decoded.sketches(0);
  EXPECT_EQ(one.metric(), "request.duration");
  EXPECT_EQ(one.host(), "i-0abc");
  EXPECT_EQ(std::vector<std::string>(one.tags().begin(), one.tags().end()),
            (std::vector<std::string>{"env:prod", "service:web"}));
  EXPECT_EQ(one.distributions_size(), 0);
  ASSERT_EQ(one.dogsketches_size(), 2);
  const SketchPayload::Sketch::Dogsketch& first = one.dogsketches(0);
  EXPECT_EQ(first.ts(), 1700000000);
  EXPECT_EQ(first.cnt(), 3);
  EXPECT_EQ(first.min(), 1);
  EXPECT_EQ(first.max(), 3.5);
  EXPECT_EQ(first.avg(), 2);
  EXPECT_EQ(first.sum(), 6);
  EXPECT_EQ(std::vector<int32_t>(first.k().begin(), first.k().end()),
            (std::vector<int32_t>{1338, 1383, 1419}));
  EXPECT_EQ(std::vector<uint32_t>(first.n().begin(), first.n().end()),
            (std::vector<uint32_t>{1, 1, 1}));
  const SketchPayload::Sketch::Dogsketch& second = one.dogsketches(1);
  EXPECT_EQ(second.ts(), 1700000010);
  EXPECT_EQ(second.cnt(), 70'000);
  EXPECT_EQ(second.min(), -1);
  EXPECT_EQ(second.max(), 1e-10);
  EXPECT_EQ(second.avg(), -0.5);
  EXPECT_EQ(second.sum(), -35'000);
  EXPECT_EQ(std::vector<int32_t>(second.k().begin(), second.k().end()),
            (std::vector<int32_t>{-1338, 0}));  // sint32: zigzag on the wire.
  EXPECT_EQ(std::vector<uint32_t>(second.n().begin(), second.n().end()),
            (std::vector<uint32_t>{65'535, 4'465}));
  ASSERT_TRUE(one.has_metadata());
  EXPECT_EQ(one.metadata().origin().origin_product(), 10u);
  EXPECT_EQ(one.metadata().origin().origin_category(), 10u);
  EXPECT_EQ(one.metadata().origin().origin_service(), 0u);
  // §8.2: the CommonMetadata footer is empty.
  EXPECT_EQ(decoded.metadata().ByteSizeLong(), 0u);
}

// A sketch with an empty bucket (no bins) and an empty name still decodes to what was sent.
TEST(SketchEncoderTest, EncodesEmptyBinsAndDefaults) {
  const SketchSerie sketch{.name = "", .host = "", .tags = {}, .points = {SketchPoint{}}};
  const EncodeResult result = SketchEncoder(EncoderOptions{}).Encode({&sketch, 1});
  ASSERT_EQ(result.payloads.size(), 1u);
  const SketchPayload decoded = Decode(result.payloads[0]);
  ASSERT_EQ(decoded.sketches_size(), 1);
  ASSERT_EQ(decoded.sketches(0).dogsketches_size(), 1);
  EXPECT_EQ(decoded.sketches(0).dogsketches(0).cnt(), 0);
  EXPECT_EQ(decoded.sketches(0).dogsketches(0).k_size(), 0);
  EXPECT_EQ(decoded.sketches(0).dogsketches(0).n_size(), 0);
}

TEST(SketchEncoderTest, EncodesNothingForNoSketches) {
  const EncodeResult result = SketchEncoder(EncoderOptions{}).Encode({});
  EXPECT_TRUE(result.payloads.empty());
}

// Checks that every sketch arrived exactly once and that item_count counts sketches.
void ExpectEachSketchOnce(const EncodeResult& result, const std::vector<SketchSerie>& sketches) {
  std::map<std::string, int> seen;
  for (const forwarder::Payload& payload : result.payloads) {
    const SketchPayload decoded = Decode(payload);
    EXPECT_EQ(payload.item_count, static_cast<uint64_t>(decoded.sketches_size()));
    for (const auto& one : decoded.sketches()) {
      ++seen[one.metric()];
    }
  }
  ASSERT_EQ(seen.size(), sketches.size());
  for (const SketchSerie& sketch : sketches) {
    EXPECT_EQ(seen[sketch.name], 1) << sketch.name;
  }
}

// §9.8: about 4 MB of incompressible tags split under 2,621,440 B compressed each, the footer in
// every payload; a sketch too big for an empty payload is dropped and counted.
TEST(SketchEncoderTest, SplitsAtCompressedCapAndDropsTooBigSketch) {
  std::mt19937_64 rng(8);
  std::vector<SketchSerie> sketches;
  for (int i = 0; i < 4000; ++i) {
    std::vector<std::string> tags;
    for (int t = 0; t < 5; ++t) {
      tags.push_back(RandomString(rng, 200));
    }
    sketches.push_back(Sketch("metric." + std::to_string(i), std::move(tags)));
  }
  sketches.push_back(Sketch("too.big", {RandomString(rng, 2'700'000)}));
  const EncodeResult result = SketchEncoder(EncoderOptions{}).Encode(sketches);
  sketches.pop_back();

  EXPECT_EQ(result.items_dropped_too_big, 1u);
  EXPECT_GE(result.payloads.size(), 2u);
  encoder_testing::ExpectWithinLimits(result, kDefaultPayloadLimits);
  EXPECT_GT(result.payloads[0].body.size(), 2'500'000u);
  ExpectEachSketchOnce(result, sketches);
}

// §9.8: compressible sketches split at the 4,194,304 B uncompressed cap.
TEST(SketchEncoderTest, SplitsAtUncompressedCap) {
  std::vector<SketchSerie> sketches;
  for (int i = 0; i < 50; ++i) {
    sketches.push_back(Sketch("metric." + std::to_string(i), {std::string(100'000, 'b')}));
  }
  const EncodeResult result = SketchEncoder(EncoderOptions{}).Encode(sketches);
  EXPECT_EQ(result.items_dropped_too_big, 0u);
  ASSERT_EQ(result.payloads.size(), 2u);
  encoder_testing::ExpectWithinLimits(result, kDefaultPayloadLimits);
  ExpectEachSketchOnce(result, sketches);
}

class SketchEncoderKindTest : public ::testing::TestWithParam<CompressionKind> {};

TEST_P(SketchEncoderKindTest, RoundTripsAndSplitsWithEveryCompressionKind) {
  const EncoderOptions options{.compression = GetParam(), .zstd_level = 1};
  const PayloadLimits limits{.max_compressed_bytes = 20'000, .max_uncompressed_bytes = 40'000};
  std::mt19937_64 rng(9);
  std::vector<SketchSerie> sketches;
  for (int i = 0; i < 200; ++i) {
    sketches.push_back(Sketch("metric." + std::to_string(i), {RandomString(rng, 400)}));
  }
  sketches.push_back(Sketch("too.big", {RandomString(rng, 30'000)}));
  const EncodeResult result = SketchEncoder(options, limits).Encode(sketches);
  sketches.pop_back();

  EXPECT_EQ(result.items_dropped_too_big, 1u);
  EXPECT_GE(result.payloads.size(), 4u);
  for (const forwarder::Payload& payload : result.payloads) {
    EXPECT_EQ(payload.content_encoding, forwarder::ContentEncoding(GetParam()));
  }
  encoder_testing::ExpectWithinLimits(result, limits);
  ExpectEachSketchOnce(result, sketches);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, SketchEncoderKindTest,
                         ::testing::ValuesIn(encoder_testing::AllCompressionKinds()),
                         encoder_testing::KindParamName);

}  // namespace
}  // namespace sidecar::statsd
