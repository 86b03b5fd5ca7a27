#include "logs/forward_decoder.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include "fmt/format.h"

namespace sidecar::logs {
namespace {

using Json = nlohmann::json;

// ---- msgpack headers -------------------------------------------------------------------------

enum class Kind { kNil, kBool, kInt, kUint, kFloat, kStr, kBin, kArray, kMap, kExt };

struct Header {
  Kind kind = Kind::kNil;
  bool boolean = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double float_value = 0;
  // Payload bytes of str/bin/ext, elements of an array, pairs of a map.
  uint64_t length = 0;
  int8_t ext_type = 0;
};

enum class ReadResult { kOk, kNeedMore, kInvalid };

uint64_t BigEndian(const char* p, size_t n) {
  uint64_t value = 0;
  for (size_t i = 0; i < n; ++i) {
    value = (value << 8) | static_cast<unsigned char>(p[i]);
  }
  return value;
}

// Bytes after the type byte that belong to the header (for fixext: the ext type only).
size_t HeaderExtra(uint8_t t) {
  switch (t) {
    case 0xcc:
    case 0xd0:
    case 0xc4:
    case 0xd9:  // 8-bit value or length
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:  // fixext: the type byte
      return 1;
    case 0xcd:
    case 0xd1:
    case 0xc5:
    case 0xda:
    case 0xdc:
    case 0xde:
    case 0xc7:  // ext8: length + type
      return 2;
    case 0xc8:  // ext16
      return 3;
    case 0xce:
    case 0xd2:
    case 0xca:
    case 0xc6:
    case 0xdb:
    case 0xdd:
    case 0xdf:
      return 4;
    case 0xc9:  // ext32
      return 5;
    case 0xcf:
    case 0xd3:
    case 0xcb:
      return 8;
    default:
      return 0;
  }
}

// Reads the header at data[pos]. On kOk `pos` is past it (a str/bin/ext payload follows); on
// kNeedMore `missing` is how many more bytes the header needs and `pos` is unchanged.
ReadResult ReadHeader(std::string_view data, size_t& pos, Header& h, size_t& missing) {
  if (pos >= data.size()) {
    missing = 1;
    return ReadResult::kNeedMore;
  }
  const auto t = static_cast<uint8_t>(data[pos]);
  if (t == 0xc1) {
    return ReadResult::kInvalid;
  }
  const size_t extra = HeaderExtra(t);
  const size_t available = data.size() - pos - 1;
  if (available < extra) {
    missing = extra - available;
    return ReadResult::kNeedMore;
  }
  const char* p = data.data() + pos + 1;
  pos += 1 + extra;
  h = Header{};
  if (t <= 0x7f) {
    h.kind = Kind::kUint;
    h.uint_value = t;
  } else if (t <= 0x8f) {
    h.kind = Kind::kMap;
    h.length = t & 0x0f;
  } else if (t <= 0x9f) {
    h.kind = Kind::kArray;
    h.length = t & 0x0f;
  } else if (t <= 0xbf) {
    h.kind = Kind::kStr;
    h.length = t & 0x1f;
  } else if (t >= 0xe0) {
    h.kind = Kind::kInt;
    h.int_value = static_cast<int8_t>(t);
  } else {
    switch (t) {
      case 0xc0:
        h.kind = Kind::kNil;
        break;
      case 0xc2:
      case 0xc3:
        h.kind = Kind::kBool;
        h.boolean = t == 0xc3;
        break;
      case 0xc4:
      case 0xc5:
      case 0xc6:
        h.kind = Kind::kBin;
        h.length = BigEndian(p, extra);
        break;
      case 0xd9:
      case 0xda:
      case 0xdb:
        h.kind = Kind::kStr;
        h.length = BigEndian(p, extra);
        break;
      case 0xc7:
      case 0xc8:
      case 0xc9:
        h.kind = Kind::kExt;
        h.length = BigEndian(p, extra - 1);
        h.ext_type = static_cast<int8_t>(p[extra - 1]);
        break;
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        h.kind = Kind::kExt;
        h.length = size_t{1} << (t - 0xd4);
        h.ext_type = static_cast<int8_t>(p[0]);
        break;
      case 0xca: {
        h.kind = Kind::kFloat;
        const auto bits = static_cast<uint32_t>(BigEndian(p, 4));
        float f = 0;
        std::memcpy(&f, &bits, sizeof(f));
        h.float_value = f;
        break;
      }
      case 0xcb: {
        h.kind = Kind::kFloat;
        const uint64_t bits = BigEndian(p, 8);
        std::memcpy(&h.float_value, &bits, sizeof(h.float_value));
        break;
      }
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        h.kind = Kind::kUint;
        h.uint_value = BigEndian(p, extra);
        break;
      case 0xd0:
        h.kind = Kind::kInt;
        h.int_value = static_cast<int8_t>(BigEndian(p, 1));
        break;
      case 0xd1:
        h.kind = Kind::kInt;
        h.int_value = static_cast<int16_t>(BigEndian(p, 2));
        break;
      case 0xd2:
        h.kind = Kind::kInt;
        h.int_value = static_cast<int32_t>(BigEndian(p, 4));
        break;
      case 0xd3:
        h.kind = Kind::kInt;
        h.int_value = static_cast<int64_t>(BigEndian(p, 8));
        break;
      case 0xdc:
      case 0xdd:
        h.kind = Kind::kArray;
        h.length = BigEndian(p, extra);
        break;
      case 0xde:
      case 0xdf:
        h.kind = Kind::kMap;
        h.length = BigEndian(p, extra);
        break;
      default:
        return ReadResult::kInvalid;
    }
  }
  return ReadResult::kOk;
}

bool HasPayload(Kind kind) {
  return kind == Kind::kStr || kind == Kind::kBin || kind == Kind::kExt;
}

// ---- framing: where does the object at the start of a buffer end? ---------------------------

enum class ScanResult { kComplete, kNeedMore, kInvalid, kTooLarge, kTooDeep };

// Walks the headers of one object without building anything. `end` is its size when complete;
// `needed` the buffer size below which it cannot be complete. Every value takes at least one
// byte, so element counts are checked against `max_bytes` before any payload arrives.
ScanResult ScanObject(std::string_view data, size_t max_bytes, size_t& end, size_t& needed) {
  uint64_t open[kMaxForwardDepth];  // Values still to read at each open level.
  size_t depth = 1;
  open[0] = 1;
  uint64_t pending = 1;  // Sum of open[]: a lower bound on the bytes still to come.
  size_t pos = 0;
  while (depth > 0) {
    if (open[depth - 1] == 0) {
      --depth;
      continue;
    }
    Header h;
    size_t missing = 0;
    switch (ReadHeader(data, pos, h, missing)) {
      case ReadResult::kOk:
        break;
      case ReadResult::kNeedMore:
        needed = data.size() + missing;
        return needed > max_bytes ? ScanResult::kTooLarge : ScanResult::kNeedMore;
      case ReadResult::kInvalid:
        return ScanResult::kInvalid;
    }
    --open[depth - 1];
    --pending;
    if (HasPayload(h.kind)) {
      if (h.length > max_bytes || pos + h.length > max_bytes) {
        return ScanResult::kTooLarge;
      }
      if (data.size() - pos < h.length) {
        needed = pos + h.length;
        return ScanResult::kNeedMore;
      }
      pos += h.length;
    }
    uint64_t children = 0;
    if (h.kind == Kind::kArray) {
      children = h.length;
    } else if (h.kind == Kind::kMap) {
      children = 2 * h.length;
    }
    if (children > 0) {
      pending += children;
      if (pending > max_bytes || pos + pending > max_bytes) {
        return ScanResult::kTooLarge;
      }
      if (depth == kMaxForwardDepth) {
        return ScanResult::kTooDeep;
      }
      open[depth++] = children;
    }
    if (pos > max_bytes) {
      return ScanResult::kTooLarge;
    }
  }
  end = pos;
  return ScanResult::kComplete;
}

// ---- reading a complete object ----------------------------------------------------------------

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool Next(Header& h) {
    size_t missing = 0;
    return ReadHeader(data_, pos_, h, missing) == ReadResult::kOk;
  }
  bool Payload(uint64_t length, std::string_view& out) {
    if (data_.size() - pos_ < length) {
      return false;
    }
    out = data_.substr(pos_, length);
    pos_ += length;
    return true;
  }
  // Skips the rest of a value whose header was just read.
  bool SkipRest(const Header& first) {
    std::string_view ignored;
    if (HasPayload(first.kind) && !Payload(first.length, ignored)) {
      return false;
    }
    uint64_t remaining = first.kind == Kind::kArray ? first.length
                         : first.kind == Kind::kMap ? 2 * first.length
                                                    : 0;
    while (remaining > 0) {
      Header h;
      if (!Next(h)) {
        return false;
      }
      --remaining;
      if (HasPayload(h.kind) && !Payload(h.length, ignored)) {
        return false;
      }
      if (h.kind == Kind::kArray) {
        remaining += h.length;
      } else if (h.kind == Kind::kMap) {
        remaining += 2 * h.length;
      }
    }
    return true;
  }
  bool Skip() {
    Header h;
    return Next(h) && SkipRest(h);
  }
  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }
  bool AtEnd() const { return pos_ >= data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Replaces every byte that does not start a well-formed UTF-8 sequence with U+FFFD, so the JSON
// built from untrusted strings always serializes.
std::string ToValidUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) {
        low = 0xa0;
      } else if (c == 0xed) {
        high = 0x9f;
      }
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) {
        low = 0x90;
      } else if (c == 0xf4) {
        high = 0x8f;
      }
    }
    bool valid = length > 0 && i + length <= in.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto cc = static_cast<unsigned char>(in[i + k]);
      valid = k == 1 ? (cc >= low && cc <= high) : (cc >= 0x80 && cc <= 0xbf);
    }
    if (valid) {
      out.append(in.substr(i, length));
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

std::string Utf8String(std::string_view in) {
  for (const char c : in) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return ToValidUtf8(in);
    }
  }
  return std::string(in);
}

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// Later than year 2262 does not fit int64 nanoseconds.
constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kNanosPerSecond - 1;

