#include "agent/forwarder/compression.h"

#define ZLIB_CONST
#include <zlib.h>
#include <zstd.h>

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sidecar::forwarder {
namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr int kZlibWindowBits = 15;
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kAutoDetectWindowBits = 15 + 32;  // Inflate accepts zlib and gzip headers alike.

absl::Status ZstdError(std::string_view what, size_t code) {
  return absl::InternalError(
      absl::StrCat("zstd ", std::string(what), ": ", ZSTD_getErrorName(code)));
}

class ZstdCompressor final : public StreamCompressor {
 public:
  explicit ZstdCompressor(ZSTD_CCtx* cctx) : cctx_(cctx) {}
  ~ZstdCompressor() override { ZSTD_freeCCtx(cctx_); }
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;

  absl::Status Append(std::string_view bytes) override {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    while (in.pos < in.size) {
      if (absl::Status status = Drive(in, ZSTD_e_continue).status(); !status.ok()) {
        return status;
      }
    }
    uncompressed_size_ += bytes.size();
    unflushed_input_ += bytes.size();
    return absl::OkStatus();
  }

  absl::Status Flush() override {
    unflushed_input_ = 0;
    return DriveToEnd(ZSTD_e_flush);
  }

  absl::StatusOr<std::string> Finish() override {
    if (absl::Status status = DriveToEnd(ZSTD_e_end); !status.ok()) {
      return status;
    }
    return std::move(output_);
  }

 protected:
  size_t Bound(size_t input_bytes) const override { return ZSTD_compressBound(input_bytes); }

 private:
  // One compressStream2 call; returns how many bytes zstd still holds for this directive.
  absl::StatusOr<size_t> Drive(ZSTD_inBuffer& in, ZSTD_EndDirective directive) {
    std::array<char, kChunk> chunk;
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    const size_t remaining = ZSTD_compressStream2(cctx_, &out, &in, directive);
    if (ZSTD_isError(remaining)) {
      return ZstdError("compress", remaining);
    }
    output_.append(chunk.data(), out.pos);
    return remaining;
  }

  absl::Status DriveToEnd(ZSTD_EndDirective directive) {
    ZSTD_inBuffer empty{nullptr, 0, 0};
    while (true) {
      absl::StatusOr<size_t> remaining = Drive(empty, directive);
      if (!remaining.ok()) {
        return remaining.status();
      }
      if (*remaining == 0) {
        return absl::OkStatus();
      }
    }
  }

  ZSTD_CCtx* cctx_;
};

class ZlibCompressor final : public StreamCompressor {
 public:
  ZlibCompressor() = default;
  ~ZlibCompressor() override {
    if (initialized_) {
      deflateEnd(&stream_);
    }
  }
  ZlibCompressor(const ZlibCompressor&) = delete;
  ZlibCompressor& operator=(const ZlibCompressor&) = delete;

  absl::Status Init(int window_bits) {
    stream_ = z_stream{};
    if (deflateInit2(&stream_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
      return absl::ResourceExhaustedError("zlib deflateInit2 failed");
    }
    initialized_ = true;
    return absl::OkStatus();
  }

  absl::Status Append(std::string_view bytes) override {
    stream_.next_in = reinterpret_cast<const Bytef*>(bytes.data());
    stream_.avail_in = static_cast<uInt>(bytes.size());
    if (absl::Status status = Drive(Z_NO_FLUSH); !status.ok()) {
      return status;
    }
    uncompressed_size_ += bytes.size();
    unflushed_input_ += bytes.size();
    return absl::OkStatus();
  }

  absl::Status Flush() override {
    unflushed_input_ = 0;
    return Drive(Z_SYNC_FLUSH);
  }

  absl::StatusOr<std::string> Finish() override {
    if (absl::Status status = Drive(Z_FINISH); !status.ok()) {
      return status;
    }
    return std::move(output_);
  }

 protected:
  size_t Bound(size_t input_bytes) const override {
    // deflateBound only reads the stream's parameters; the API just is not const-correct.
    return deflateBound(const_cast<z_stream*>(&stream_), static_cast<uLong>(input_bytes));
  }

 private:
  // Runs deflate until all input is consumed and, for a flush, nothing is left buffered.
  absl::Status Drive(int flush) {
    std::array<Bytef, kChunk> chunk;
    while (true) {
      stream_.next_out = chunk.data();
      stream_.avail_out = static_cast<uInt>(chunk.size());
      const int rc = deflate(&stream_, flush);
      if (rc == Z_STREAM_ERROR) {
        return absl::InternalError("zlib deflate failed");
      }
      output_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - stream_.avail_out);
      if (flush == Z_FINISH ? rc == Z_STREAM_END
                            : stream_.avail_in == 0 && stream_.avail_out != 0) {
        return absl::OkStatus();
      }
    }
  }

  z_stream stream_{};
  bool initialized_ = false;
};

class IdentityCompressor final : public StreamCompressor {
 public:
  absl::Status Append(std::string_view bytes) override {
    output_.append(bytes);
    uncompressed_size_ += bytes.size();
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::StatusOr<std::string> Finish() override { return std::move(output_); }

 protected:
  size_t Bound(size_t input_bytes) const override { return input_bytes; }
};

absl::StatusOr<std::string> DecompressZstd(std::string_view data, size_t max_output_bytes) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> stream(ZSTD_createDStream(),
                                                                  &ZSTD_freeDStream);
  if (stream == nullptr) {
    return absl::ResourceExhaustedError("zstd: cannot allocate a decompression stream");
  }
  std::string output;
  std::array<char, kChunk> chunk;
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  size_t last = 0;
  // Keep going after the input is consumed while zstd still has output buffered.
  bool output_full = true;
  while (in.pos < in.size || output_full) {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(stream.get(), &out, &in);
    if (ZSTD_isError(last)) {
      return ZstdError("decompress", last);
    }
    output.append(chunk.data(), out.pos);
    if (output.size() > max_output_bytes) {
      return absl::ResourceExhaustedError("zstd: decompressed body exceeds the limit");
    }
    output_full = out.pos == out.size;
  }
  if (last != 0) {
    return absl::DataLossError("zstd: truncated frame");
  }
  return output;
}

absl::StatusOr<std::string> Inflate(std::string_view data, size_t max_output_bytes) {
  z_stream stream{};
  if (inflateInit2(&stream, kAutoDetectWindowBits) != Z_OK) {
    return absl::ResourceExhaustedError("zlib inflateInit2 failed");
  }
  stream.next_in = reinterpret_cast<const Bytef*>(data.data());
  stream.avail_in = static_cast<uInt>(data.size());
  std::string output;
  std::array<Bytef, kChunk> chunk;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = chunk.data();
    stream.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&stream);
      // Z_BUF_ERROR here means the input ended before the stream did.
      return absl::DataLossError(absl::StrCat("zlib inflate failed (", rc, ")"));
    }
    output.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - stream.avail_out);
    if (output.size() > max_output_bytes) {
      inflateEnd(&stream);
      return absl::ResourceExhaustedError("zlib: decompressed body exceeds the limit");
    }
  }
  inflateEnd(&stream);
  return output;
}

}  // namespace

