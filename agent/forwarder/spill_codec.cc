#include "agent/forwarder/spill_codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace sidecar::forwarder {
namespace {

// `seed` continues a running CRC (crc32(0) is zlib's initial value).
uint32_t Crc32(std::string_view bytes, uint32_t seed = 0) {
  uLong crc = seed;
  // zlib takes uInt lengths; records are far below 4 GiB but feed it in chunks anyway.
  while (!bytes.empty()) {
    const size_t chunk = std::min<size_t>(bytes.size(), 1U << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(chunk));
    bytes.remove_prefix(chunk);
  }
  return static_cast<uint32_t>(crc);
}

void PutU8(std::string& out, uint8_t value) { out.push_back(static_cast<char>(value)); }

void PutU32(std::string& out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

void PutU64(std::string& out, uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

void PutString(std::string& out, std::string_view value) {
  PutU32(out, static_cast<uint32_t>(value.size()));
  out.append(value);
}

// Bounds-checked reader: every Get fails (and stays failed) instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::optional<uint8_t> U8() {
    if (bytes_.empty()) {
      return std::nullopt;
    }
    const auto value = static_cast<uint8_t>(bytes_.front());
    bytes_.remove_prefix(1);
    return value;
  }
  std::optional<uint32_t> U32() {
    if (bytes_.size() < 4) {
      return std::nullopt;
    }
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      value |= static_cast<uint32_t>(static_cast<uint8_t>(bytes_[i])) << (8 * i);
    }
    bytes_.remove_prefix(4);
    return value;
  }
  std::optional<uint64_t> U64() {
    if (bytes_.size() < 8) {
      return std::nullopt;
    }
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) {
      value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[i])) << (8 * i);
    }
    bytes_.remove_prefix(8);
    return value;
  }
  std::optional<std::string_view> Bytes(size_t n) {
    if (bytes_.size() < n) {
      return std::nullopt;
    }
    std::string_view out = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return out;
  }
  bool String(std::string& out) {
    std::optional<uint32_t> size = U32();
    if (!size) {
      return false;
    }
    std::optional<std::string_view> value = Bytes(*size);
    if (!value) {
      return false;
    }
    out.assign(value->data(), value->size());
    return true;
  }
  size_t Remaining() const { return bytes_.size(); }

 private:
  std::string_view bytes_;
};

std::string EncodeBody(const SpillRecord& record) {
  std::string out;
  out.reserve(64 + record.body.size() + record.route.size() + record.endpoint_base_url.size());
  PutU8(out, static_cast<uint8_t>(record.intake));
  PutU8(out, static_cast<uint8_t>(record.priority));
  PutU32(out, record.endpoint_index);
  PutU64(out, static_cast<uint64_t>(record.created_unix_ms));
  PutU64(out, record.item_count);
  for (const std::string* field : {&record.endpoint_base_url, &record.route, &record.kind,
                                   &record.content_type, &record.content_encoding}) {
    PutString(out, *field);
  }
  PutU32(out, static_cast<uint32_t>(record.headers.size()));
  for (const auto& [name, value] : record.headers) {
    PutString(out, name);
    PutString(out, value);
  }
  PutString(out, record.body);
  return out;
}

