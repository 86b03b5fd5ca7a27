// Fuzz target for the Fluent Forward decoder (logs/forward_decoder.h): arbitrary bytes are fed
// whole and then in pieces of a size derived from the input length. Besides "no crash", it checks
// that the split does not change the outcome (error or not, same records), that every record's
// attributes serialize as JSON, and that nothing is buffered beyond the message limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "logs/forward_decoder.h"

namespace sidecar::logs {
namespace {

void Require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

constexpr ForwardLimits kLimits{.max_message_bytes = 64 * 1024,
                                .max_decompressed_bytes = 256 * 1024};

}  // namespace
}  // namespace sidecar::logs

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sidecar::logs;  // NOLINT(google-build-using-namespace): fuzzer entry point.
  // The split size comes from the length, so corpus files are plain captures.
  const size_t step = 1 + size % 17;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  ForwardDecoder whole(kLimits);
  std::vector<ForwardMessage> whole_messages;
  const absl::Status whole_status = whole.Feed(input, whole_messages);
  Require(whole.buffered_bytes() <= kLimits.max_message_bytes + input.size());

  ForwardDecoder split(kLimits);
  std::vector<ForwardMessage> split_messages;
  absl::Status split_status;
  for (size_t pos = 0; pos < input.size() && split_status.ok(); pos += step) {
    split_status = split.Feed(input.substr(pos, step), split_messages);
    Require(split.buffered_bytes() <= kLimits.max_message_bytes + step);
  }

  // The error kind may differ (an over-long prefix vs. a bad byte after the limit), not whether
  // there is one.
  Require(whole_status.ok() == split_status.ok());
  Require(whole_messages.size() == split_messages.size());
  for (size_t m = 0; m < whole_messages.size(); ++m) {
    const auto& a = whole_messages[m];
    const auto& b = split_messages[m];
    Require(a.ack_chunk == b.ack_chunk);
    Require(a.records.size() == b.records.size());
    for (size_t r = 0; r < a.records.size(); ++r) {
      Require(a.records[r].message == b.records[r].message);
      Require(a.records[r].timestamp_ns == b.records[r].timestamp_ns);
      Require(a.records[r].attributes.is_object());
      Require(a.records[r].attributes.dump() == b.records[r].attributes.dump());  // Never throws.
    }
  }
  if (whole_messages.size() > 0 && whole_messages[0].ack_chunk.has_value()) {
    Require(!EncodeAck(*whole_messages[0].ack_chunk).empty());
  }
  return 0;
}
