#include "apm/trace_writer.h"

#include <utility>

#include "proto/trace_agent_payload.pb.h"
#include "spdlog/spdlog.h"

namespace sidecar::apm {
namespace {

std::string_view EncodingName(forwarder::CompressionKind kind) {
  switch (kind) {
    case forwarder::CompressionKind::kZstd:
      return "zstd";
    case forwarder::CompressionKind::kGzip:
      return "gzip";
    case forwarder::CompressionKind::kDeflate:
      return "deflate";
    case forwarder::CompressionKind::kNone:
      return "";
  }
  return "";
}

}  // namespace

TraceWriter::TraceWriter(TraceWriterOptions options, Submit submit, telemetry::Registry& registry)
    : options_(std::move(options)),
      submit_(std::move(submit)),
      payloads_(registry.GetCounter("datadog.trace_agent.trace_writer.payloads")),
      bytes_(registry.GetCounter("datadog.trace_agent.trace_writer.bytes")),
      spans_(registry.GetCounter("datadog.trace_agent.trace_writer.spans")),
      traces_(registry.GetCounter("datadog.trace_agent.trace_writer.traces")),
      errors_(registry.GetCounter("datadog.trace_agent.trace_writer.errors")) {}

void TraceWriter::Add(TracerPayload payload) {
  const size_t size = payload.ByteSizeLong();
  if (!buffer_.empty() && buffered_bytes_ + size > options_.flush_bytes) {
    Flush();
  }
  if (!payload.languagename().empty()) {
    languages_.insert(payload.languagename());
  }
  buffered_bytes_ += size;
  buffer_.push_back(std::move(payload));
  if (buffered_bytes_ >= options_.flush_bytes) {
    Flush();
  }
}

void TraceWriter::Flush() {
  if (buffer_.empty()) {
    return;
  }
  datadog::trace::AgentPayload agent_payload;
  agent_payload.set_hostname(options_.hostname);
  agent_payload.set_env(options_.env);
  agent_payload.set_agentversion(options_.agent_version);
  agent_payload.set_targettps(options_.target_tps);
  agent_payload.set_errortps(options_.error_tps);
  agent_payload.set_raresamplerenabled(options_.rare_sampler_enabled);
  uint64_t spans = 0;
  uint64_t chunks = 0;
  for (TracerPayload& tracer_payload : buffer_) {
    for (const TraceChunk& chunk : tracer_payload.chunks()) {
      spans += static_cast<uint64_t>(chunk.spans_size());
    }
    chunks += static_cast<uint64_t>(tracer_payload.chunks_size());
    agent_payload.add_tracerpayloads()->Swap(&tracer_payload);
  }
  buffer_.clear();
  buffered_bytes_ = 0;

  std::string serialized;
  agent_payload.SerializeToString(&serialized);
  absl::StatusOr<std::string> compressed =
      forwarder::Compress(options_.compression, serialized, options_.zstd_level);
  if (!compressed.ok()) {
    errors_.Add();
    spdlog::error("Dropped {} traces: compression failed: {}", chunks,
                  std::string(compressed.status().message()));
    return;
  }
  std::string languages;
  for (const std::string& language : languages_) {
    if (!languages.empty()) languages += '|';
    languages += language;
  }
  languages_.clear();

  forwarder::Payload payload;
  payload.intake = forwarder::Intake::kTraces;
  payload.route = "/api/v0.2/traces";
  payload.kind = "traces";
  payload.body = std::move(*compressed);
  payload.content_type = "application/x-protobuf";
  payload.content_encoding = std::string(EncodingName(options_.compression));
  payload.extra_headers.emplace_back("X-Datadog-Reported-Languages", languages);
  payload.extra_headers.emplace_back("User-Agent", options_.user_agent);
  payload.item_count = spans;
  payloads_.Add();
  bytes_.Add(payload.body.size());
  spans_.Add(spans);
  traces_.Add(chunks);
  submit_(std::move(payload));
}

}  // namespace sidecar::apm