bool EventTimeNanos(std::string_view payload, int64_t& ns) {
  const auto seconds = static_cast<int64_t>(BigEndian(payload.data(), 4));
  const auto nanos = static_cast<int64_t>(BigEndian(payload.data() + 4, 4));
  ns = seconds * kNanosPerSecond + nanos;
  return true;
}

// Whether a value is being read as a map key. JSON keys are strings, so a container key is
// written as its JSON text; a container key inside that text becomes a placeholder, because
// escaping text inside text doubles it at every level and a few hundred hostile bytes would
// otherwise expand to gigabytes.
enum class KeyContext { kValue, kInsideKey };

// Reads the value of a header just read as JSON. Depth is bounded by the ScanObject that ran on
// every object before it is read.
bool ReadJson(Reader& r, const Header& h, Json& out, KeyContext context = KeyContext::kValue) {
  std::string_view payload;
  switch (h.kind) {
    case Kind::kNil:
      out = nullptr;
      return true;
    case Kind::kBool:
      out = h.boolean;
      return true;
    case Kind::kInt:
      out = h.int_value;
      return true;
    case Kind::kUint:
      out = h.uint_value;
      return true;
    case Kind::kFloat:
      out = std::isfinite(h.float_value) ? Json(h.float_value) : Json(nullptr);
      return true;
    case Kind::kStr:
    case Kind::kBin:
      if (!r.Payload(h.length, payload)) {
        return false;
      }
      out = Utf8String(payload);
      return true;
    case Kind::kExt: {
      if (!r.Payload(h.length, payload)) {
        return false;
      }
      int64_t ns = 0;
      if (h.ext_type == 0 && h.length == 8 && EventTimeNanos(payload, ns)) {
        out = static_cast<double>(ns) / static_cast<double>(kNanosPerSecond);
      } else {
        out = nullptr;  // Unknown extension types have no JSON meaning.
      }
      return true;
    }
    case Kind::kArray:
      out = Json::array();
      for (uint64_t i = 0; i < h.length; ++i) {
        Header eh;
        Json element;
        if (!r.Next(eh) || !ReadJson(r, eh, element, context)) {
          return false;
        }
        out.push_back(std::move(element));
      }
      return true;
    case Kind::kMap:
      out = Json::object();
      for (uint64_t i = 0; i < h.length; ++i) {
        Header kh;
        Header vh;
        std::string key;
        if (!r.Next(kh)) {
          return false;
        }
        if (kh.kind == Kind::kStr || kh.kind == Kind::kBin) {
          if (!r.Payload(kh.length, payload)) {
            return false;
          }
          key = Utf8String(payload);
        } else if (context == KeyContext::kInsideKey &&
                   (kh.kind == Kind::kMap || kh.kind == Kind::kArray)) {
          if (!r.SkipRest(kh)) {
            return false;
          }
          key = kh.kind == Kind::kMap ? "<map>" : "<array>";
        } else {
          Json key_json;
          if (!ReadJson(r, kh, key_json, KeyContext::kInsideKey)) {
            return false;
          }
          key = DumpJson(key_json);
        }
        Json value;
        if (!r.Next(vh) || !ReadJson(r, vh, value, context)) {
          return false;
        }
        out[key] = std::move(value);
      }
      return true;
  }
  return false;
}

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("Malformed Fluent Forward message: {}.", what));
}

