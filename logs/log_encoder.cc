#include "logs/log_encoder.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "agent/common/json_writer.h"
#include "logs/processing_rules.h"

namespace sidecar::logs {
namespace {

constexpr std::array<std::string_view, 7> kReservedKeys = {
    "message", "status", "timestamp", "hostname", "service", "ddsource", "ddtags"};
constexpr std::string_view kTruncatedTag = "truncated:single_line";

bool IsReserved(std::string_view key) {
  return std::find(kReservedKeys.begin(), kReservedKeys.end(), key) != kReservedKeys.end();
}

// JSON text of a non-string attribute value, invalid UTF-8 replaced rather than thrown on.
std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AppendKey(std::string& out, std::string_view key) {
  out.push_back(',');
  common::AppendJsonString(out, key);
  out.push_back(':');
}

void AppendStringField(std::string& out, std::string_view key, std::string_view value) {
  AppendKey(out, key);
  common::AppendJsonString(out, value);
}

// Where to cut `text` at or before `limit` without splitting a UTF-8 sequence. A cut that would
// leave nothing (no boundary in the last 3 bytes) falls back to `limit`.
size_t CutPoint(std::string_view text, size_t limit) {
  if (limit >= text.size()) {
    return text.size();
  }
  size_t cut = limit;
  while (cut > 0 && limit - cut < 4 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return cut == 0 || limit - cut >= 4 ? limit : cut;
}

std::string EncodePiece(const LogRecord& record, std::string_view message, bool truncated,
                        bool tag_truncated) {
  std::string out;
  out.reserve(message.size() + record.ddtags.size() + 256);
  out.push_back('{');
  out.append("\"message\":");
  common::AppendJsonString(out, message);
  AppendStringField(out, "status", record.status);
  AppendKey(out, "timestamp");
  common::AppendJsonInt(out, record.timestamp_ns / 1'000'000);
  AppendStringField(out, "hostname", record.hostname);
  AppendStringField(out, "service", record.service);
  AppendStringField(out, "ddsource", record.ddsource);
  if (truncated && tag_truncated) {
    std::string tags = record.ddtags;
    if (!tags.empty()) {
      tags.push_back(',');
    }
    tags.append(kTruncatedTag);
    AppendStringField(out, "ddtags", tags);
  } else {
    AppendStringField(out, "ddtags", record.ddtags);
  }
  if (record.attributes.is_object()) {
    for (const auto& [key, value] : record.attributes.items()) {
      if (!IsReserved(key)) {
        AppendKey(out, key);
        if (value.is_string()) {
          common::AppendJsonString(out, value.get_ref<const std::string&>());
        } else {
          out.append(Dump(value));
        }
      }
    }
  }
  out.push_back('}');
  return out;
}

}  // namespace

size_t EncodeLog(const LogRecord& record, const LogEncoderOptions& options,
                 std::vector<std::string>& out) {
  const size_t max = std::max<size_t>(options.max_message_bytes, 4);
  std::string_view rest = record.message;
  if (rest.size() <= max) {
    out.push_back(EncodePiece(record, rest, false, options.tag_truncated_logs));
    return 1;
  }
  size_t pieces = 0;
  std::string message;
  while (!rest.empty()) {
    const size_t cut = CutPoint(rest, max);
    message.clear();
    if (pieces > 0) {
      message.append(kTruncatedFlag);
    }
    message.append(rest.substr(0, cut));
    rest.remove_prefix(cut);
    if (!rest.empty()) {
      message.append(kTruncatedFlag);
    }
    out.push_back(EncodePiece(record, message, true, options.tag_truncated_logs));
    ++pieces;
  }
  return pieces;
}

}  // namespace sidecar::logs
