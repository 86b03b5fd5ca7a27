// PartialReassembler: joins the pieces of a line the container runtime split at 16 KiB back into
// one record (ecs-logs.md B4.1, B4.3 item 5). Docker's fluentd driver marks each piece with
// `partial_message: "true"`, `partial_id`, `partial_ordinal` (1-based) and `partial_last`.
//
//   PartialReassembler partials;
//   partials.Add(std::move(record), clock.SteadyNow(), ready);  // ready: records to hand on
//   partials.FlushStale(clock.SteadyNow(), ready);               // from a timer
//
// Pieces are held by (tag, partial_id) and joined in ordinal order once the last one and every
// ordinal before it arrived, whatever the arrival order. The joined record keeps the first piece's
// tag, time and attributes, without the partial_* fields. Bounded: a group that would grow past
// `max_message_bytes`, or the oldest groups when all held pieces would pass `max_total_bytes`, are
// flushed as they are (counted in stats().overflow_flushes); FlushStale flushes groups older than
// `max_age` (missing last piece). Not thread-safe: one per connection or per stage.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "logs/log_record.h"

namespace sidecar::logs {

struct PartialLimits {
  // The intake's 1 MB line limit plus slack for the split points.
  size_t max_message_bytes = (1 << 20) + (64 << 10);
  size_t max_total_bytes = 8 << 20;
  std::chrono::nanoseconds max_age = std::chrono::seconds(5);
};

struct PartialStats {
  uint64_t joined = 0;            // Records completed from pieces.
  uint64_t overflow_flushes = 0;  // Groups flushed incomplete because of a byte bound.
  uint64_t stale_flushes = 0;     // Groups flushed incomplete by FlushStale/FlushAll.
};

class PartialReassembler {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit PartialReassembler(PartialLimits limits = {});

  // A record that is not a piece is appended to `out` at once; a piece is held, and the joined
  // record appended when its group completes (or is flushed by a bound).
  void Add(LogRecord record, TimePoint now, std::vector<LogRecord>& out);
  // Flushes, as they are, the groups whose first piece arrived at least max_age before `now`.
  void FlushStale(TimePoint now, std::vector<LogRecord>& out);
  // Flushes every group (end of the connection, shutdown).
  void FlushAll(std::vector<LogRecord>& out);

  bool empty() const { return groups_.empty(); }
  size_t held_bytes() const { return held_bytes_; }
  // When the oldest group goes stale; TimePoint::max() when nothing is held.
  TimePoint NextDeadline() const;
  const PartialStats& stats() const { return stats_; }

 private:
  struct Group {
    LogRecord first;                        // Tag, time and attributes of the result.
    std::map<int64_t, std::string> pieces;  // Ordinal → message.
    int64_t last_ordinal = 0;               // 0 until the last piece arrived.
    int64_t next_ordinal = 1;               // For pieces without a usable ordinal.
    int64_t first_ordinal = 1;              // Later after an overflow flush.
    size_t bytes = 0;
    TimePoint started;
  };
  using Key = std::pair<std::string, std::string>;  // (tag, partial_id)

  static LogRecord Join(Group& group);
  void Emit(std::map<Key, Group>::iterator it, std::vector<LogRecord>& out);

  PartialLimits limits_;
  std::map<Key, Group> groups_;
  size_t held_bytes_ = 0;
  PartialStats stats_;
};

}  // namespace sidecar::logs
