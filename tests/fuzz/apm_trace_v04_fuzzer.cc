// Fuzz target for the v0.2-v0.4 trace decoders (apm/trace_decoder.h): arbitrary bytes are decoded
// as msgpack, as JSON and as "JSON, else msgpack", under the default element limit and a tiny one.
// Besides "no crash", it checks cheap invariants: errors are only InvalidArgument or OutOfRange;
// accepted payloads hold only valid UTF-8 in their text fields and chunks at kPriorityNone;
// decoding is deterministic; a tighter limit never accepts what the default limit rejects.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "apm/trace_decoder.h"
#include "proto_reflect/tracer_payload_reflect.pb.h"
#include "tests/fuzz/same_decoding.h"

namespace sidecar::apm {
namespace {

void Require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void RequireUtf8(const std::string& text) {
  std::string repaired;
  internal::AssignRepairedUtf8(text, repaired);
  Require(repaired == text);
}

void CheckPayload(const TracerPayload& payload) {
  for (const TraceChunk& chunk : payload.chunks()) {
    Require(chunk.priority() == kPriorityNone);
    for (const Span& span : chunk.spans()) {
      RequireUtf8(span.service());
      RequireUtf8(span.name());
      RequireUtf8(span.resource());
      RequireUtf8(span.type());
      for (const auto& [key, value] : span.meta()) {
        RequireUtf8(key);
        RequireUtf8(value);
      }
      for (const auto& [key, value] : span.metrics()) {
        RequireUtf8(key);
      }
    }
  }
}

void Check(TraceApiVersion version, BodyEncoding encoding, std::string_view body) {
  TracerPayload first;
  const absl::Status status = DecodeTraces(version, encoding, body, first);
  if (version == TraceApiVersion::kV02 && encoding == BodyEncoding::kMsgpack) {
    Require(absl::IsUnimplemented(status));
    return;
  }
  Require(status.ok() || absl::IsInvalidArgument(status) || absl::IsOutOfRange(status));
  TracerPayload second;
  const absl::Status again = DecodeTraces(version, encoding, body, second);
  Require(again == status);
  if (!status.ok()) {
    TracerPayload tight;
    Require(!DecodeTraces(version, encoding, body, tight, DecodeLimits{.max_container_elements = 2})
                 .ok());
    return;
  }
  CheckPayload(first);
  Require(fuzz::SameDecoding<sidecar_reflect::datadog::trace::TracerPayload>(first, second));
}

}  // namespace
}  // namespace sidecar::apm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sidecar::apm::BodyEncoding;
  using sidecar::apm::TraceApiVersion;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  sidecar::apm::Check(TraceApiVersion::kV04, BodyEncoding::kMsgpack, body);
  sidecar::apm::Check(TraceApiVersion::kV04, BodyEncoding::kJson, body);
  sidecar::apm::Check(TraceApiVersion::kV03, BodyEncoding::kJsonOrMsgpack, body);
  sidecar::apm::Check(TraceApiVersion::kV02, BodyEncoding::kMsgpack, body);
  return 0;
}
