#include "agent/forwarder/transaction_spill.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/common/strings.h"
#include "agent/forwarder/forwarder_stats.h"

namespace sidecar::forwarder {
namespace {

constexpr std::string_view kRetryExtension = ".retry";
constexpr std::string_view kTempExtension = ".tmp";

std::string ErrnoMessage(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// "<16-digit unix ms>-<8-digit sequence>": fixed width, so names sort in creation order.
std::string FileStem(int64_t unix_ms, uint64_t sequence) {
  std::array<char, 48> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%016lld-%08llu", static_cast<long long>(unix_ms),
                static_cast<unsigned long long>(sequence));
  return buffer.data();
}

struct ParsedStem {
  int64_t unix_ms = 0;
  uint64_t sequence = 0;
};

std::optional<ParsedStem> ParseStem(std::string_view stem) {
  if (stem.size() != 25 || stem[16] != '-') {
    return std::nullopt;
  }
  ParsedStem parsed;
  const char* begin = stem.data();
  auto [ms_end, ms_error] = std::from_chars(begin, begin + 16, parsed.unix_ms);
  auto [seq_end, seq_error] = std::from_chars(begin + 17, begin + 25, parsed.sequence);
  if (ms_error != std::errc() || seq_error != std::errc() || ms_end != begin + 16 ||
      seq_end != begin + 25 || parsed.unix_ms < 0) {
    return std::nullopt;
  }
  return parsed;
}

// Reads at most `limit` bytes; a larger file is an error rather than an unbounded allocation.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, uint64_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat("open(", path, "): ", ErrnoMessage(error)));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || info.st_size < 0 || static_cast<uint64_t>(info.st_size) > limit) {
    ::close(fd);
    return absl::OutOfRangeError(absl::StrCat(path, " is larger than the storage limit"));
  }
  std::string bytes(static_cast<size_t>(info.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;  // Shrunk underneath us: decode what is there.
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(done);
  return bytes;
}

std::string ReadPrefix(const std::string& path, size_t n) {
  std::string bytes(n, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return {};
  }
  const ssize_t got = ::read(fd, bytes.data(), n);
  ::close(fd);
  bytes.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return bytes;
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TransactionSpill>> TransactionSpill::Open(
    SpillOptions options, IntakeEndpoints endpoints, const common::Clock& clock,
    telemetry::Registry& registry) {
  if (options.max_bytes == 0) {
    return absl::InvalidArgumentError("forwarder storage is disabled (max size 0)");
  }
  if (options.directory.empty()) {
    return absl::InvalidArgumentError("forwarder storage path is empty");
  }
  if (!options.disk_usage) {
    options.disk_usage = StatvfsDiskUsage;
  }
  std::unique_ptr<TransactionSpill> spill(
      new TransactionSpill(std::move(options), std::move(endpoints), clock, registry));
  if (absl::Status status = spill->Scan(); !status.ok()) {
    return status;
  }
  spill->RemoveOutdated();
  spill->UpdateGauges();
  return spill;
}

TransactionSpill::TransactionSpill(SpillOptions options, IntakeEndpoints endpoints,
                                   const common::Clock& clock, telemetry::Registry& registry)
    : options_(std::move(options)),
      endpoints_(std::move(endpoints)),
      clock_(clock),
      registry_(registry),
      stored_(registry.GetCounter(kSpillTransactionsStored)),
      replayed_(registry.GetCounter(kSpillTransactionsReplayed)),
      bytes_gauge_(registry.GetGauge(kSpillBytesOnDisk)),
      files_gauge_(registry.GetGauge(kSpillFiles)) {}

absl::Status TransactionSpill::Scan() {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path directory(options_.directory);
  if (fs::create_directories(directory, error)) {
    // The files hold telemetry payloads: readable by the agent's user only, like the Agent.
    fs::permissions(directory, fs::perms::owner_all, fs::perm_options::replace, error);
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", options_.directory, ": ", error.message()));
  }
  fs::directory_iterator it(directory, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", options_.directory, ": ", error.message()));
  }
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) {
      break;
    }
    const std::string name = it->path().filename().string();
    std::string_view stem = name;
    if (!it->is_regular_file(error)) {
      continue;
    }
    if (common::ConsumeSuffix(stem, kTempExtension)) {
      // A write the previous run did not finish: never renamed, so never complete.
      std::error_code ignored;
      fs::remove(it->path(), ignored);
      continue;
    }
    if (!common::ConsumeSuffix(stem, kRetryExtension)) {
      continue;
    }
    const std::optional<ParsedStem> parsed = ParseStem(stem);
    if (!parsed) {
      continue;  // Not one of ours.
    }
    FileInfo info;
    info.size = it->file_size(error);
    if (error) {
      error.clear();
      continue;
    }
    info.created_unix_ms = parsed->unix_ms;
    const SpillHeader header = DecodeSpillHeader(ReadPrefix(it->path().string(), 16));
    info.records = header.ok ? header.records : 1;
    bytes_on_disk_ += info.size;
    files_.emplace(std::string(stem), info);
    if (parsed->unix_ms > last_name_ms_ ||
        (parsed->unix_ms == last_name_ms_ && parsed->sequence >= name_sequence_)) {
      last_name_ms_ = parsed->unix_ms;
      name_sequence_ = parsed->sequence + 1;
    }
  }
  return absl::OkStatus();
}

int64_t TransactionSpill::NowUnixMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             clock_.SystemNow().time_since_epoch())
      .count();
}