absl::Status ReadTime(Reader& r, const Header& h, int64_t& ns) {
  switch (h.kind) {
    case Kind::kUint:
      if (h.uint_value > static_cast<uint64_t>(kMaxSeconds)) {
        return Malformed("time out of range");
      }
      ns = static_cast<int64_t>(h.uint_value) * kNanosPerSecond;
      return absl::OkStatus();
    case Kind::kInt:
      if (h.int_value < 0 || h.int_value > kMaxSeconds) {
        return Malformed("time out of range");
      }
      ns = h.int_value * kNanosPerSecond;
      return absl::OkStatus();
    case Kind::kFloat:
      if (!std::isfinite(h.float_value) || h.float_value < 0 ||
          h.float_value > static_cast<double>(kMaxSeconds)) {
        return Malformed("time out of range");
      }
      {
        // Whole seconds apart: a double near 1.7e9 cannot carry nanoseconds once multiplied.
        const double seconds = std::floor(h.float_value);
        ns = static_cast<int64_t>(seconds) * kNanosPerSecond +
             std::llround((h.float_value - seconds) * static_cast<double>(kNanosPerSecond));
      }
      return absl::OkStatus();
    case Kind::kExt: {
      std::string_view payload;
      if (h.ext_type != 0 || h.length != 8 || !r.Payload(h.length, payload)) {
        return Malformed("time is an extension other than EventTime");
      }
      EventTimeNanos(payload, ns);
      return absl::OkStatus();
    }
    default:
      return Malformed("time is not an integer, float or EventTime");
  }
}

