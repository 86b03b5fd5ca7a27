// Content-Encoding helpers for test doubles. The fake intake decompresses what the sidecar sends
// with these, independently of the forwarder's own compression module, so a bug there cannot hide
// itself. The compressors exist so tests can build bodies the way a client would.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sidecar::testing {

// Bodies larger than this after decompression are rejected (a guard against runaway input).
inline constexpr size_t kMaxDecompressedBytes = size_t{256} << 20;

// Decodes `data` according to an HTTP Content-Encoding value: "" or "identity" (copy), "zstd" or
// "zstd1", "deflate" (zlib-wrapped, raw deflate also accepted) or "gzip". Case-insensitive.
// InvalidArgument for corrupt input, Unimplemented for an unknown encoding.
absl::StatusOr<std::string> Decompress(std::string_view content_encoding, std::string_view data);

absl::StatusOr<std::string> ZstdDecompress(std::string_view data);
// `window_bits` as zlib's inflateInit2: 15 zlib, 31 gzip, 47 either, -15 raw deflate.
absl::StatusOr<std::string> InflateDecompress(std::string_view data, int window_bits);

// Encodes `data` for the given Content-Encoding ("", "identity", "zstd", "deflate", "gzip").
absl::StatusOr<std::string> Compress(std::string_view content_encoding, std::string_view data);

}  // namespace sidecar::testing
