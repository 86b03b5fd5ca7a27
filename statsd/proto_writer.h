// File: statsd/proto_writer.h
//
// Just enough protobuf wire format to write MetricPayload and SketchPayload by hand (the
// encoders append records one by one into a stream compressor, which the generated classes
// cannot do). Writers follow proto3 presence: scalar fields equal to their default are omitted,
// as the Agent's encoder does; repeated strings are always written.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sidecar::statsd::internal {

enum class WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };

inline size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

// Written into a local buffer and appended once: a push_back per byte (a capacity check and a
// size update each) was the largest single cost of encoding a flush.
inline void AppendVarint(std::string& out, uint64_t value) {
  if (value < 0x80) {
    out.push_back(static_cast<char>(value));
    return;
  }
  char bytes[10];
  size_t size = 0;
  while (value >= 0x80) {
    bytes[size++] = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  bytes[size++] = static_cast<char>(value);
  out.append(bytes, size);
}

inline uint64_t FieldKey(uint32_t field, WireType type) {
  return (uint64_t{field} << 3) | static_cast<uint32_t>(type);
}

inline void AppendKey(std::string& out, uint32_t field, WireType type) {
  AppendVarint(out, FieldKey(field, type));
}

// Negative int64 values take ten bytes, as protobuf's int64 does.
inline uint64_t Int64Bits(int64_t value) { return static_cast<uint64_t>(value); }

inline uint32_t ZigZag32(int32_t value) {
  return (static_cast<uint32_t>(value) << 1) ^ static_cast<uint32_t>(value >> 31);
}

// Size of a length-delimited field holding `payload_size` bytes, key included.
inline size_t LengthDelimitedFieldSize(uint32_t field, size_t payload_size) {
  return VarintSize(FieldKey(field, WireType::kLengthDelimited)) + VarintSize(payload_size) +
         payload_size;
}

inline void AppendLengthPrefix(std::string& out, uint32_t field, size_t payload_size) {
  AppendKey(out, field, WireType::kLengthDelimited);
  AppendVarint(out, payload_size);
}

// Repeated string / bytes element: written even when empty.
inline void AppendBytesField(std::string& out, uint32_t field, std::string_view bytes) {
  AppendLengthPrefix(out, field, bytes.size());
  out.append(bytes);
}

inline size_t StringFieldSize(uint32_t field, std::string_view text) {
  return text.empty() ? 0 : LengthDelimitedFieldSize(field, text.size());
}

inline void AppendStringField(std::string& out, uint32_t field, std::string_view text) {
  if (!text.empty()) {
    AppendBytesField(out, field, text);
  }
}

inline size_t VarintFieldSize(uint32_t field, uint64_t value) {
  return value == 0 ? 0 : VarintSize(FieldKey(field, WireType::kVarint)) + VarintSize(value);
}

inline void AppendVarintField(std::string& out, uint32_t field, uint64_t value) {
  if (value != 0) {
    AppendKey(out, field, WireType::kVarint);
    AppendVarint(out, value);
  }
}

// Omitted only for +0.0 (protobuf compares bits, so -0.0 is written).
inline size_t DoubleFieldSize(uint32_t field, double value) {
  return std::bit_cast<uint64_t>(value) == 0
             ? 0
             : VarintSize(FieldKey(field, WireType::kFixed64)) + sizeof(uint64_t);
}

inline void AppendDoubleField(std::string& out, uint32_t field, double value) {
  const auto bits = std::bit_cast<uint64_t>(value);
  if (bits == 0) {
    return;
  }
  AppendKey(out, field, WireType::kFixed64);
  char bytes[sizeof(uint64_t)];
  for (size_t i = 0; i < sizeof(bytes); ++i) {
    bytes[i] = static_cast<char>((bits >> (8 * i)) & 0xFF);  // Little-endian on any host.
  }
  out.append(bytes, sizeof(bytes));
}

}  // namespace sidecar::statsd::internal
