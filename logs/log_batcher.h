// File: logs/log_batcher.h
//
// Accumulates encoded logs into the intake's JSON array and hands each batch to the forwarder as
// one compressed Payload (spec ../shared/spec/ecs-logs.md §B5.1, §B5.2):
//
//   LogBatcher batcher(options, clock, [&](forwarder::Payload p) { forwarder.Submit(std::move(p));
//   }); batcher.Add(record);   // per mapped record (split pieces count as separate logs)
//   batcher.Tick();        // on a timer, e.g. every 100 ms: sends a batch older than batch_wait
//   batcher.Flush();       // at shutdown
//
// A batch is sent before it would exceed max_entries logs or max_content_bytes of uncompressed
// JSON (the whole `[...]` array; B5-1), or once its oldest log is batch_wait old. A single log
// larger than max_content_bytes is dropped and counted (the Agent's `dropped_too_large`). Items
// are streamed into the compressor as they arrive, so a pending batch costs its compressed size.
// Not thread-safe: one batcher per logs strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/common/clock.h"
#include "agent/forwarder/compression.h"
#include "agent/forwarder/payload.h"
#include "logs/log_encoder.h"
#include "logs/log_record.h"
#include "logs/logs_config.h"

namespace sidecar::logs {

inline constexpr char kLogsRoute[] = "/api/v2/logs";

struct BatcherOptions {
  size_t max_entries = kMaxBatchEntries;
  size_t max_content_bytes = kMaxBatchContentBytes;
  std::chrono::milliseconds batch_wait{5000};
  forwarder::CompressionKind compression = forwarder::CompressionKind::kZstd;
  int zstd_level = 1;
  LogEncoderOptions encoder{};
};

// The batcher settings of a LogsConfig.
BatcherOptions MakeBatcherOptions(const LogsConfig& config);

struct BatcherStats {
  uint64_t logs_added = 0;                // Encoded logs (pieces) accepted into a batch.
  uint64_t logs_dropped_too_large = 0;    // Single logs over max_content_bytes.
  uint64_t logs_dropped_compression = 0;  // Lost with a batch the compressor failed on.
  uint64_t payloads_emitted = 0;
};

class LogBatcher {
 public:
  using Emit = std::function<void(forwarder::Payload)>;

  LogBatcher(BatcherOptions options, const common::Clock& clock, Emit emit);
  LogBatcher(const LogBatcher&) = delete;
  LogBatcher& operator=(const LogBatcher&) = delete;
  ~LogBatcher();

  // Encodes `record` (splitting a long message) and batches the result.
  void Add(const LogRecord& record);
  // Batches one already-encoded JSON object.
  void AddEncoded(std::string_view json);
  // Sends the pending batch when its oldest log is batch_wait old or older.
  void Tick();
  // Sends the pending batch now, if any.
  void Flush();

  size_t pending_entries() const { return entries_; }
  size_t pending_bytes() const { return content_bytes_; }
  const BatcherStats& stats() const { return stats_; }

 private:
  bool Open();
  void Abandon();

  BatcherOptions options_;
  const common::Clock& clock_;
  Emit emit_;
  std::unique_ptr<forwarder::StreamCompressor> compressor_;
  size_t entries_ = 0;
  size_t content_bytes_ = 0;  // Uncompressed, including '[' and separators (not yet ']').
  std::chrono::steady_clock::time_point oldest_{};
  int64_t last_ingest_ms_ = 0;  // Wall time of the last log added (dd-message-timestamp).
  BatcherStats stats_;
};

}  // namespace sidecar::logs
