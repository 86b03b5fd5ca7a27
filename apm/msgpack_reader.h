// File: apm/msgpack_reader.h
//
// A zero-copy, forward-only msgpack cursor over an untrusted buffer, for the trace decoders
// (apm/trace_decoder.h). It exists instead of msgpack-cxx's object tree because every container
// header must be checked against the bytes that remain before anything is allocated (apm.md §2.2,
// R10: an array header claiming 25 M elements in a 10-byte body fails at once), and because the
// decoders write straight into the protobuf spans without an intermediate tree.
//
//   MsgpackReader reader(body);
//   uint32_t count = 0;
//   SIDECAR_RETURN_IF_ERROR(reader.ReadArrayHeader(count));
//   for (uint32_t i = 0; i < count; ++i) { ... reader.ReadStr(view) ... reader.Skip() ... }
//
// Errors: truncated input is absl::OutOfRangeError("unexpected EOF"); a value of the wrong type, a
// reserved byte (0xc1), a container header above the element limit ("too long payload") or nesting
// kSkipDepthLimit levels deep is absl::InvalidArgumentError. After an error the cursor position is
// unspecified; callers stop decoding.
//
// Returned string views point into the buffer; nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace sidecar::apm {

// The msgpack families a value can belong to (the spec's "format families").
enum class MsgpackType {
  kNil,
  kBool,
  kInt,  // any signed or unsigned integer encoding, fixints included
  kFloat32,
  kFloat64,
  kStr,
  kBin,
  kArray,
  kMap,
  kExt,
  kInvalid,  // 0xc1, never used by msgpack
};

std::string_view MsgpackTypeName(MsgpackType type);

// An integer as read from the wire, before a caller decides how to narrow it. `negative` is true
// only for values below zero; `bits` then holds the two's-complement pattern of the int64 value,
// otherwise the value itself. This is all the lenient readers of apm.md §2.1 need: uint64 ids
// reinterpret negatives, int64 fields reject unsigned values above INT64_MAX, and so on.
struct MsgpackInt {
  uint64_t bits = 0;
  bool negative = false;

  int64_t AsInt64() const { return static_cast<int64_t>(bits); }
};

class MsgpackReader {
 public:
  // Container headers declaring more than `max_container_elements` elements fail with
  // "too long payload" (the Agent's anti-OOM rule, apm.md §2.2).
  static constexpr uint32_t kDefaultMaxContainerElements = 25'000'000;
  // Skip() refuses a value with this many nested containers or more (it does not recurse, so the
  // limit guards nothing but sanity: no tracer nests unknown fields that deep).
  static constexpr int kSkipDepthLimit = 64;

  // What a container header is checked against. kLimitOnly is for outer headers the Agent reads
  // without a size check, so that a bad inner header still yields "too long payload" (R10).
  enum class HeaderCheck { kLimitAndSize, kLimitOnly };

  explicit MsgpackReader(std::string_view data,
                         uint32_t max_container_elements = kDefaultMaxContainerElements)
      : data_(data), max_container_elements_(max_container_elements) {}

  // Spans a body may hold: a few-byte span map decodes into a ~200-byte protobuf Span, so a
  // hostile 25 MiB body of empty maps would otherwise expand into gigabytes.
  void set_span_budget(uint64_t spans) { span_budget_ = spans; }
  absl::Status TakeSpan() {
    if (span_budget_ == 0) {
      return absl::InvalidArgumentError("too many spans for the payload size");
    }
    --span_budget_;
    return absl::OkStatus();
  }

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool AtEnd() const { return pos_ >= data_.size(); }

  // Family of the next value, without consuming it. OutOfRange at the end of the buffer.
  absl::Status PeekType(MsgpackType& type) const;

  // Consumes a nil and returns true if the next value is nil; otherwise consumes nothing.
  // Inline: the lenient readers try it before every string, integer and container.
  bool TryReadNil() {
    if (!AtEnd() && static_cast<uint8_t>(data_[pos_]) == 0xc0) {
      ++pos_;
      return true;
    }
    return false;
  }

  absl::Status ReadNil();
  absl::Status ReadBool(bool& value);
  absl::Status ReadInt(MsgpackInt& value);
  // float32 or float64 only; integers are the caller's choice (see msgpack_field_readers.cc).
  absl::Status ReadFloat(double& value);
  // str or bin: the decoders accept either wherever a string is expected (apm.md §2.1).
  // Span keys and most values are fixstr (under 32 bytes): those are read inline, the rest (and
  // every error) out of line.
  absl::Status ReadStringOrBinary(std::string_view& value) {
    if (!AtEnd()) {
      const auto lead = static_cast<uint8_t>(data_[pos_]);
      const size_t length = lead & 0x1f;
      if ((lead & 0xe0) == 0xa0 && length < remaining()) {
        value = data_.substr(pos_ + 1, length);
        pos_ += 1 + length;
        return absl::OkStatus();
      }
    }
    return ReadStringOrBinaryHeader(value);
  }

  // Container headers, validated against the element limit and against the bytes left (an array
  // element takes at least one byte, a map entry two), so a caller may reserve `count` slots.
  absl::Status ReadArrayHeader(uint32_t& count, HeaderCheck check = HeaderCheck::kLimitAndSize);
  absl::Status ReadMapHeader(uint32_t& count);

  // Skips one complete value of any type, iteratively.
  absl::Status Skip();

 private:
  uint64_t span_budget_ = UINT64_MAX;
  // Consumes the header of the next value and classifies it. For str/bin/ext, `length` is the
  // payload size in bytes (ext: including the type byte); for arrays and maps the element count
  // (not yet validated); for scalars 0. The scalar payload itself is not consumed.
  absl::Status ReadHeader(MsgpackType& type, uint64_t& length, uint8_t& lead);
  // ReadStringOrBinary for every encoding, through ReadHeader.
  absl::Status ReadStringOrBinaryHeader(std::string_view& value);
  absl::Status ReadBigEndian(size_t size, uint64_t& value);
  absl::Status CheckContainer(uint64_t count, uint64_t min_bytes_each);
  absl::Status TypeError(MsgpackType got, std::string_view wanted) const;

  std::string_view data_;
  size_t pos_ = 0;
  uint32_t max_container_elements_;
};

// The one status for truncated input, so the receiver can count it separately (apm.md §1.2 step 6).
absl::Status UnexpectedEof();

}  // namespace sidecar::apm
