// File: logs/log_encoder.h
//
// One LogRecord → the intake's JSON object(s) (spec ../shared/spec/ecs-logs.md §B5.1):
//   {"message","status","timestamp"(ms),"hostname","service","ddsource","ddtags", <attributes>}
// in that order (the Agent's encoder), strings forced to valid UTF-8 (invalid bytes become
// U+FFFD), attributes that reuse one of those seven keys dropped.
//
// A message longer than max_message_bytes is split the Agent's way (B5-3): pieces of at most
// max_message_bytes (cut back to a UTF-8 boundary), the first ending with `...TRUNCATED...`, the
// middle ones starting and ending with it, the last starting with it; each piece is its own log
// with the same fields, plus the tag `truncated:single_line` when tag_truncated_logs is on.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "logs/log_record.h"
#include "logs/logs_config.h"

namespace sidecar::logs {

struct LogEncoderOptions {
  size_t max_message_bytes = kDefaultMaxMessageBytes;
  bool tag_truncated_logs = true;
};

// Appends one encoded JSON object per piece to `out`; returns how many were appended.
size_t EncodeLog(const LogRecord& record, const LogEncoderOptions& options,
                 std::vector<std::string>& out);

}  // namespace sidecar::logs
