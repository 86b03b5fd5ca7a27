#include "apm/msgpack_reader.h"

#include <bit>
#include <cstring>
#include <string>

#include "agent/common/status_macros.h"
#include "fmt/format.h"

namespace sidecar::apm {

absl::Status UnexpectedEof() { return absl::OutOfRangeError("unexpected EOF"); }

std::string_view MsgpackTypeName(MsgpackType type) {
  // The names msgp (the Agent's library) prints in its type errors.
  switch (type) {
    case MsgpackType::kNil:
      return "nil";
    case MsgpackType::kBool:
      return "bool";
    case MsgpackType::kInt:
      return "int";
    case MsgpackType::kFloat32:
      return "float32";
    case MsgpackType::kFloat64:
      return "float64";
    case MsgpackType::kStr:
      return "str";
    case MsgpackType::kBin:
      return "bin";
    case MsgpackType::kArray:
      return "array";
    case MsgpackType::kMap:
      return "map";
    case MsgpackType::kExt:
      return "ext";
    case MsgpackType::kInvalid:
      break;
  }
  return "invalid";
}

namespace {

MsgpackType TypeOfLead(uint8_t lead) {
  if (lead <= 0x7f || lead >= 0xe0) {
    return MsgpackType::kInt;
  }
  if (lead <= 0x8f) {
    return MsgpackType::kMap;
  }
  if (lead <= 0x9f) {
    return MsgpackType::kArray;
  }
  if (lead <= 0xbf) {
    return MsgpackType::kStr;
  }
  switch (lead) {
    case 0xc0:
      return MsgpackType::kNil;
    case 0xc2:
    case 0xc3:
      return MsgpackType::kBool;
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return MsgpackType::kBin;
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return MsgpackType::kExt;
    case 0xca:
      return MsgpackType::kFloat32;
    case 0xcb:
      return MsgpackType::kFloat64;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
      return MsgpackType::kInt;
    case 0xd9:
    case 0xda:
    case 0xdb:
      return MsgpackType::kStr;
    case 0xdc:
    case 0xdd:
      return MsgpackType::kArray;
    case 0xde:
    case 0xdf:
      return MsgpackType::kMap;
    default:
      return MsgpackType::kInvalid;
  }
}

}  // namespace

absl::Status MsgpackReader::PeekType(MsgpackType& type) const {
  if (AtEnd()) {
    return UnexpectedEof();
  }
  type = TypeOfLead(static_cast<uint8_t>(data_[pos_]));
  return absl::OkStatus();
}

absl::Status MsgpackReader::ReadBigEndian(size_t size, uint64_t& value) {
  if (remaining() < size) {
    return UnexpectedEof();
  }
  const char* bytes = data_.data() + pos_;
  pos_ += size;
  // Ids, timestamps and durations are 8-byte big-endian integers in every span: one load and a
  // byte swap instead of a shift per byte.
  if constexpr (std::endian::native == std::endian::little) {
    if (size == sizeof(uint64_t)) {
      uint64_t raw = 0;
      std::memcpy(&raw, bytes, sizeof(raw));
      value = __builtin_bswap64(raw);
      return absl::OkStatus();
    }
    if (size == sizeof(uint32_t)) {
      uint32_t raw = 0;
      std::memcpy(&raw, bytes, sizeof(raw));
      value = __builtin_bswap32(raw);
      return absl::OkStatus();
    }
  }
  value = 0;
  for (size_t i = 0; i < size; ++i) {
    value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  }
  return absl::OkStatus();
}

absl::Status MsgpackReader::TypeError(MsgpackType got, std::string_view wanted) const {
  return absl::InvalidArgumentError(
      fmt::format("msgp: attempted to decode type \"{}\" with method for \"{}\"",
                  MsgpackTypeName(got), wanted));
}

absl::Status MsgpackReader::ReadHeader(MsgpackType& type, uint64_t& length, uint8_t& lead) {
  if (AtEnd()) {
    return UnexpectedEof();
  }
  lead = static_cast<uint8_t>(data_[pos_++]);
  type = TypeOfLead(lead);
  length = 0;
  switch (type) {
    case MsgpackType::kNil:
    case MsgpackType::kBool:
    case MsgpackType::kInvalid:
      return absl::OkStatus();
    case MsgpackType::kInt:
      if (lead >= 0xcc && lead <= 0xd3) {
        length = uint64_t{1} << (lead & 0x3);  // 1, 2, 4 or 8 payload bytes
      }
      return absl::OkStatus();
    case MsgpackType::kFloat32:
      length = 4;
      return absl::OkStatus();
    case MsgpackType::kFloat64:
      length = 8;
      return absl::OkStatus();
    case MsgpackType::kStr:
      if (lead <= 0xbf) {
        length = lead & 0x1f;
        return absl::OkStatus();
      }
      return ReadBigEndian(size_t{1} << (lead - 0xd9), length);
    case MsgpackType::kBin:
      return ReadBigEndian(size_t{1} << (lead - 0xc4), length);
    case MsgpackType::kArray:
      if (lead <= 0x9f) {
        length = lead & 0x0f;
        return absl::OkStatus();
      }
      return ReadBigEndian(lead == 0xdc ? 2 : 4, length);
    case MsgpackType::kMap:
      if (lead <= 0x8f) {
        length = lead & 0x0f;
        return absl::OkStatus();
      }
      return ReadBigEndian(lead == 0xde ? 2 : 4, length);
    case MsgpackType::kExt:
      if (lead >= 0xd4) {
        length = (uint64_t{1} << (lead - 0xd4)) + 1;  // fixext: type byte + 1..16 bytes
        return absl::OkStatus();
      }
      SIDECAR_RETURN_IF_ERROR(ReadBigEndian(size_t{1} << (lead - 0xc7), length));
      length += 1;  // the type byte
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status MsgpackReader::ReadNil() {
  if (TryReadNil()) {
    return absl::OkStatus();
  }
  MsgpackType type = MsgpackType::kNil;
  SIDECAR_RETURN_IF_ERROR(PeekType(type));
  return TypeError(type, "nil");
}

absl::Status MsgpackReader::ReadBool(bool& value) {
  if (AtEnd()) {
    return UnexpectedEof();
  }
  const auto lead = static_cast<uint8_t>(data_[pos_]);
  if (lead != 0xc2 && lead != 0xc3) {
    return TypeError(TypeOfLead(lead), "bool");
  }
  ++pos_;
  value = lead == 0xc3;
  return absl::OkStatus();
}

absl::Status MsgpackReader::ReadInt(MsgpackInt& value) {
  if (AtEnd()) {
    return UnexpectedEof();
  }
  const auto lead = static_cast<uint8_t>(data_[pos_]);
  if (lead <= 0x7f) {
    ++pos_;
    value = {lead, false};
    return absl::OkStatus();
  }
  if (lead >= 0xe0) {
    ++pos_;
    value = {static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(lead))), true};
    return absl::OkStatus();
  }
  if (lead < 0xcc || lead > 0xd3) {
    return TypeError(TypeOfLead(lead), "int");
  }
  ++pos_;
  const size_t size = size_t{1} << (lead & 0x3);
  uint64_t raw = 0;
  SIDECAR_RETURN_IF_ERROR(ReadBigEndian(size, raw));
  if (lead <= 0xcf) {  // uint8..uint64
    value = {raw, false};
    return absl::OkStatus();
  }
  // int8..int64: sign-extend from `size` bytes.
  const int shift = static_cast<int>(64 - 8 * size);
  const int64_t signed_value = static_cast<int64_t>(raw << shift) >> shift;
  value = {static_cast<uint64_t>(signed_value), signed_value < 0};
  return absl::OkStatus();
}

absl::Status MsgpackReader::ReadFloat(double& value) {
  if (AtEnd()) {
    return UnexpectedEof();
  }
  const auto lead = static_cast<uint8_t>(data_[pos_]);
  if (lead != 0xca && lead != 0xcb) {
    return TypeError(TypeOfLead(lead), "float64");
  }
  ++pos_;
  uint64_t raw = 0;
  SIDECAR_RETURN_IF_ERROR(ReadBigEndian(lead == 0xca ? 4 : 8, raw));
  if (lead == 0xca) {
    value = std::bit_cast<float>(static_cast<uint32_t>(raw));
  } else {
    value = std::bit_cast<double>(raw);
  }
  return absl::OkStatus();
}

absl::Status MsgpackReader::ReadStringOrBinaryHeader(std::string_view& value) {
  if (AtEnd()) {
    return UnexpectedEof();
  }
  const MsgpackType peeked = TypeOfLead(static_cast<uint8_t>(data_[pos_]));
  if (peeked != MsgpackType::kStr && peeked != MsgpackType::kBin) {
    return TypeError(peeked, "str");
  }
  MsgpackType type = MsgpackType::kNil;
  uint64_t length = 0;
  uint8_t lead = 0;
  SIDECAR_RETURN_IF_ERROR(ReadHeader(type, length, lead));
  if (length > remaining()) {
    return UnexpectedEof();
  }
  value = data_.substr(pos_, length);
  pos_ += length;
  return absl::OkStatus();
}

absl::Status MsgpackReader::CheckContainer(uint64_t count, uint64_t min_bytes_each) {
  if (count > max_container_elements_) {
    return absl::InvalidArgumentError("too long payload");
  }
  if (min_bytes_each != 0 && count * min_bytes_each > remaining()) {
    return UnexpectedEof();
  }
  return absl::OkStatus();
}

absl::Status MsgpackReader::ReadArrayHeader(uint32_t& count, HeaderCheck check) {
  if (AtEnd()) {
    return UnexpectedEof();
  }
  const MsgpackType peeked = TypeOfLead(static_cast<uint8_t>(data_[pos_]));
  if (peeked != MsgpackType::kArray) {
    return TypeError(peeked, "array");
  }
  MsgpackType type = MsgpackType::kNil;
  uint64_t length = 0;
  uint8_t lead = 0;
  SIDECAR_RETURN_IF_ERROR(ReadHeader(type, length, lead));
  SIDECAR_RETURN_IF_ERROR(CheckContainer(length, check == HeaderCheck::kLimitOnly ? 0 : 1));
  count = static_cast<uint32_t>(length);
  return absl::OkStatus();
}

absl::Status MsgpackReader::ReadMapHeader(uint32_t& count) {
  if (AtEnd()) {
    return UnexpectedEof();
  }
  const MsgpackType peeked = TypeOfLead(static_cast<uint8_t>(data_[pos_]));
  if (peeked != MsgpackType::kMap) {
    return TypeError(peeked, "map");
  }
  MsgpackType type = MsgpackType::kNil;
  uint64_t length = 0;
  uint8_t lead = 0;
  SIDECAR_RETURN_IF_ERROR(ReadHeader(type, length, lead));
  SIDECAR_RETURN_IF_ERROR(CheckContainer(length, 2));
  count = static_cast<uint32_t>(length);
  return absl::OkStatus();
}

absl::Status MsgpackReader::Skip() {
  // pending[d] = values still to skip at nesting level d; level 0 is the value itself.
  uint64_t pending[kSkipDepthLimit + 1];
  int depth = 0;
  pending[0] = 1;
  while (true) {
    while (pending[depth] == 0) {
      if (depth == 0) {
        return absl::OkStatus();
      }
      --depth;
    }
    --pending[depth];
    MsgpackType type = MsgpackType::kNil;
    uint64_t length = 0;
    uint8_t lead = 0;
    SIDECAR_RETURN_IF_ERROR(ReadHeader(type, length, lead));
    switch (type) {
      case MsgpackType::kInvalid:
        return absl::InvalidArgumentError("msgp: invalid byte 0xc1 in msgpack input");
      case MsgpackType::kArray:
      case MsgpackType::kMap: {
        const uint64_t per_element = type == MsgpackType::kMap ? 2 : 1;
        SIDECAR_RETURN_IF_ERROR(CheckContainer(length, per_element));
        if (depth + 1 >= kSkipDepthLimit) {
          return absl::InvalidArgumentError("msgpack value nested too deeply");
        }
        pending[++depth] = length * per_element;
        break;
      }
      default:
        if (length > remaining()) {
          return UnexpectedEof();
        }
        pos_ += length;
        break;
    }
  }
}

}  // namespace sidecar::apm
