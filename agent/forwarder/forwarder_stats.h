// Self-telemetry of the forwarder (component id dd_out). Tags come from a closed set: endpoint
// (base URL host, never the API key), intake, kind, reason, status, error_type.
#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "agent/telemetry/registry.h"

namespace sidecar::forwarder {

inline constexpr std::string_view kTransactionsCreated = "forwarder.transactions_created";
inline constexpr std::string_view kTransactionsSuccess = "forwarder.transactions_success";
inline constexpr std::string_view kTransactionsDropped = "forwarder.transactions_dropped";
inline constexpr std::string_view kTransactionsRetried = "forwarder.transactions_retried";
inline constexpr std::string_view kItemsDropped = "forwarder.items_dropped";
inline constexpr std::string_view kBytesSent = "forwarder.bytes_sent";
inline constexpr std::string_view kHttpErrors = "forwarder.http_errors";
inline constexpr std::string_view kRetryQueueBytes = "forwarder.retry_queue_bytes";  // gauge
inline constexpr std::string_view kInFlight = "forwarder.in_flight";                 // gauge

// Disk spill (transaction_spill.h). The Agent's equivalents live under file_storage.*
// (current_size_in_bytes, files_count, deserialize_transactions_count, files_removed_count).
inline constexpr std::string_view kSpillTransactionsStored = "forwarder.spill.transactions_stored";
inline constexpr std::string_view kSpillTransactionsReplayed =
    "forwarder.spill.transactions_replayed";
// Tagged reason: corrupt, outdated, over_size, disk_full, unknown_endpoint or write_error.
inline constexpr std::string_view kSpillTransactionsDropped =
    "forwarder.spill.transactions_dropped";
inline constexpr std::string_view kSpillBytesOnDisk = "forwarder.spill.bytes_on_disk";  // gauge
inline constexpr std::string_view kSpillFiles = "forwarder.spill.files";                // gauge

inline constexpr std::string_view kSpillReasonCorrupt = "corrupt";
inline constexpr std::string_view kSpillReasonOutdated = "outdated";
inline constexpr std::string_view kSpillReasonOverSize = "over_size";
inline constexpr std::string_view kSpillReasonDiskFull = "disk_full";
inline constexpr std::string_view kSpillReasonUnknownEndpoint = "unknown_endpoint";
inline constexpr std::string_view kSpillReasonWriteError = "write_error";

// Drop reasons besides HTTP status codes.
inline constexpr std::string_view kReasonRetryQueueFull = "retry_queue_full";
inline constexpr std::string_view kReasonEgressBacklog = "egress_backlog";
inline constexpr std::string_view kReasonRetriesExhausted = "retries_exhausted";
inline constexpr std::string_view kReasonShutdown = "shutdown";
inline constexpr std::string_view kReasonNoEndpoint = "no_endpoint";

// Looks counters up once per (name, tags) and caches the reference, since tag values (kind,
// status) are only known per transaction. Single-threaded, like the Forwarder that owns it.
class ForwarderStats {
 public:
  explicit ForwarderStats(telemetry::Registry& registry);

  telemetry::Counter& Counter(std::string_view name, const telemetry::Tags& tags);
  telemetry::Gauge& retry_queue_bytes() { return retry_queue_bytes_; }
  telemetry::Gauge& in_flight() { return in_flight_; }

 private:
  telemetry::Registry& registry_;
  telemetry::Gauge& retry_queue_bytes_;
  telemetry::Gauge& in_flight_;
  absl::flat_hash_map<std::string, telemetry::Counter*> counters_;
};

// "https://user@host:443/path" -> "host": the endpoint tag value.
std::string EndpointHost(std::string_view base_url);

}  // namespace sidecar::forwarder
