// ForwardDecoder: the Fluent Forward protocol v1 (ecs-logs.md B4.2) as a pure, incremental decoder:
// bytes in, whole messages out. One decoder per connection; bytes may be split anywhere.
//
//   ForwardDecoder decoder;
//   std::vector<ForwardMessage> messages;
//   absl::Status status = decoder.Feed(bytes_read, messages);  // not OK ⇒ close the connection
//
// Modes: Message `[tag, time, record, option?]`, Forward `[tag, [[time, record]...], option?]`,
// PackedForward `[tag, bin|str entries, option?]` and CompressedPackedForward (gzip members,
// concatenated or not; zstd too, as Fluent Bit). A msgpack nil is a heartbeat. The option is a map
// or nil; its `chunk` asks for an ack (EncodeAck). Times are integer seconds, EventTime (ext 0,
// fixext8 or ext8) or a float.
//
// Records follow the FireLens contract (architecture.md "FireLens records"): `message` is the
// record's `log` field when present, else the whole record as JSON; every other field goes to
// `attributes` (strings stay strings, nested maps/arrays stay nested JSON, bin becomes a string,
// invalid UTF-8 is replaced so the JSON can always be serialized).
//
// Bounds: no message may exceed `max_message_bytes` (checked on each header, before anything is
// buffered past it: a header declaring a 4 GB bin fails at once), decompressed entries are capped
// at `max_decompressed_bytes`, nesting deeper than kMaxForwardDepth is rejected. Errors are
// sticky: after one, Feed returns it again.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "logs/log_record.h"

namespace sidecar::logs {

// Deepest nesting of arrays/maps a message may have (the frame itself counts as one level).
inline constexpr size_t kMaxForwardDepth = 64;

struct ForwardLimits {
  // Fluent Bit's in_forward buffer_max_size (B4.2).
  size_t max_message_bytes = 6'144'000;
  size_t max_decompressed_bytes = 6'144'000;
};

struct ForwardMessage {
  std::vector<LogRecord> records;
  // The option's raw `chunk` value; set ⇒ the client wants EncodeAck(*ack_chunk) once the records
  // are accepted.
  std::optional<std::string> ack_chunk;
};

// Why a Feed failed, for the `reason` tag of the malformed-frame counter.
enum class ForwardError { kNone, kMalformed, kTooLarge, kBadCompression };

class ForwardDecoder {
 public:
  explicit ForwardDecoder(ForwardLimits limits = {});

  // Appends every message completed by `bytes` to `out` (heartbeats produce none). A protocol
  // violation returns an error; the records decoded before the bad entry are still appended as a
  // message without ack (B4.2: entries parsed before a bad entry are ingested).
  absl::Status Feed(std::string_view bytes, std::vector<ForwardMessage>& out);

  // The kind of the error Feed returned, kNone while OK.
  ForwardError error() const { return error_; }
  // Bytes held for a message not complete yet.
  size_t buffered_bytes() const { return buffer_.size() - begin_; }

 private:
  absl::Status Fail(ForwardError kind, absl::Status status);

  ForwardLimits limits_;
  std::string buffer_;
  size_t begin_ = 0;
  // The buffer cannot hold a whole message before it reaches this size, so scanning again earlier
  // is wasted work (keeps byte-at-a-time feeding linear for large bins).
  size_t needed_ = 0;
  ForwardError error_ = ForwardError::kNone;
  absl::Status status_;
};

// msgpack {"ack": chunk}, the reply to a message whose option had `chunk`.
std::string EncodeAck(std::string_view chunk);

}  // namespace sidecar::logs
