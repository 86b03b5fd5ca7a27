// Helpers shared by the DogStatsD encoder tests: decompression, incompressible strings and the
// list of compression kinds.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "agent/forwarder/compression.h"
#include "agent/forwarder/payload.h"
#include "statsd/payload_builder.h"

namespace sidecar::statsd::encoder_testing {

inline const std::vector<forwarder::CompressionKind>& AllCompressionKinds() {
  static const std::vector<forwarder::CompressionKind> kinds = {
      forwarder::CompressionKind::kZstd, forwarder::CompressionKind::kDeflate,
      forwarder::CompressionKind::kGzip, forwarder::CompressionKind::kNone};
  return kinds;
}

inline std::string KindName(forwarder::CompressionKind kind) {
  switch (kind) {
    case forwarder::CompressionKind::kZstd:
      return "Zstd";
    case forwarder::CompressionKind::kDeflate:
      return "Deflate";
    case forwarder::CompressionKind::kGzip:
      return "Gzip";
    case forwarder::CompressionKind::kNone:
      return "None";
  }
  return "Unknown";
}

// Test-name suffix for INSTANTIATE_TEST_SUITE_P over compression kinds.
inline std::string KindParamName(
    const ::testing::TestParamInfo<forwarder::CompressionKind>& param_info) {
  return KindName(param_info.param);
}

// The decompressed body; fails the test when the body does not decode.
inline std::string Body(const forwarder::Payload& payload) {
  absl::StatusOr<std::string> body =
      forwarder::Decompress(payload.content_encoding, payload.body, size_t{64} << 20);
  EXPECT_TRUE(body.ok()) << body.status().ToString();
  return body.ok() ? *body : std::string();
}

// Letters and digits drawn uniformly: about 6 bits of entropy a byte, so no codec shrinks a
// payload of them below ~75%.
inline std::string RandomString(std::mt19937_64& rng, size_t length) {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::string text(length, ' ');
  for (char& c : text) {
    c = kAlphabet[pick(rng)];
  }
  return text;
}

// Every payload respects the caps it was built under.
inline void ExpectWithinLimits(const EncodeResult& result, const PayloadLimits& limits) {
  for (const forwarder::Payload& payload : result.payloads) {
    EXPECT_LE(payload.body.size(), limits.max_compressed_bytes);
    EXPECT_LE(Body(payload).size(), limits.max_uncompressed_bytes);
    EXPECT_LE(payload.item_count, limits.max_item_count);
  }
}

}  // namespace sidecar::statsd::encoder_testing
