#include "apm/trace_writer.h"

#include <utility>

#include "google/protobuf/io/coded_stream.h"
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
      errors_(registry.GetCounter("datadog.trace_agent.trace_writer.errors")) {
  // The AgentPayload fields other than tracerPayloads never change: serialized once, they open
  // every buffer, and Flush compresses the buffer in place instead of copying it behind them.
  datadog::trace::AgentPayload agent_payload;
  agent_payload.set_hostname(options_.hostname);
  agent_payload.set_env(options_.env);
  agent_payload.set_agentversion(options_.agent_version);
  agent_payload.set_targettps(options_.target_tps);
  agent_payload.set_errortps(options_.error_tps);
  agent_payload.set_raresamplerenabled(options_.rare_sampler_enabled);
  agent_payload.SerializeToString(&agent_fields_);
  encoded_ = agent_fields_;
}

void TraceWriter::Add(const TracerPayload& payload) {
  const size_t size = encoder_.Measure(payload);
  if (HasBuffered() && buffered_bytes_ + size > options_.flush_bytes) {
    Flush();
  }
  if (!payload.languagename().empty()) {
    languages_.insert(payload.languagename());
  }
  // Field 5 (tracerPayloads), length-delimited, then the message with the sizes just measured.
  constexpr uint32_t kTracerPayloadsTag = (5 << 3) | 2;
  uint8_t header[1 + 10];
  uint8_t* end =
      google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(kTracerPayloadsTag, header);
  end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(size, end);
  encoded_.append(reinterpret_cast<const char*>(header), static_cast<size_t>(end - header));
  const size_t offset = encoded_.size();
  encoded_.resize(offset + size);
  encoder_.Write(payload, reinterpret_cast<uint8_t*>(encoded_.data() + offset));
  buffered_bytes_ += size;
  for (const TraceChunk& chunk : payload.chunks()) {
    buffered_spans_ += static_cast<uint64_t>(chunk.spans_size());
  }
  buffered_chunks_ += static_cast<uint64_t>(payload.chunks_size());
  if (buffered_bytes_ >= options_.flush_bytes) {
    Flush();
  }
}

void TraceWriter::Flush() {
  if (!HasBuffered()) {
    return;
  }
  const uint64_t spans = buffered_spans_;
  const uint64_t chunks = buffered_chunks_;
  absl::StatusOr<std::string> compressed =
      forwarder::Compress(options_.compression, encoded_, options_.zstd_level);
  encoded_.resize(agent_fields_.size());  // keeps the fixed fields and the capacity
  buffered_bytes_ = 0;
  buffered_spans_ = 0;
  buffered_chunks_ = 0;

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
