#include "logs/log_batcher.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "agent/common/version.h"

namespace sidecar::logs {

BatcherOptions MakeBatcherOptions(const LogsConfig& config) {
  BatcherOptions options;
  options.max_entries = config.batch_max_size;
  options.max_content_bytes = config.batch_max_content_size;
  options.batch_wait = config.batch_wait;
  options.compression = config.compression;
  options.zstd_level = config.zstd_level;
  options.encoder.max_message_bytes = config.max_message_bytes;
  options.encoder.tag_truncated_logs = config.tag_truncated_logs;
  return options;
}

LogBatcher::LogBatcher(BatcherOptions options, const common::Clock& clock, Emit emit)
    : options_(std::move(options)), clock_(clock), emit_(std::move(emit)) {
  options_.max_entries = std::max<size_t>(options_.max_entries, 1);
}

LogBatcher::~LogBatcher() = default;

void LogBatcher::Add(const LogRecord& record) {
  std::vector<std::string> encoded;
  EncodeLog(record, options_.encoder, encoded);
  for (const std::string& json : encoded) {
    AddEncoded(json);
  }
}

void LogBatcher::AddEncoded(std::string_view json) {
  // "[" + item + "]" must fit an empty batch.
  if (json.size() + 2 > options_.max_content_bytes) {
    ++stats_.logs_dropped_too_large;
    return;
  }
  if (entries_ > 0 && (entries_ + 1 > options_.max_entries ||
                       content_bytes_ + 1 + json.size() + 1 > options_.max_content_bytes)) {
    Flush();
  }
  if (entries_ == 0 && !Open()) {
    ++stats_.logs_dropped_compression;
    return;
  }
  const bool first = entries_ == 0;
  if ((!first && !compressor_->Append(",").ok()) || !compressor_->Append(json).ok()) {
    stats_.logs_dropped_compression += entries_ + 1;
    Abandon();
    return;
  }
  content_bytes_ += (first ? 0 : 1) + json.size();
  ++entries_;
  ++stats_.logs_added;
  last_ingest_ms_ =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SystemNow().time_since_epoch())
          .count();
  if (entries_ >= options_.max_entries) {
    Flush();  // Full: no reason to hold it until the next log.
  }
}

void LogBatcher::Tick() {
  if (entries_ > 0 && clock_.SteadyNow() - oldest_ >= options_.batch_wait) {
    Flush();
  }
}

void LogBatcher::Flush() {
  if (entries_ == 0 || compressor_ == nullptr) {
    return;
  }
  const uint64_t entries = entries_;
  std::unique_ptr<forwarder::StreamCompressor> compressor = std::move(compressor_);
  Abandon();
  if (!compressor->Append("]").ok()) {
    stats_.logs_dropped_compression += entries;
    return;
  }
  absl::StatusOr<std::string> body = compressor->Finish();
  if (!body.ok()) {
    stats_.logs_dropped_compression += entries;
    return;
  }
  forwarder::Payload payload;
  payload.intake = forwarder::Intake::kLogs;
  payload.route = kLogsRoute;
  payload.kind = "logs";
  payload.body = std::move(*body);
  payload.content_type = "application/json";
  payload.content_encoding = std::string(forwarder::ContentEncoding(options_.compression));
  payload.extra_headers = {
      {"DD-PROTOCOL", "agent-json"},
      {"DD-EVP-ORIGIN", "agent"},
      {"DD-EVP-ORIGIN-VERSION", std::string(common::kAgentCompatibleVersion)},
      {"dd-message-timestamp", std::to_string(last_ingest_ms_)},
  };
  payload.item_count = entries;
  payload.priority = forwarder::Priority::kNormal;
  ++stats_.payloads_emitted;
  emit_(std::move(payload));
}

bool LogBatcher::Open() {
  absl::StatusOr<std::unique_ptr<forwarder::StreamCompressor>> compressor =
      forwarder::StreamCompressor::Create(options_.compression, options_.zstd_level);
  if (!compressor.ok() || !(*compressor)->Append("[").ok()) {
    return false;
  }
  compressor_ = std::move(*compressor);
  content_bytes_ = 1;
  oldest_ = clock_.SteadyNow();
  return true;
}

void LogBatcher::Abandon() {
  compressor_.reset();
  entries_ = 0;
  content_bytes_ = 0;
}

}  // namespace sidecar::logs
