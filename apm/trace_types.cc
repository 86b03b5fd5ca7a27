#include "apm/trace_types.h"

namespace sidecar::apm {
namespace {

google::protobuf::ArenaOptions RequestArenaOptions() {
  google::protobuf::ArenaOptions options;
  // Most requests are tens of KiB; larger ones grow in blocks of up to 1 MiB.
  options.start_block_size = 16 * 1024;
  options.max_block_size = 1024 * 1024;
  return options;
}

}  // namespace

ArenaPayload::ArenaPayload()
    : arena_(std::make_unique<google::protobuf::Arena>(RequestArenaOptions())),
      payload_(google::protobuf::Arena::CreateMessage<TracerPayload>(arena_.get())) {}

}  // namespace sidecar::apm
