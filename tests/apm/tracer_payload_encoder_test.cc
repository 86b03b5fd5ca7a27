// The hand-written TracerPayload encoder against the protoc-generated serializer: the same bytes
// for every field shape (defaults omitted, negative numbers, map entries with empty values, the
// rare span fields that fall back to the generated code), a recorded dd-trace-js payload, and a
// round trip through the generated parser (issue #6: "round-trip tests encoding with our writer
// and decoding with the generated protobuf classes").
#include "apm/tracer_payload_encoder.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "apm/trace_decoder.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"

#ifndef SIDECAR_SHARED_TESTDATA
#error "SIDECAR_SHARED_TESTDATA must name ../shared/testdata"
#endif

namespace sidecar::apm {
namespace {

std::string Encode(const TracerPayload& payload) {
  TracerPayloadEncoder encoder;
  std::string out(encoder.Measure(payload), '\0');
  uint8_t* begin = reinterpret_cast<uint8_t*>(out.data());
  const uint8_t* end = encoder.Write(payload, begin);
  EXPECT_EQ(static_cast<size_t>(end - begin), out.size()) << "Write and Measure disagree";
  return out;
}

// Map fields in sorted key order: a parsed copy iterates its maps in another order.
std::string Canonical(const TracerPayload& payload) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    EXPECT_TRUE(payload.SerializeToCodedStream(&coded));
  }
  return out;
}

void ExpectSameAsGenerated(const TracerPayload& payload) {
  const std::string ours = Encode(payload);
  EXPECT_EQ(ours, payload.SerializeAsString());
  TracerPayload parsed;
  ASSERT_TRUE(parsed.ParseFromString(ours));
  EXPECT_EQ(Canonical(parsed), Canonical(payload));
}

Span* AddSpan(TraceChunk& chunk) {
  Span* span = chunk.add_spans();
  span->set_service("checkout");
  span->set_name("express.request");
  span->set_resource("GET /cart/:id");
  span->set_traceid(0x1234567890abcdefULL);
  span->set_spanid(42);
  span->set_parentid(7);
  span->set_start(1'732'000'000'123'456'789);
  span->set_duration(1'500'000);
  span->set_type("web");
  (*span->mutable_meta())["http.method"] = "GET";
  (*span->mutable_meta())["component"] = "express";
  (*span->mutable_metrics())["_sampling_priority_v1"] = 1;
  (*span->mutable_metrics())["_dd.measured"] = 1;
  return span;
}

TEST(TracerPayloadEncoderTest, EmptyPayloadIsEmpty) {
  const TracerPayload payload;
  EXPECT_EQ(Encode(payload), "");
  ExpectSameAsGenerated(payload);
}

TEST(TracerPayloadEncoderTest, EveryPayloadAndChunkFieldMatchesTheGeneratedBytes) {
  TracerPayload payload;
  payload.set_containerid("3f9a4c1e-task");
  payload.set_languagename("javascript");
  payload.set_languageversion("v20.11.0");
  payload.set_tracerversion("5.132.0");
  payload.set_runtimeid("8c6f0c4b-9c5e-4d0e-a3c1-6f4b2f0e1d2a");
  payload.set_env("prod");
  payload.set_hostname("");
  payload.set_appversion("1.4.2");
  (*payload.mutable_tags())["_dd.tags.container"] = "task_arn:arn:aws:ecs:x,ecs_cluster_name:c";
  TraceChunk* kept = payload.add_chunks();
  kept->set_priority(2);
  kept->set_origin("synthetics");
  (*kept->mutable_tags())["_dd.p.dm"] = "-4";
  AddSpan(*kept);
  AddSpan(*kept);
  TraceChunk* dropped = payload.add_chunks();
  dropped->set_priority(kPriorityUserDrop);  // A ten-byte varint.
  dropped->set_droppedtrace(true);
  AddSpan(*dropped);
  TraceChunk* no_priority = payload.add_chunks();
  no_priority->set_priority(kPriorityNone);
  payload.add_chunks();  // A chunk with nothing set at all.
  ExpectSameAsGenerated(payload);
}