LogRecord MakeRecord(std::string_view tag, int64_t ns, Json fields) {
  LogRecord record;
  record.source = LogSource::kForward;
  record.tag = std::string(tag);
  record.timestamp_ns = ns;
  auto log = fields.find("log");
  if (log != fields.end()) {
    if (log->is_string()) {
      record.message = std::move(log->get_ref<std::string&>());
    } else {
      record.message = DumpJson(*log);
    }
    fields.erase(log);
  } else {
    record.message = DumpJson(fields);
  }
  record.attributes = std::move(fields);
  return record;
}

// Reads a record map whose header was just read.
absl::Status ReadRecord(Reader& r, const Header& h, std::string_view tag, int64_t ns,
                        std::vector<LogRecord>& records) {
  if (h.kind != Kind::kMap) {
    return Malformed("record is not a map");
  }
  Json fields;
  if (!ReadJson(r, h, fields)) {
    return Malformed("truncated record");
  }
  records.push_back(MakeRecord(tag, ns, std::move(fields)));
  return absl::OkStatus();
}

// One `[time, record]` entry (Forward and PackedForward). Fluent Bit's v2 event format puts
// `[time, metadata]` in place of the time; its metadata is skipped.
absl::Status ReadEntry(Reader& r, std::string_view tag, std::vector<LogRecord>& records) {
  Header eh;
  if (!r.Next(eh) || eh.kind != Kind::kArray || eh.length < 2) {
    return Malformed("entry is not a [time, record] array");
  }
  Header th;
  if (!r.Next(th)) {
    return Malformed("truncated entry");
  }
  uint64_t time_extra = 0;
  if (th.kind == Kind::kArray) {
    if (th.length < 1) {
      return Malformed("entry time is an empty array");
    }
    time_extra = th.length - 1;
    if (!r.Next(th)) {
      return Malformed("truncated entry");
    }
  }
  int64_t ns = 0;
  if (absl::Status status = ReadTime(r, th, ns); !status.ok()) {
    return status;
  }
  for (uint64_t i = 0; i < time_extra; ++i) {
    if (!r.Skip()) {
      return Malformed("truncated entry");
    }
  }
  Header rh;
  if (!r.Next(rh)) {
    return Malformed("truncated entry");
  }
  if (absl::Status status = ReadRecord(r, rh, tag, ns, records); !status.ok()) {
    return status;
  }
  for (uint64_t i = 2; i < eh.length; ++i) {
    if (!r.Skip()) {
      return Malformed("truncated entry");
    }
  }
  return absl::OkStatus();
}

