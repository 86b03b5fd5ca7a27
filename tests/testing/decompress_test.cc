#include "tests/testing/decompress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/status_matchers.h"

namespace sidecar::testing {
namespace {

using ::testing::HasSubstr;

class DecompressRoundTripTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DecompressRoundTripTest, CompressThenDecompressGivesTheInput) {
  std::string input;
  for (int i = 0; i < 20000; ++i) {
    input += "metric.name:" + std::to_string(i % 97) + "|c|#env:prod\n";
  }
  const absl::StatusOr<std::string> compressed = Compress(GetParam(), input);
  ASSERT_THAT(compressed, IsOk());
  if (GetParam().empty() || GetParam() == "identity") {
    EXPECT_EQ(*compressed, input);
  } else {
    EXPECT_LT(compressed->size(), input.size() / 4);
  }
  const absl::StatusOr<std::string> output = Decompress(GetParam(), *compressed);
  ASSERT_THAT(output, IsOk());
  EXPECT_EQ(*output, input);
}

INSTANTIATE_TEST_SUITE_P(Encodings, DecompressRoundTripTest,
                         ::testing::Values("", "identity", "zstd", "deflate", "gzip"));

TEST(DecompressTest, EncodingNamesAreCaseInsensitive) {
  const absl::StatusOr<std::string> compressed = Compress("zstd", "hello");
  ASSERT_THAT(compressed, IsOk());
  const absl::StatusOr<std::string> output = Decompress("ZSTD", *compressed);
  ASSERT_THAT(output, IsOk());
  EXPECT_EQ(*output, "hello");
}

TEST(DecompressTest, DeflateAcceptsRawDeflateStreams) {
  const absl::StatusOr<std::string> zlib = Compress("deflate", "raw deflate body");
  ASSERT_THAT(zlib, IsOk());
  // Strip the 2-byte zlib header and 4-byte Adler-32 trailer to get a raw deflate stream.
  const std::string raw = zlib->substr(2, zlib->size() - 6);
  const absl::StatusOr<std::string> output = Decompress("deflate", raw);
  ASSERT_THAT(output, IsOk());
  EXPECT_EQ(*output, "raw deflate body");
}

TEST(DecompressTest, RejectsCorruptAndTruncatedInput) {
  EXPECT_THAT(Decompress("zstd", "definitely not zstd"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zstd")));
  const absl::StatusOr<std::string> gzip = Compress("gzip", std::string(10000, 'x'));
  ASSERT_THAT(gzip, IsOk());
  EXPECT_THAT(Decompress("gzip", gzip->substr(0, gzip->size() / 2)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const absl::StatusOr<std::string> zstd = Compress("zstd", std::string(10000, 'y') + "tail");
  ASSERT_THAT(zstd, IsOk());
  EXPECT_THAT(Decompress("zstd", zstd->substr(0, zstd->size() - 3)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DecompressTest, UnknownEncodingIsUnimplemented) {
  EXPECT_THAT(Decompress("br", "x"), StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("br")));
  EXPECT_THAT(Compress("br", "x"), StatusIs(absl::StatusCode::kUnimplemented));
}

TEST(DecompressTest, ConcatenatedZstdFramesAreAllDecoded) {
  const absl::StatusOr<std::string> first = Compress("zstd", "first;");
  const absl::StatusOr<std::string> second = Compress("zstd", "second");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  const absl::StatusOr<std::string> output = Decompress("zstd", *first + *second);
  ASSERT_THAT(output, IsOk());
  EXPECT_EQ(*output, "first;second");
}

}  // namespace
}  // namespace sidecar::testing