std::string_view ContentEncoding(CompressionKind kind) {
  switch (kind) {
    case CompressionKind::kZstd:
      return "zstd";
    case CompressionKind::kDeflate:
      return "deflate";
    case CompressionKind::kGzip:
      return "gzip";
    case CompressionKind::kNone:
      break;
  }
  return "";
}

size_t StreamCompressor::UpperBoundWith(size_t extra) const {
  return output_.size() + Bound(unflushed_input_ + extra);
}

absl::StatusOr<std::unique_ptr<StreamCompressor>> StreamCompressor::Create(CompressionKind kind,
                                                                           int zstd_level) {
  switch (kind) {
    case CompressionKind::kZstd: {
      ZSTD_CCtx* cctx = ZSTD_createCCtx();
      if (cctx == nullptr) {
        return absl::ResourceExhaustedError("zstd: cannot allocate a compression context");
      }
      auto compressor = std::make_unique<ZstdCompressor>(cctx);
      const size_t rc = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, zstd_level);
      if (ZSTD_isError(rc)) {
        return ZstdError("set level", rc);
      }
      return compressor;
    }
    case CompressionKind::kDeflate:
    case CompressionKind::kGzip: {
      auto compressor = std::make_unique<ZlibCompressor>();
      if (absl::Status status =
              compressor->Init(kind == CompressionKind::kGzip ? kGzipWindowBits : kZlibWindowBits);
          !status.ok()) {
        return status;
      }
      return compressor;
    }
    case CompressionKind::kNone:
      break;
  }
  return std::make_unique<IdentityCompressor>();
}

absl::StatusOr<std::string> Compress(CompressionKind kind, std::string_view data, int zstd_level) {
  absl::StatusOr<std::unique_ptr<StreamCompressor>> compressor =
      StreamCompressor::Create(kind, zstd_level);
  if (!compressor.ok()) {
    return compressor.status();
  }
  if (absl::Status status = (*compressor)->Append(data); !status.ok()) {
    return status;
  }
  return (*compressor)->Finish();
}

absl::StatusOr<std::string> Decompress(std::string_view encoding, std::string_view data,
                                       size_t max_output_bytes) {
  if (encoding.empty() || encoding == "identity") {
    if (data.size() > max_output_bytes) {
      return absl::ResourceExhaustedError("body exceeds the limit");
    }
    return std::string(data);
  }
  if (encoding == "zstd") {
    return DecompressZstd(data, max_output_bytes);
  }
  if (encoding == "deflate" || encoding == "gzip") {
    return Inflate(data, max_output_bytes);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported Content-Encoding: ", std::string(encoding)));
}

}  // namespace sidecar::forwarder