// ---- decompression ------------------------------------------------------------------------------

constexpr size_t kInflateChunk = 64 * 1024;

absl::Status TooLargeDecompressed(size_t cap) {
  return absl::ResourceExhaustedError(
      fmt::format("Fluent Forward entries decompress to more than {} bytes.", cap));
}

// gzip, possibly several members back to back (B4.2 CompressedPackedForward).
absl::Status Gunzip(std::string_view in, size_t cap, std::string& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("Cannot initialize zlib.");
  }
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, &inflateEnd);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): zlib's API is not const-correct.
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char chunk[kInflateChunk];
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    const int ret = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = sizeof(chunk) - zs.avail_out;
    if (out.size() + produced > cap) {
      return TooLargeDecompressed(cap);
    }
    out.append(chunk, produced);
    if (ret == Z_STREAM_END) {
      if (zs.avail_in == 0) {
        return absl::OkStatus();
      }
      if (inflateReset(&zs) != Z_OK) {
        return absl::DataLossError("Cannot restart gzip inflation.");
      }
      continue;
    }
    if (ret != Z_OK) {
      return absl::DataLossError("Fluent Forward entries are not valid gzip.");
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      return absl::DataLossError("Fluent Forward gzip entries are truncated.");
    }
  }
}

absl::Status Unzstd(std::string_view in, size_t cap, std::string& out) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (ctx == nullptr) {
    return absl::InternalError("Cannot create a zstd context.");
  }
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  char chunk[kInflateChunk];
  size_t last = 0;
  while (input.pos < input.size) {
    ZSTD_outBuffer output{chunk, sizeof(chunk), 0};
    last = ZSTD_decompressStream(ctx.get(), &output, &input);
    if (ZSTD_isError(last) != 0) {
      return absl::DataLossError("Fluent Forward entries are not valid zstd.");
    }
    if (out.size() + output.pos > cap) {
      return TooLargeDecompressed(cap);
    }
    out.append(chunk, output.pos);
  }
  // Flush what the decoder still holds.
  while (last != 0) {
    ZSTD_outBuffer output{chunk, sizeof(chunk), 0};
    last = ZSTD_decompressStream(ctx.get(), &output, &input);
    if (ZSTD_isError(last) != 0 || output.pos == 0) {
      return absl::DataLossError("Fluent Forward zstd entries are truncated.");
    }
    if (out.size() + output.pos > cap) {
      return TooLargeDecompressed(cap);
    }
    out.append(chunk, output.pos);
  }
  return absl::OkStatus();
}

bool StartsWith(std::string_view data, std::string_view magic) { return data.starts_with(magic); }

// ---- one message --------------------------------------------------------------------------------

struct Options {
  std::optional<std::string> chunk;
  std::string compressed;
};