std::optional<SpillRecord> DecodeBody(std::string_view bytes) {
  Reader reader(bytes);
  SpillRecord record;
  const std::optional<uint8_t> intake = reader.U8();
  const std::optional<uint8_t> priority = reader.U8();
  const std::optional<uint32_t> index = reader.U32();
  const std::optional<uint64_t> created = reader.U64();
  const std::optional<uint64_t> items = reader.U64();
  if (!intake || !priority || !index || !created || !items) {
    return std::nullopt;
  }
  if (*intake > static_cast<uint8_t>(Intake::kLogs) ||
      *priority > static_cast<uint8_t>(Priority::kHigh)) {
    return std::nullopt;
  }
  record.intake = static_cast<Intake>(*intake);
  record.priority = static_cast<Priority>(*priority);
  record.endpoint_index = *index;
  record.created_unix_ms = static_cast<int64_t>(*created);
  record.item_count = *items;
  for (std::string* field : {&record.endpoint_base_url, &record.route, &record.kind,
                             &record.content_type, &record.content_encoding}) {
    if (!reader.String(*field)) {
      return std::nullopt;
    }
  }
  const std::optional<uint32_t> header_count = reader.U32();
  // Each header takes at least 8 bytes, which bounds the reserve by the input size.
  if (!header_count || *header_count > reader.Remaining() / 8) {
    return std::nullopt;
  }
  record.headers.reserve(*header_count);
  for (uint32_t i = 0; i < *header_count; ++i) {
    std::string name;
    std::string value;
    if (!reader.String(name) || !reader.String(value)) {
      return std::nullopt;
    }
    record.headers.emplace_back(std::move(name), std::move(value));
  }
  if (!reader.String(record.body) || reader.Remaining() != 0) {
    return std::nullopt;
  }
  return record;
}

std::string LengthBytes(uint32_t length) {
  std::string out;
  PutU32(out, length);
  return out;
}

}  // namespace

std::string EncodeSpillFile(const std::vector<SpillRecord>& records) {
  std::string out;
  out.append(kSpillMagic);
  PutU32(out, kSpillVersion);
  PutU32(out, static_cast<uint32_t>(records.size()));
  PutU32(out, Crc32(out));
  for (const SpillRecord& record : records) {
    const std::string body = EncodeBody(record);
    const std::string length = LengthBytes(static_cast<uint32_t>(body.size()));
    const uint32_t crc = Crc32(body, Crc32(length));
    out.append(length);
    PutU32(out, crc);
    out.append(body);
  }
  return out;
}

SpillHeader DecodeSpillHeader(std::string_view bytes) {
  SpillHeader header;
  if (bytes.size() < kSpillHeaderBytes || bytes.substr(0, 4) != kSpillMagic) {
    return header;
  }
  Reader reader(bytes.substr(4, kSpillHeaderBytes - 4));
  const std::optional<uint32_t> version = reader.U32();
  const std::optional<uint32_t> count = reader.U32();
  const std::optional<uint32_t> crc = reader.U32();
  if (!version || !count || !crc || *version != kSpillVersion ||
      *crc != Crc32(bytes.substr(0, 12))) {
    return header;
  }
  header.ok = true;
  header.records = *count;
  return header;
}

DecodedSpillFile DecodeSpillFile(std::string_view bytes) {
  DecodedSpillFile file;
  const SpillHeader header = DecodeSpillHeader(bytes);
  if (!header.ok) {
    file.corrupt_records = 1;
    return file;
  }
  file.header_ok = true;
  file.declared_records = header.records;
  Reader reader(bytes.substr(kSpillHeaderBytes));
  bool damaged = false;
  while (file.records.size() < header.records) {
    const std::optional<uint32_t> length = reader.U32();
    const std::optional<uint32_t> crc = reader.U32();
    if (!length || !crc) {
      damaged = true;  // Truncated between records.
      break;
    }
    const std::optional<std::string_view> body = reader.Bytes(*length);
    if (!body) {
      damaged = true;  // Truncated inside a record, or a corrupted length.
      break;
    }
    const uint32_t actual = Crc32(*body, Crc32(LengthBytes(*length)));
    std::optional<SpillRecord> record;
    if (actual == *crc) {
      record = DecodeBody(*body);
    }
    if (!record) {
      // Nothing after a bad record can be trusted to start where its length says.
      damaged = true;
      break;
    }
    file.records.push_back(std::move(*record));
  }
  const uint64_t missing = header.records - file.records.size();
  file.corrupt_records = damaged ? std::max<uint64_t>(missing, 1) : missing;
  return file;
}

}  // namespace sidecar::forwarder
