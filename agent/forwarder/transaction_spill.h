// TransactionSpill: the optional on-disk overflow of the retry queue (forwarder_storage_*), in
// one directory on ephemeral storage. Mirrors the Agent's on-disk retry queue: a batch of
// transactions per file, files replayed newest first, bounded by size, disk fullness and age,
// reloaded on the next start.
//
// Crash safety: a file is written as <name>.tmp, fsynced and renamed to <name>.retry, so a
// kill -9 leaves either no file or a whole one; leftover .tmp files are deleted by Open().
// Every record carries a CRC (spill_codec.h); damaged records and files are skipped and counted.
//
// The API key never reaches the disk: records name their endpoint by base URL and index, and
// Load() resolves them against the endpoints configured now (dropping, counted, those that no
// longer exist). Headers named DD-API-KEY or holding any configured key are not stored.
//
// Not thread-safe; the Forwarder calls it on its own thread. Store() and Load() do blocking file
// I/O (one fsync per Store), acceptable on the egress thread only because they run on overflow,
// once per retry interval and at shutdown, never per request.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/common/clock.h"
#include "agent/forwarder/disk_usage.h"
#include "agent/forwarder/endpoint.h"
#include "agent/forwarder/spill_codec.h"
#include "agent/forwarder/transaction.h"
#include "agent/telemetry/registry.h"

namespace sidecar::forwarder {

struct SpillOptions {
  // DD_FORWARDER_STORAGE_PATH. Created (0700) when missing.
  std::string directory = "/tmp/sidecar-agent/transactions_to_retry";
  // DD_FORWARDER_STORAGE_MAX_SIZE_IN_BYTES: total size of the .retry files; the oldest files are
  // deleted to make room for a new one.
  uint64_t max_bytes = 0;
  // DD_FORWARDER_STORAGE_MAX_DISK_RATIO: never fill the filesystem beyond this fraction.
  double max_disk_ratio = 0.8;
  // DD_FORWARDER_OUTDATED_FILE_IN_DAYS: files and records older than this are deleted unsent.
  std::chrono::hours max_age{24 * 10};
  // Filesystem fullness; StatvfsDiskUsage when empty.
  DiskUsageFunction disk_usage;
};

class TransactionSpill {
 public:
  // Creates the directory, deletes .tmp leftovers and outdated files, and indexes the .retry
  // files a previous run left. `clock` and `registry` must outlive the spill.
  static absl::StatusOr<std::unique_ptr<TransactionSpill>> Open(SpillOptions options,
                                                                IntakeEndpoints endpoints,
                                                                const common::Clock& clock,
                                                                telemetry::Registry& registry);

  TransactionSpill(const TransactionSpill&) = delete;
  TransactionSpill& operator=(const TransactionSpill&) = delete;

  // Writes `transactions` (any order; stored oldest first) to one new file, first deleting the
  // oldest files as the size and disk bounds require (their transactions are counted as
  // dropped). On error nothing of the batch is stored and nothing of it is counted: the caller
  // knows what it really loses and counts that with CountDropped(RefusalReason(status), n).
  absl::Status Store(std::vector<Transaction> transactions);
  // over_size, disk_full or write_error for a status Store() returned.
  static std::string_view RefusalReason(const absl::Status& status);
  // forwarder.spill.transactions_dropped{reason}.
  void CountDropped(std::string_view reason, uint64_t transactions);

  // Reads, deletes and returns the newest files' transactions, at least one file and further
  // files while the payload bytes returned stay under `max_payload_bytes`. Returned oldest first
  // with sequence 0: the caller numbers them so their relative order survives.
  std::vector<Transaction> Load(uint64_t max_payload_bytes);

  uint64_t BytesOnDisk() const { return bytes_on_disk_; }
  size_t Files() const { return files_.size(); }
  bool empty() const { return files_.empty(); }
  const std::string& directory() const { return options_.directory; }

 private:
  struct FileInfo {
    uint64_t size = 0;
    uint64_t records = 0;  // From the header; 1 when unreadable, so a loss is never counted 0.
    int64_t created_unix_ms = 0;
  };

  TransactionSpill(SpillOptions options, IntakeEndpoints endpoints, const common::Clock& clock,
                   telemetry::Registry& registry);

  absl::Status Scan();
  void RemoveOutdated();
  void RemoveFile(std::map<std::string, FileInfo>::iterator it, std::string_view reason);
  absl::Status MakeRoomFor(uint64_t size);
  absl::Status WriteFile(const std::string& name, const std::string& bytes);
  int64_t NowUnixMs() const;
  std::string Path(const std::string& name) const;
  SpillRecord ToRecord(const Transaction& transaction, int64_t now_ms) const;
  bool IsSecretHeader(const std::string& name, const std::string& value) const;
  void UpdateGauges();

  SpillOptions options_;
  IntakeEndpoints endpoints_;
  const common::Clock& clock_;
  telemetry::Registry& registry_;
  std::map<std::string, FileInfo> files_;  // By name, which sorts in creation order.
  uint64_t bytes_on_disk_ = 0;
  int64_t last_name_ms_ = 0;
  uint64_t name_sequence_ = 0;
  telemetry::Counter& stored_;
  telemetry::Counter& replayed_;
  telemetry::Gauge& bytes_gauge_;
  telemetry::Gauge& files_gauge_;
};

}  // namespace sidecar::forwarder