absl::Status ReadOptions(Reader& r, Options& options) {
  Header h;
  if (!r.Next(h)) {
    return Malformed("truncated option");
  }
  if (h.kind == Kind::kNil) {
    return absl::OkStatus();  // Docker 18.x sends nil.
  }
  if (h.kind != Kind::kMap) {
    return Malformed("option is neither a map nor nil");
  }
  for (uint64_t i = 0; i < h.length; ++i) {
    Header kh;
    std::string_view key;
    if (!r.Next(kh)) {
      return Malformed("truncated option");
    }
    if (kh.kind != Kind::kStr || !r.Payload(kh.length, key)) {
      if (!r.SkipRest(kh) || !r.Skip()) {
        return Malformed("truncated option");
      }
      continue;
    }
    Header vh;
    if (!r.Next(vh)) {
      return Malformed("truncated option");
    }
    std::string_view value;
    if ((key == "chunk" || key == "compressed") &&
        (vh.kind == Kind::kStr || vh.kind == Kind::kBin)) {
      if (!r.Payload(vh.length, value)) {
        return Malformed("truncated option");
      }
      if (key == "chunk") {
        options.chunk = std::string(value);
      } else {
        options.compressed = std::string(value);
      }
    } else if (!r.SkipRest(vh)) {
      return Malformed("truncated option");
    }
  }
  return absl::OkStatus();
}

absl::Status ReadPacked(std::string_view payload, const Options& options,
                        const ForwardLimits& limits, std::string_view tag,
                        std::vector<LogRecord>& records) {
  std::string inflated;
  std::string_view entries = payload;
  if (options.compressed == "gzip" || StartsWith(payload, "\x1f\x8b")) {
    if (absl::Status status = Gunzip(payload, limits.max_decompressed_bytes, inflated);
        !status.ok()) {
      return status;
    }
    entries = inflated;
  } else if (options.compressed == "zstd" || StartsWith(payload, "\x28\xb5\x2f\xfd")) {
    if (absl::Status status = Unzstd(payload, limits.max_decompressed_bytes, inflated);
        !status.ok()) {
      return status;
    }
    entries = inflated;
  }
  size_t pos = 0;
  while (pos < entries.size()) {
    const std::string_view rest = entries.substr(pos);
    size_t end = 0;
    size_t needed = 0;
    if (ScanObject(rest, rest.size(), end, needed) != ScanResult::kComplete) {
      return Malformed("truncated or invalid packed entry");
    }
    Reader r(rest.substr(0, end));
    if (absl::Status status = ReadEntry(r, tag, records); !status.ok()) {
      return status;
    }
    pos += end;
  }
  return absl::OkStatus();
}

// Decodes one complete top-level object. Records read before an error are still appended.
absl::Status DecodeMessage(std::string_view object, const ForwardLimits& limits,
                           std::vector<ForwardMessage>& out) {
  Reader r(object);
  Header h;
  if (!r.Next(h)) {
    return Malformed("truncated frame");
  }
  if (h.kind == Kind::kNil) {
    return absl::OkStatus();  // Heartbeat.
  }
  if (h.kind != Kind::kArray || h.length < 2 || h.length > 4) {
    return Malformed("frame is not an array of 2 to 4 elements");
  }
  Header th;
  std::string_view tag;
  if (!r.Next(th) || th.kind != Kind::kStr || !r.Payload(th.length, tag)) {
    return Malformed("tag is not a string");
  }
  const size_t second = r.pos();
  Header sh;
  if (!r.Next(sh)) {
    return Malformed("truncated frame");
  }
  const bool message_mode = sh.kind == Kind::kInt || sh.kind == Kind::kUint ||
                            sh.kind == Kind::kExt || sh.kind == Kind::kFloat;
  if (message_mode && h.length < 3) {
    return Malformed("Message mode without a record");
  }
  // The option decides compression and acking, so read it first.
  Options options;
  const uint64_t option_index = message_mode ? 3 : 2;
  if (h.length > option_index) {
    Reader probe(object);
    probe.set_pos(second);
    for (uint64_t i = 1; i < option_index; ++i) {
      if (!probe.Skip()) {
        return Malformed("truncated frame");
      }
    }
    if (absl::Status status = ReadOptions(probe, options); !status.ok()) {
      return status;
    }
  }
  ForwardMessage message;
  absl::Status status;
  if (message_mode) {
    int64_t ns = 0;
    Header rh;
    status = ReadTime(r, sh, ns);
    if (status.ok()) {
      status =
          r.Next(rh) ? ReadRecord(r, rh, tag, ns, message.records) : Malformed("truncated frame");
    }
  } else if (sh.kind == Kind::kArray) {
    for (uint64_t i = 0; i < sh.length && status.ok(); ++i) {
      status = ReadEntry(r, tag, message.records);
    }
  } else if (sh.kind == Kind::kBin || sh.kind == Kind::kStr) {
    std::string_view payload;
    status = r.Payload(sh.length, payload)
                 ? ReadPacked(payload, options, limits, tag, message.records)
                 : Malformed("truncated frame");
  } else {
    status = Malformed("second element is not a time, an array or packed entries");
  }
  if (status.ok()) {
    message.ack_chunk = std::move(options.chunk);
  }
  if (!message.records.empty() || message.ack_chunk.has_value()) {
    out.push_back(std::move(message));
  }
  return status;
}

