// Binary format of one spill file (transaction_spill.h): a batch of retry transactions written
// and read as a whole. Pure functions, no I/O, so the format is testable and fuzzable alone.
//
// File   = header record*
// Header = magic "SCSP" | version u32 | record count u32 | crc32 of the previous 12 bytes
// Record = length u32 | crc32 u32 over (length, body) | body
// Body   = intake u8 | priority u8 | endpoint index u32 | created unix ms i64 | item count u64 |
//          endpoint base URL, route, kind, content type, content encoding (each u32 length +
//          bytes) | header count u32 | (name, value)* | payload body (u32 length + bytes)
// Integers are little-endian. The CRC covers the length too: a corrupted length is detected
// instead of sending the decoder into the middle of the next record.
//
// A record never holds an API key: the endpoint is identified by base URL and index and
// resolved against the configured endpoints at load time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/forwarder/payload.h"

namespace sidecar::forwarder {

inline constexpr std::string_view kSpillMagic = "SCSP";
inline constexpr uint32_t kSpillVersion = 1;
inline constexpr size_t kSpillHeaderBytes = 16;

struct SpillRecord {
  Intake intake = Intake::kMetrics;
  Priority priority = Priority::kNormal;
  uint32_t endpoint_index = 0;
  int64_t created_unix_ms = 0;
  uint64_t item_count = 0;
  std::string endpoint_base_url;
  std::string route;
  std::string kind;
  std::string content_type;
  std::string content_encoding;
  Headers headers;
  std::string body;

  bool operator==(const SpillRecord&) const = default;
};

std::string EncodeSpillFile(const std::vector<SpillRecord>& records);

struct DecodedSpillFile {
  std::vector<SpillRecord> records;  // Every record whose CRC and fields checked out.
  bool header_ok = false;
  uint32_t declared_records = 0;  // From the header; 0 when the header is unreadable.
  // Records lost to corruption or truncation: declared minus decoded, at least 1 when anything
  // was wrong with the file.
  uint64_t corrupt_records = 0;
};

// Never throws, never reads out of bounds, allocates at most the size of `bytes`.
DecodedSpillFile DecodeSpillFile(std::string_view bytes);

// The header alone: lets the store count what an evicted file held without reading all of it.
struct SpillHeader {
  bool ok = false;
  uint32_t records = 0;
};
SpillHeader DecodeSpillHeader(std::string_view bytes);

}  // namespace sidecar::forwarder