std::string TransactionSpill::Path(const std::string& name) const {
  return options_.directory + "/" + name;
}

void TransactionSpill::RemoveOutdated() {
  const int64_t cutoff =
      NowUnixMs() - std::chrono::duration_cast<std::chrono::milliseconds>(options_.max_age).count();
  for (auto it = files_.begin(); it != files_.end();) {
    auto next = std::next(it);
    if (it->second.created_unix_ms < cutoff) {
      RemoveFile(it, kSpillReasonOutdated);
    }
    it = next;
  }
}

void TransactionSpill::RemoveFile(std::map<std::string, FileInfo>::iterator it,
                                  std::string_view reason) {
  ::unlink(Path(it->first + std::string(kRetryExtension)).c_str());
  bytes_on_disk_ -= std::min(bytes_on_disk_, it->second.size);
  if (!reason.empty()) {
    CountDropped(reason, it->second.records);
  }
  files_.erase(it);
  UpdateGauges();
}

void TransactionSpill::CountDropped(std::string_view reason, uint64_t transactions) {
  if (transactions == 0) {
    return;
  }
  registry_.GetCounter(kSpillTransactionsDropped, {{"reason", std::string(reason)}})
      .Add(transactions);
}

void TransactionSpill::UpdateGauges() {
  bytes_gauge_.Set(static_cast<int64_t>(bytes_on_disk_));
  files_gauge_.Set(static_cast<int64_t>(files_.size()));
}

