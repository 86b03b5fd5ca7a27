#include "apm/msgpack_field_readers.h"

#include <limits>

#include "agent/common/status_macros.h"
#include "apm/utf8_repair.h"
#include "fmt/format.h"

namespace sidecar::apm::internal {
namespace {

// ReadInt refuses every other type itself, with the message TypeMismatch would give.
absl::Status ReadLenientInt(MsgpackReader& reader, MsgpackInt& value) {
  if (reader.TryReadNil()) {
    value = {};
    return absl::OkStatus();
  }
  return reader.ReadInt(value);
}

}  // namespace

absl::Status TypeMismatch(MsgpackReader& reader, std::string_view wanted) {
  MsgpackType type = MsgpackType::kNil;
  SIDECAR_RETURN_IF_ERROR(reader.PeekType(type));
  return absl::InvalidArgumentError(
      fmt::format("msgp: attempted to decode type \"{}\" with method for \"{}\"",
                  MsgpackTypeName(type), wanted));
}

// nil => "", str/bin => the bytes; anything else is a type error.
absl::Status ReadStringView(MsgpackReader& reader, std::string_view& value) {
  if (reader.TryReadNil()) {
    value = {};
    return absl::OkStatus();
  }
  return reader.ReadStringOrBinary(value);
}

absl::Status ReadString(MsgpackReader& reader, std::string& out) {
  std::string_view view;
  SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, view));
  AssignRepairedUtf8(view, out);
  return absl::OkStatus();
}

// Signed values are reinterpreted: tracers in languages without unsigned types send them so.
absl::Status ReadUint64(MsgpackReader& reader, uint64_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadLenientInt(reader, value));
  out = value.bits;
  return absl::OkStatus();
}

absl::Status ReadInt64(MsgpackReader& reader, int64_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadLenientInt(reader, value));
  if (!value.negative && value.bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError("found uint64, overflows int64");
  }
  out = value.AsInt64();
  return absl::OkStatus();
}

absl::Status ReadInt32(MsgpackReader& reader, int32_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadLenientInt(reader, value));
  const int64_t v = value.AsInt64();
  if (!value.negative && value.bits > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError("found uint32, overflows int32");
  }
  if (v < std::numeric_limits<int32_t>::min()) {
    return absl::InvalidArgumentError(fmt::format("msgp: {} overflows int32", v));
  }
  out = static_cast<int32_t>(v);
  return absl::OkStatus();
}

absl::Status ReadUint32(MsgpackReader& reader, uint32_t& out) {
  MsgpackInt value;
  SIDECAR_RETURN_IF_ERROR(ReadLenientInt(reader, value));
  if (value.negative) {
    return absl::InvalidArgumentError(
        fmt::format("msgp: attempted to decode negative value {} into unsigned", value.AsInt64()));
  }
  if (value.bits > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(fmt::format("msgp: {} overflows uint32", value.bits));
  }
  out = static_cast<uint32_t>(value.bits);
  return absl::OkStatus();
}

// Tracers shrink numbers, so metrics arrive as any int, uint, float32 or float64.
absl::Status ReadFloat64(MsgpackReader& reader, double& out) {
  if (reader.TryReadNil()) {
    out = 0;
    return absl::OkStatus();
  }
  MsgpackType type = MsgpackType::kNil;
  SIDECAR_RETURN_IF_ERROR(reader.PeekType(type));
  if (type == MsgpackType::kInt) {
    MsgpackInt value;
    SIDECAR_RETURN_IF_ERROR(reader.ReadInt(value));
    out = value.negative ? static_cast<double>(value.AsInt64()) : static_cast<double>(value.bits);
    return absl::OkStatus();
  }
  if (type == MsgpackType::kFloat32 || type == MsgpackType::kFloat64) {
    return reader.ReadFloat(out);
  }
  return TypeMismatch(reader, "float64");
}

absl::Status ReadBool(MsgpackReader& reader, bool& out) {
  if (reader.TryReadNil()) {
    out = false;
    return absl::OkStatus();
  }
  return reader.ReadBool(out);
}

// nil is an empty container.
absl::Status ReadMapHeaderOrNil(MsgpackReader& reader, uint32_t& count) {
  if (reader.TryReadNil()) {
    count = 0;
    return absl::OkStatus();
  }
  return reader.ReadMapHeader(count);
}

absl::Status ReadArrayHeaderOrNil(MsgpackReader& reader, uint32_t& count) {
  if (reader.TryReadNil()) {
    count = 0;
    return absl::OkStatus();
  }
  return reader.ReadArrayHeader(count);
}

// Sets `map[key] = value` for string maps, repairing both; no temporary when the key is valid.
std::string& MapSlot(StringMap& map, std::string_view key) {
  if (IsValidUtf8(key)) {
    return map[key];
  }
  std::string repaired;
  AssignRepairedUtf8(key, repaired);
  return map[repaired];
}

// map<str,str>; values of any other type fail the payload (R21).
absl::Status ReadStringMap(MsgpackReader& reader, StringMap& map) {
  uint32_t count = 0;
  SIDECAR_RETURN_IF_ERROR(ReadMapHeaderOrNil(reader, count));
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    std::string_view value;
    SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, key));
    SIDECAR_RETURN_IF_ERROR(ReadStringView(reader, value));
    if (IsValidUtf8(key) && IsValidUtf8(value)) {
      // The common case: the entry is built from both views at once. `map[key] = value` would
      // default-construct the value and then assign it, a second pass over every value.
      if (auto [it, inserted] = map.try_emplace(key, value); !inserted) {
        it->second.assign(value.data(), value.size());  // a repeated key: the last one wins
      }
      continue;
    }
    AssignRepairedUtf8(value, MapSlot(map, key));
  }
  return absl::OkStatus();
}

}  // namespace sidecar::apm::internal
