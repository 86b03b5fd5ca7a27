// LogSink: where the log receivers (ForwardServer, LineServer) hand their records.
//
// Backpressure contract: TryAccept returning false means the pipeline is full. The receiver then
// keeps the same records, stops reading that connection (and sends no ack), and offers them again
// after a short delay, so memory stays bounded and FireLens/Docker buffer on their side
// (ecs-logs.md B4.3 item 6). Receivers call it from their executor's thread; an implementation
// shared by several executors must be thread-safe itself.
#pragma once

#include <vector>

#include "logs/log_record.h"

namespace sidecar::logs {

class LogSink {
 public:
  virtual ~LogSink() = default;
  // On true the records were moved out (the vector is left empty or unspecified); on false they
  // are untouched.
  virtual bool TryAccept(std::vector<LogRecord>& records) = 0;
};

}  // namespace sidecar::logs
