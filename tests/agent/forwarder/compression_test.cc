#include "agent/forwarder/compression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/testing/status_matchers.h"

namespace sidecar::forwarder {
namespace {

using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;

std::string Repetitive(size_t n) {
  std::string out;
  while (out.size() < n) {
    out += "system.cpu.user:42|g|#env:prod,service:web\n";
  }
  out.resize(n);
  return out;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) {
    c = static_cast<char>(gen() & 0xff);
  }
  return out;
}

TEST(CompressionTest, ContentEncodingNamesMatchTheAgentHeaders) {
  // dogstatsd.md §9.3: zstd (default), deflate (zlib), gzip; identity sends no header.
  EXPECT_EQ(ContentEncoding(CompressionKind::kZstd), "zstd");
  EXPECT_EQ(ContentEncoding(CompressionKind::kDeflate), "deflate");
  EXPECT_EQ(ContentEncoding(CompressionKind::kGzip), "gzip");
  EXPECT_EQ(ContentEncoding(CompressionKind::kNone), "");
}

class CompressionRoundTripTest : public ::testing::TestWithParam<CompressionKind> {};

TEST_P(CompressionRoundTripTest, DecompressReturnsTheOriginalBytes) {
  const std::string input = Repetitive(200'000);
  absl::StatusOr<std::string> compressed = Compress(GetParam(), input);
  ASSERT_THAT(compressed, IsOk());
  if (GetParam() != CompressionKind::kNone) {
    EXPECT_LT(compressed->size(), input.size() / 10);
  }
  absl::StatusOr<std::string> output = Decompress(ContentEncoding(GetParam()), *compressed);
  ASSERT_THAT(output, IsOk());
  EXPECT_EQ(*output, input);
}

TEST_P(CompressionRoundTripTest, StreamOfManyAppendsDecodesToTheConcatenation) {
  auto compressor = StreamCompressor::Create(GetParam());
  ASSERT_THAT(compressor, IsOk());
  std::string expected;
  for (int i = 0; i < 500; ++i) {
    std::string item = "{\"metric\":\"m" + std::to_string(i) + "\",\"points\":[[1700000000,0.5]]}";
    ASSERT_THAT((*compressor)->Append(item), IsOk());
    expected += item;
    if (i == 250) {
      ASSERT_THAT((*compressor)->Flush(), IsOk());  // A flush mid-stream must not end the frame.
    }
  }
  EXPECT_EQ((*compressor)->UncompressedSize(), expected.size());
  absl::StatusOr<std::string> body = (*compressor)->Finish();
  ASSERT_THAT(body, IsOk());
  absl::StatusOr<std::string> output = Decompress(ContentEncoding(GetParam()), *body);
  ASSERT_THAT(output, IsOk());
  EXPECT_EQ(*output, expected);
}

TEST_P(CompressionRoundTripTest, UpperBoundIsNeverBelowTheFinishedSize) {
  // Encoders close a payload on this bound (§9.8 compressed caps); it must not undershoot even for
  // incompressible input.
  auto compressor = StreamCompressor::Create(GetParam());
  ASSERT_THAT(compressor, IsOk());
  std::string all;
  for (uint32_t i = 0; i < 20; ++i) {
    const std::string chunk = RandomBytes(10'000 + i * 997, i);
    const size_t bound = (*compressor)->UpperBoundWith(chunk.size());
    ASSERT_THAT((*compressor)->Append(chunk), IsOk());
    all += chunk;
    auto copy = StreamCompressor::Create(GetParam());
    ASSERT_THAT(copy, IsOk());
    ASSERT_THAT((*copy)->Append(all), IsOk());
    EXPECT_LE((*copy)->Finish()->size(), bound) << "after chunk " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllKinds, CompressionRoundTripTest,
                         ::testing::Values(CompressionKind::kZstd, CompressionKind::kDeflate,
                                           CompressionKind::kGzip, CompressionKind::kNone),
                         [](const auto& param_info) {
                           std::string_view name = ContentEncoding(param_info.param);
                           return name.empty() ? std::string("none") : std::string(name);
                         });

TEST(CompressionTest, EachKindWritesItsFormatMagic) {
  const std::string input = Repetitive(1000);
  EXPECT_EQ(Compress(CompressionKind::kZstd, input)->substr(0, 4), "\x28\xb5\x2f\xfd");
  EXPECT_EQ(Compress(CompressionKind::kGzip, input)->substr(0, 2), "\x1f\x8b");
  // "deflate" is a zlib stream (RFC 1950): CMF 0x78, as the Agent's zlib compressor writes.
  EXPECT_EQ(Compress(CompressionKind::kDeflate, input)->substr(0, 1), "\x78");
}

TEST(CompressionTest, FlushMakesTheSizeSoFarExactAndTightensTheBound) {
  auto compressor = StreamCompressor::Create(CompressionKind::kZstd);
  ASSERT_THAT(compressor, IsOk());
  ASSERT_THAT((*compressor)->Append(Repetitive(50'000)), IsOk());
  const size_t bound_before = (*compressor)->UpperBoundWith(0);
  const size_t size_before = (*compressor)->CompressedSizeSoFar();
  ASSERT_THAT((*compressor)->Flush(), IsOk());
  EXPECT_GT((*compressor)->CompressedSizeSoFar(), size_before);
  EXPECT_LT((*compressor)->UpperBoundWith(0), bound_before / 10);
}

TEST(CompressionTest, DecompressRejectsUnknownEncoding) {
  EXPECT_THAT(Decompress("br", "abc"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CompressionTest, DecompressRejectsTruncatedBodies) {
  const std::string input = Repetitive(100'000);
  for (CompressionKind kind : {CompressionKind::kZstd, CompressionKind::kGzip}) {
    std::string body = *Compress(kind, input);
    body.resize(body.size() / 2);
    EXPECT_FALSE(Decompress(ContentEncoding(kind), body).ok()) << ContentEncoding(kind);
  }
}

TEST(CompressionTest, DecompressStopsAtTheOutputLimit) {
  const std::string body = *Compress(CompressionKind::kGzip, Repetitive(1'000'000));
  EXPECT_THAT(Decompress("gzip", body, 100'000), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(Decompress("gzip", body, 1'000'000), IsOk());
}

}  // namespace
}  // namespace sidecar::forwarder