bool TransactionSpill::IsSecretHeader(const std::string& name, const std::string& value) const {
  if (common::AsciiToLower(name) == "dd-api-key") {
    return true;
  }
  for (const auto* list : {&endpoints_.metrics, &endpoints_.traces, &endpoints_.logs}) {
    for (const Endpoint& endpoint : *list) {
      if (!endpoint.api_key.empty() && value.find(endpoint.api_key) != std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

SpillRecord TransactionSpill::ToRecord(const Transaction& transaction, int64_t now_ms) const {
  const Payload& payload = *transaction.payload;
  SpillRecord record;
  record.intake = payload.intake;
  record.priority = payload.priority;
  record.endpoint_index = static_cast<uint32_t>(transaction.endpoint_index);
  const std::vector<Endpoint>& endpoints = endpoints_.For(payload.intake);
  if (transaction.endpoint_index < endpoints.size()) {
    record.endpoint_base_url = endpoints[transaction.endpoint_index].base_url;
  }
  record.created_unix_ms = transaction.created == std::chrono::system_clock::time_point{}
                               ? now_ms
                               : std::chrono::duration_cast<std::chrono::milliseconds>(
                                     transaction.created.time_since_epoch())
                                     .count();
  record.item_count = payload.item_count;
  record.route = payload.route;
  record.kind = payload.kind;
  record.content_type = payload.content_type;
  record.content_encoding = payload.content_encoding;
  for (const auto& [name, value] : payload.extra_headers) {
    if (!IsSecretHeader(name, value)) {
      record.headers.emplace_back(name, value);
    }
  }
  record.body = payload.body;
  return record;
}

std::string_view TransactionSpill::RefusalReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOutOfRange:
      return kSpillReasonOverSize;
    case absl::StatusCode::kResourceExhausted:
      return kSpillReasonDiskFull;
    default:
      break;
  }
  return kSpillReasonWriteError;
}

absl::Status TransactionSpill::MakeRoomFor(uint64_t size) {
  if (size > options_.max_bytes) {
    return absl::OutOfRangeError(absl::StrCat(
        "batch of ", size, " bytes exceeds the storage maximum of ", options_.max_bytes, " bytes"));
  }
  absl::StatusOr<DiskUsage> usage = options_.disk_usage(options_.directory);
  if (!usage.ok()) {
    return absl::UnavailableError(usage.status().message());
  }
  // What the filesystem can still take before it is fuller than the ratio, plus what our own
  // files already use (they may be deleted to make room), as the Agent computes it.
  const double reserved =
      std::ceil(static_cast<double>(usage->total_bytes) * (1.0 - options_.max_disk_ratio));
  const double usable =
      static_cast<double>(bytes_on_disk_) + static_cast<double>(usage->available_bytes) - reserved;
  const uint64_t limit =
      usable <= 0 ? 0 : std::min(options_.max_bytes, static_cast<uint64_t>(std::floor(usable)));
  while (!files_.empty() && bytes_on_disk_ + size > limit) {
    RemoveFile(files_.begin(), bytes_on_disk_ + size > options_.max_bytes ? kSpillReasonOverSize
                                                                          : kSpillReasonDiskFull);
  }
  if (bytes_on_disk_ + size > limit) {
    return absl::ResourceExhaustedError(absl::StrCat("filesystem of ", options_.directory,
                                                     " is fuller than the ratio ",
                                                     options_.max_disk_ratio));
  }
  return absl::OkStatus();
}

absl::Status TransactionSpill::WriteFile(const std::string& stem, const std::string& bytes) {
  const std::string temp = Path(stem + std::string(kTempExtension));
  const std::string final_path = Path(stem + std::string(kRetryExtension));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat("open(", temp, "): ", ErrnoMessage(error)));
  }
  // fsync before rename: otherwise a power loss could leave a renamed but empty file.
  const bool written = WriteAll(fd, bytes) && ::fsync(fd) == 0;
  const int write_error = errno;
  ::close(fd);
  if (!written || ::rename(temp.c_str(), final_path.c_str()) != 0) {
    const int error = written ? errno : write_error;
    ::unlink(temp.c_str());
    return absl::UnavailableError(absl::StrCat("write(", temp, "): ", ErrnoMessage(error)));
  }
  // Persist the rename itself; a failure here only risks the file on power loss, not kill -9.
  if (const int dir_fd = ::open(options_.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

absl::Status TransactionSpill::Store(std::vector<Transaction> transactions) {
  if (transactions.empty()) {
    return absl::OkStatus();
  }
  // Oldest first in the file, so Load() can hand them back in creation order.
  std::stable_sort(
      transactions.begin(), transactions.end(),
      [](const Transaction& a, const Transaction& b) { return a.sequence < b.sequence; });
  const int64_t now_ms = NowUnixMs();
  std::vector<SpillRecord> records;
  records.reserve(transactions.size());
  for (const Transaction& transaction : transactions) {
    records.push_back(ToRecord(transaction, now_ms));
  }
  const std::string bytes = EncodeSpillFile(records);
  RemoveOutdated();
  if (absl::Status status = MakeRoomFor(bytes.size()); !status.ok()) {
    return status;
  }
  // Names stay increasing even if the wall clock steps back.
  const int64_t name_ms = std::max(now_ms, last_name_ms_);
  name_sequence_ = name_ms == last_name_ms_ ? name_sequence_ : 0;
  last_name_ms_ = name_ms;
  const std::string stem = FileStem(name_ms, name_sequence_++);
  if (absl::Status status = WriteFile(stem, bytes); !status.ok()) {
    return status;
  }
  files_[stem] = FileInfo{bytes.size(), records.size(), name_ms};
  bytes_on_disk_ += bytes.size();
  stored_.Add(records.size());
  UpdateGauges();
  return absl::OkStatus();
}

std::vector<Transaction> TransactionSpill::Load(uint64_t max_payload_bytes) {
  RemoveOutdated();
  const int64_t now_ms = NowUnixMs();
  const int64_t cutoff =
      now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(options_.max_age).count();
  std::vector<std::vector<Transaction>> batches;  // Newest file first.
  uint64_t loaded_bytes = 0;
  while (!files_.empty() && loaded_bytes < std::max<uint64_t>(max_payload_bytes, 1)) {
    auto newest = std::prev(files_.end());
    const std::string path = Path(newest->first + std::string(kRetryExtension));
    const uint64_t declared = newest->second.records;
    absl::StatusOr<std::string> bytes = ReadWholeFile(path, options_.max_bytes);
    // Deleted before use, as the Agent does: a crash from here on loses this batch rather than
    // replaying it twice.
    RemoveFile(newest, "");
    if (!bytes.ok()) {
      CountDropped(bytes.status().code() == absl::StatusCode::kOutOfRange ? kSpillReasonOverSize
                                                                          : kSpillReasonCorrupt,
                   declared);
      continue;
    }
    DecodedSpillFile decoded = DecodeSpillFile(*bytes);
    CountDropped(kSpillReasonCorrupt, decoded.corrupt_records);
    std::vector<Transaction>& batch = batches.emplace_back();
    for (SpillRecord& record : decoded.records) {
      if (record.created_unix_ms < cutoff) {
        CountDropped(kSpillReasonOutdated, 1);
        continue;
      }
      const std::vector<Endpoint>& endpoints = endpoints_.For(record.intake);
      if (record.endpoint_index >= endpoints.size() ||
          endpoints[record.endpoint_index].base_url != record.endpoint_base_url) {
        CountDropped(kSpillReasonUnknownEndpoint, 1);
        continue;
      }
      auto payload = std::make_shared<Payload>();
      payload->intake = record.intake;
      payload->route = std::move(record.route);
      payload->kind = std::move(record.kind);
      payload->body = std::move(record.body);
      payload->content_type = std::move(record.content_type);
      payload->content_encoding = std::move(record.content_encoding);
      payload->extra_headers = std::move(record.headers);
      payload->item_count = record.item_count;
      payload->priority = record.priority;
      Transaction transaction;
      transaction.url = record.endpoint_base_url + payload->route;
      transaction.endpoint_index = record.endpoint_index;
      // Clamped so a bogus time cannot overflow the clock's nanosecond representation.
      const int64_t created_ms = std::clamp<int64_t>(record.created_unix_ms, 0, now_ms);
      transaction.created = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::milliseconds(created_ms)));
      transaction.payload = std::move(payload);
      loaded_bytes += transaction.Bytes();
      batch.push_back(std::move(transaction));
    }
  }
  std::reverse(batches.begin(), batches.end());  // Oldest file first.
  std::vector<Transaction> out;
  for (std::vector<Transaction>& batch : batches) {
    for (Transaction& transaction : batch) {
      out.push_back(std::move(transaction));
    }
  }
  replayed_.Add(out.size());
  return out;
}

}  // namespace sidecar::forwarder
