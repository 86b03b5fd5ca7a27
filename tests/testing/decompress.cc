#include "tests/testing/decompress.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sidecar::testing {
namespace {

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct ZstdDStreamDeleter {
  void operator()(ZSTD_DStream* stream) const { ZSTD_freeDStream(stream); }
};

absl::StatusOr<std::string> ZstdCompress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t written = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 1);
  if (ZSTD_isError(written) != 0) {
    return absl::InternalError(
        absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(written)));
  }
  out.resize(written);
  return out;
}

absl::StatusOr<std::string> DeflateCompress(std::string_view data, int window_bits) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  const size_t written = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) {
    return absl::InternalError(absl::StrCat("deflate failed: ", result));
  }
  out.resize(written);
  return out;
}

}  // namespace

absl::StatusOr<std::string> ZstdDecompress(std::string_view data) {
  std::unique_ptr<ZSTD_DStream, ZstdDStreamDeleter> stream(ZSTD_createDStream());
  if (stream == nullptr) {
    return absl::ResourceExhaustedError("ZSTD_createDStream failed");
  }
  std::string out;
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer input{data.data(), data.size(), 0};
  size_t last = 0;
  // Streaming compressors may omit the content size, so decode in chunks; several frames may follow
  // each other (the loop continues while input remains).
  while (input.pos < input.size) {
    ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(stream.get(), &output, &input);
    if (ZSTD_isError(last) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("zstd: ", ZSTD_getErrorName(last)));
    }
    out.append(chunk.data(), output.pos);
    if (out.size() > kMaxDecompressedBytes) {
      return absl::InvalidArgumentError("zstd: decompressed body too large");
    }
  }
  // Flush whatever is still buffered inside the decoder.
  while (last != 0) {
    ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(stream.get(), &output, &input);
    if (ZSTD_isError(last) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("zstd: ", ZSTD_getErrorName(last)));
    }
    out.append(chunk.data(), output.pos);
    if (output.pos == 0) {
      break;
    }
  }
  if (last != 0) {
    return absl::InvalidArgumentError("zstd: truncated frame");
  }
  return out;
}

absl::StatusOr<std::string> InflateDecompress(std::string_view data, int window_bits) {
  if (data.size() > UINT_MAX) {
    return absl::InvalidArgumentError("inflate: input too large");
  }
  z_stream stream{};
  if (inflateInit2(&stream, window_bits) != Z_OK) {
    return absl::InternalError("inflateInit2 failed");
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[16384];
  int result = Z_OK;
  while (result != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof(chunk);
    result = inflate(&stream, Z_NO_FLUSH);
    if (result != Z_OK && result != Z_STREAM_END) {
      const std::string message = stream.msg != nullptr ? stream.msg : std::to_string(result);
      inflateEnd(&stream);
      return absl::InvalidArgumentError(absl::StrCat("inflate: ", message));
    }
    out.append(chunk, sizeof(chunk) - stream.avail_out);
    if (out.size() > kMaxDecompressedBytes) {
      inflateEnd(&stream);
      return absl::InvalidArgumentError("inflate: decompressed body too large");
    }
    if (result == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      return absl::InvalidArgumentError("inflate: truncated stream");
    }
  }
  inflateEnd(&stream);
  return out;
}

absl::StatusOr<std::string> Decompress(std::string_view content_encoding, std::string_view data) {
  const std::string encoding = Lowercase(content_encoding);
  if (encoding.empty() || encoding == "identity") {
    return std::string(data);
  }
  if (encoding == "zstd" || encoding == "zstd1") {
    return ZstdDecompress(data);
  }
  if (encoding == "gzip" || encoding == "x-gzip") {
    return InflateDecompress(data, 15 + 16);
  }
  if (encoding == "deflate") {
    // HTTP "deflate" means zlib-wrapped, but some clients send raw deflate.
    absl::StatusOr<std::string> wrapped = InflateDecompress(data, 15 + 32);
    if (wrapped.ok()) {
      return wrapped;
    }
    absl::StatusOr<std::string> raw = InflateDecompress(data, -15);
    return raw.ok() ? raw : wrapped;
  }
  return absl::UnimplementedError(
      absl::StrCat("unknown Content-Encoding '", std::string(content_encoding), "'"));
}

absl::StatusOr<std::string> Compress(std::string_view content_encoding, std::string_view data) {
  const std::string encoding = Lowercase(content_encoding);
  if (encoding.empty() || encoding == "identity") {
    return std::string(data);
  }
  if (encoding == "zstd" || encoding == "zstd1") {
    return ZstdCompress(data);
  }
  if (encoding == "gzip") {
    return DeflateCompress(data, 15 + 16);
  }
  if (encoding == "deflate") {
    return DeflateCompress(data, 15);
  }
  return absl::UnimplementedError(
      absl::StrCat("unknown Content-Encoding '", std::string(content_encoding), "'"));
}

}  // namespace sidecar::testing