TEST(TracerPayloadEncoderTest, SpanEdgeValuesMatchTheGeneratedBytes) {
  TracerPayload payload;
  TraceChunk* chunk = payload.add_chunks();
  Span* extremes = AddSpan(*chunk);
  extremes->set_traceid(std::numeric_limits<uint64_t>::max());
  extremes->set_start(-1);  // Negative int64: ten bytes.
  extremes->set_duration(std::numeric_limits<int64_t>::min());
  extremes->set_error(-5);
  (*extremes->mutable_meta())[""] = "";  // Empty key and value are still written in the entry.
  (*extremes->mutable_meta())["long"] = std::string(300, 'x');  // Two-byte length.
  (*extremes->mutable_metrics())["zero"] = 0.0;
  (*extremes->mutable_metrics())["negative_zero"] = -0.0;
  (*extremes->mutable_metrics())["nan"] = std::nan("");
  (*extremes->mutable_metrics())["inf"] = std::numeric_limits<double>::infinity();
  Span* defaults = chunk->add_spans();  // Every field at its default: an empty span message.
  (void)defaults;
  Span* errored = AddSpan(*chunk);
  errored->set_error(1);
  errored->set_parentid(0);
  errored->set_type("");
  ExpectSameAsGenerated(payload);
}

TEST(TracerPayloadEncoderTest, SpansWithRareFieldsUseTheGeneratedCodeAndStillMatch) {
  TracerPayload payload;
  TraceChunk* chunk = payload.add_chunks();
  Span* with_struct = AddSpan(*chunk);
  (*with_struct->mutable_meta_struct())["appsec"] = std::string("\x81\xa1k\xa1v", 5);
  Span* plain = AddSpan(*chunk);  // Between two fallbacks: the size order must stay aligned.
  plain->set_resource("plain");
  Span* linked = AddSpan(*chunk);
  datadog::trace::SpanLink* link = linked->add_spanlinks();
  link->set_traceid(9);
  link->set_spanid(10);
  (*link->mutable_attributes())["reason"] = "retry";
  Span* with_event = AddSpan(*chunk);
  datadog::trace::SpanEvent* event = with_event->add_spanevents();
  event->set_name("exception");
  event->set_time_unix_nano(1'732'000'000'000'000'000ULL);
  datadog::trace::AttributeAnyValue value;
  value.set_type(datadog::trace::AttributeAnyValue::INT_VALUE);
  value.set_int_value(3);
  (*event->mutable_attributes())["attempt"] = value;
  ExpectSameAsGenerated(payload);
}

TEST(TracerPayloadEncoderTest, RecordedDdTraceJsPayloadMatchesTheGeneratedBytes) {
  const std::filesystem::path path = std::filesystem::path(SIDECAR_SHARED_TESTDATA) / "clients" /
                                     "apm" / "dd-trace-js-v0.4-traces.msgpack";
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << path;
  std::stringstream body;
  body << file.rdbuf();
  TracerPayload payload;
  ASSERT_TRUE(
      DecodeTraces(TraceApiVersion::kV04, BodyEncoding::kMsgpack, body.str(), payload).ok());
  ASSERT_GT(payload.chunks_size(), 0);
  ExpectSameAsGenerated(payload);
}

TEST(TracerPayloadEncoderTest, EncoderIsReusableAcrossPayloads) {
  TracerPayloadEncoder encoder;
  for (int spans = 3; spans >= 0; --spans) {
    TracerPayload payload;
    TraceChunk* chunk = payload.add_chunks();
    for (int i = 0; i < spans; ++i) {
      AddSpan(*chunk)->set_spanid(static_cast<uint64_t>(i + 1));
    }
    std::string out(encoder.Measure(payload), '\0');
    encoder.Write(payload, reinterpret_cast<uint8_t*>(out.data()));
    EXPECT_EQ(out, payload.SerializeAsString()) << spans << " spans";
  }
}

}  // namespace
}  // namespace sidecar::apm
