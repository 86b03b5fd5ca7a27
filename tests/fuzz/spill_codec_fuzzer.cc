// Fuzz target for the disk spill's file codec (agent/forwarder/spill_codec.h): spill files are
// read back after crashes and from a directory anyone with the volume can write, so arbitrary
// bytes must decode without crashing. Checks: every record that decodes re-encodes to a file that
// decodes to the same records, and a file never yields more records than its header declares.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/forwarder/spill_codec.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sidecar::forwarder::DecodeSpillFile;
  using sidecar::forwarder::EncodeSpillFile;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto decoded = DecodeSpillFile(input);
  Require(decoded.records.size() <= decoded.declared_records || !decoded.header_ok);
  if (!decoded.records.empty()) {
    const auto again = DecodeSpillFile(EncodeSpillFile(decoded.records));
    Require(again.header_ok);
    Require(again.corrupt_records == 0);
    Require(again.records == decoded.records);
  }
  return 0;
}
