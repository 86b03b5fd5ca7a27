// W1: what the trace writer sends decodes, with the generated protobuf classes, into the
// AgentPayload the intake expects.
#include "apm/trace_writer.h"

#include "gtest/gtest.h"
#include "proto/trace_agent_payload.pb.h"
#include "tests/testing/decompress.h"

namespace sidecar::apm {
namespace {

TracerPayload PayloadWithSpans(const std::string& lang, int chunks, int spans_per_chunk) {
  TracerPayload payload;
  payload.set_languagename(lang);
  payload.set_containerid("9a8b7c-1234");
  (*payload.mutable_tags())["_dd.tags.container"] = "task_arn:arn:x,ecs_cluster_name:c";
  for (int c = 0; c < chunks; ++c) {
    TraceChunk* chunk = payload.add_chunks();
    chunk->set_priority(1);
    for (int s = 0; s < spans_per_chunk; ++s) {
      Span* span = chunk->add_spans();
      span->set_service("web");
      span->set_name("http.request");
      span->set_resource("GET /users/?");
      span->set_traceid(static_cast<uint64_t>(c + 1));
      span->set_spanid(static_cast<uint64_t>(s + 1));
      span->set_start(1'700'000'000'000'000'000);
      span->set_duration(1000);
      (*span->mutable_meta())["env"] = "prod";
    }
  }
  return payload;
}

class TraceWriterTest : public ::testing::Test {
 protected:
  TraceWriter MakeWriter(size_t flush_bytes = 3'200'000) {
    TraceWriterOptions options;
    options.hostname = "";
    options.env = "none";
    options.agent_version = "7.60.1";
    options.user_agent = "Datadog Trace Agent/7.60.1/test";
    options.flush_bytes = flush_bytes;
    return TraceWriter(
        options, [this](forwarder::Payload p) { sent_.push_back(std::move(p)); }, registry_);
  }
  datadog::trace::AgentPayload Decode(const forwarder::Payload& payload) {
    auto raw = testing::Decompress(payload.content_encoding, payload.body);
    EXPECT_TRUE(raw.ok());
    datadog::trace::AgentPayload decoded;
    EXPECT_TRUE(decoded.ParseFromString(*raw));
    return decoded;
  }

  telemetry::Registry registry_;
  std::vector<forwarder::Payload> sent_;
};

TEST_F(TraceWriterTest, W1_ChunksBufferedUntilFlushGoOutAsOneAgentPayload) {
  TraceWriter writer = MakeWriter();
  writer.Add(PayloadWithSpans("nodejs", 2, 3));
  writer.Add(PayloadWithSpans("python", 1, 1));
  EXPECT_TRUE(sent_.empty());
  writer.Flush();
  ASSERT_EQ(sent_.size(), 1u);
  const forwarder::Payload& payload = sent_[0];
  EXPECT_EQ(payload.route, "/api/v0.2/traces");
  EXPECT_EQ(payload.intake, forwarder::Intake::kTraces);
  EXPECT_EQ(payload.content_type, "application/x-protobuf");
  EXPECT_EQ(payload.content_encoding, "zstd");
  EXPECT_EQ(payload.item_count, 7u);
  bool languages = false;
  for (const auto& [name, value] : payload.extra_headers) {
    if (name == "X-Datadog-Reported-Languages") {
      EXPECT_EQ(value, "nodejs|python");
      languages = true;
    }
  }
  EXPECT_TRUE(languages);
  const datadog::trace::AgentPayload decoded = Decode(payload);
  EXPECT_EQ(decoded.hostname(), "");
  EXPECT_EQ(decoded.env(), "none");
  EXPECT_EQ(decoded.agentversion(), "7.60.1");
  EXPECT_EQ(decoded.targettps(), 10);
  EXPECT_EQ(decoded.errortps(), 10);
  EXPECT_FALSE(decoded.raresamplerenabled());
  ASSERT_EQ(decoded.tracerpayloads_size(), 2);
  EXPECT_EQ(decoded.tracerpayloads(0).chunks_size(), 2);
  EXPECT_EQ(decoded.tracerpayloads(0).containerid(), "9a8b7c-1234");
  EXPECT_EQ(decoded.tracerpayloads(0).tags().at("_dd.tags.container"),
            "task_arn:arn:x,ecs_cluster_name:c");
  EXPECT_EQ(decoded.tracerpayloads(0).chunks(1).spans(2).resource(), "GET /users/?");
  writer.Flush();
  EXPECT_EQ(sent_.size(), 1u) << "nothing buffered, nothing sent";
}

TEST_F(TraceWriterTest, FlushesAtOnceWhenTheSizeCapWouldBePassed) {
  const size_t one = PayloadWithSpans("go", 10, 10).ByteSizeLong();
  TraceWriter writer = MakeWriter(one * 2 + one / 2);
  writer.Add(PayloadWithSpans("go", 10, 10));
  writer.Add(PayloadWithSpans("go", 10, 10));
  EXPECT_TRUE(sent_.empty());
  writer.Add(PayloadWithSpans("go", 10, 10));
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(Decode(sent_[0]).tracerpayloads_size(), 2);
  writer.Flush();
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(Decode(sent_[1]).tracerpayloads_size(), 1);
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.trace_writer.payloads"), 2);
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.trace_writer.spans"), 300);
}

}  // namespace
}  // namespace sidecar::apm