ForwardError KindOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted:
      return ForwardError::kTooLarge;
    case absl::StatusCode::kDataLoss:
      return ForwardError::kBadCompression;
    default:
      return ForwardError::kMalformed;
  }
}

// Compact once the consumed prefix is at least this large and half the buffer.
constexpr size_t kCompactBytes = 4096;

}  // namespace

ForwardDecoder::ForwardDecoder(ForwardLimits limits) : limits_(limits) {}

absl::Status ForwardDecoder::Fail(ForwardError kind, absl::Status status) {
  error_ = kind;
  status_ = std::move(status);
  buffer_.clear();
  buffer_.shrink_to_fit();
  begin_ = 0;
  return status_;
}

absl::Status ForwardDecoder::Feed(std::string_view bytes, std::vector<ForwardMessage>& out) {
  if (!status_.ok()) {
    return status_;
  }
  buffer_.append(bytes.data(), bytes.size());
  while (true) {
    const size_t available = buffer_.size() - begin_;
    if (available == 0 || available < needed_) {
      break;
    }
    const std::string_view view(buffer_.data() + begin_, available);
    size_t end = 0;
    size_t needed = 0;
    switch (ScanObject(view, limits_.max_message_bytes, end, needed)) {
      case ScanResult::kComplete:
        break;
      case ScanResult::kNeedMore:
        needed_ = std::max(needed, available + 1);
        continue;  // available < needed_ now: leaves the loop.
      case ScanResult::kTooLarge:
        return Fail(ForwardError::kTooLarge, absl::ResourceExhaustedError(fmt::format(
                                                 "Fluent Forward message larger than {} bytes.",
                                                 limits_.max_message_bytes)));
      case ScanResult::kTooDeep:
        return Fail(ForwardError::kMalformed, Malformed("nesting too deep"));
      case ScanResult::kInvalid:
        return Fail(ForwardError::kMalformed, Malformed("invalid msgpack"));
    }
    needed_ = 0;
    absl::Status status = DecodeMessage(view.substr(0, end), limits_, out);
    begin_ += end;
    if (!status.ok()) {
      const ForwardError kind = KindOf(status);
      return Fail(kind, std::move(status));
    }
  }
  if (begin_ == buffer_.size()) {
    buffer_.clear();
    begin_ = 0;
  } else if (begin_ >= kCompactBytes && begin_ >= buffer_.size() / 2) {
    buffer_.erase(0, begin_);
    begin_ = 0;
  }
  return absl::OkStatus();
}

std::string EncodeAck(std::string_view chunk) {
  std::string out =
      "\x81\xa3"
      "ack";
  const size_t n = chunk.size();
  if (n < 32) {
    out.push_back(static_cast<char>(0xa0 | n));
  } else if (n < 256) {
    out.push_back(static_cast<char>(0xd9));
    out.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(0xda));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
  } else {
    out.push_back(static_cast<char>(0xdb));
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>(n >> shift));
    }
  }
  out.append(chunk.data(), n);
  return out;
}

}  // namespace sidecar::logs
