// File: agent/common/json_writer.h
//
// The few JSON pieces encoders write by hand (DogStatsD check_run and /intake/, the logs intake
// array, the rate_by_service response): field order matters to match the Agent, and this is much
// cheaper than building a DOM.
//
//   std::string out;
//   AppendJsonString(out, "say \"hi\"\n");   // "say \"hi\"\n" with quotes, escaped
//   AppendJsonInt(out, -12);                 // -12
//
// Strings are escaped as Go's encoding/json does without HTML escaping: `"`, `\` and control
// characters, U+2028/U+2029 as \u2028/\u2029, and each byte of invalid UTF-8 as \ufffd, so the
// body is always valid UTF-8 JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sidecar::common {

// Appends `text` as a quoted, escaped JSON string.
void AppendJsonString(std::string& out, std::string_view text);

void AppendJsonInt(std::string& out, int64_t value);

}  // namespace sidecar::common
