// Payload compression for the intakes. Encoders stream items into a StreamCompressor so they can
// close a payload before it exceeds the intake's compressed-size cap (dogstatsd.md §9.8); the
// one-shot Compress/Decompress helpers serve small payloads, tests and the fake intake.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sidecar::forwarder {

enum class CompressionKind {
  kZstd,     // Content-Encoding "zstd": the Agent default since 7.63 (level 1).
  kDeflate,  // Content-Encoding "deflate": a zlib stream (RFC 1950), the Agent's previous default.
  kGzip,     // Content-Encoding "gzip": logs and traces alternative.
  kNone,     // No Content-Encoding header.
};

// The Content-Encoding header value; empty for kNone.
std::string_view ContentEncoding(CompressionKind kind);

absl::StatusOr<std::string> Compress(CompressionKind kind, std::string_view data,
                                     int zstd_level = 1);

// Decodes a body sent with Content-Encoding `encoding` ("zstd", "deflate", "gzip", "" or
// "identity"). Output larger than `max_output_bytes` is an error, so a hostile body cannot
// exhaust memory in the fake intake.
absl::StatusOr<std::string> Decompress(std::string_view encoding, std::string_view data,
                                       size_t max_output_bytes = size_t{64} << 20);

// Incremental compressor producing one complete frame/stream.
//
//   auto compressor = StreamCompressor::Create(CompressionKind::kZstd);
//   if (compressor->UpperBoundWith(item.size()) > cap) { compressor->Flush(); ... }
//   compressor->Append(item);
//   std::string body = compressor->Finish().value();
class StreamCompressor {
 public:
  static absl::StatusOr<std::unique_ptr<StreamCompressor>> Create(CompressionKind kind,
                                                                  int zstd_level = 1);
  virtual ~StreamCompressor() = default;

  virtual absl::Status Append(std::string_view bytes) = 0;
  // Forces buffered input out so CompressedSizeSoFar() is exact. Costs a few bytes of ratio;
  // encoders call it only when the upper bound says a payload might be full.
  virtual absl::Status Flush() = 0;
  // Ends the frame and returns the whole compressed body. The compressor is unusable afterwards.
  virtual absl::StatusOr<std::string> Finish() = 0;

  // Compressed bytes emitted so far (input still buffered inside the codec is not included).
  size_t CompressedSizeSoFar() const { return output_.size(); }
  size_t UncompressedSize() const { return uncompressed_size_; }
  // A size the finished body cannot exceed if `extra` more input bytes were appended.
  size_t UpperBoundWith(size_t extra) const;

 protected:
  StreamCompressor() = default;
  virtual size_t Bound(size_t input_bytes) const = 0;

  std::string output_;
  size_t uncompressed_size_ = 0;
  size_t unflushed_input_ = 0;  // Input appended since the last Flush(), possibly not yet emitted.
};

}  // namespace sidecar::forwarder
