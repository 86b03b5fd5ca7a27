// The processor over real stages: what survives, what is dropped (and counted), and the payload
// attributes of apm.md §3 (N19) and §8.
#include "apm/processor.h"

#include "gtest/gtest.h"
#include "tests/testing/manual_clock.h"

namespace sidecar::apm {
namespace {

constexpr int64_t kNow = 1'700'000'000'000'000'000;

Span MakeSpan(uint64_t trace_id, uint64_t span_id, uint64_t parent_id) {
  Span span;
  span.set_service("web");
  span.set_name("http.request");
  span.set_resource("GET /");
  span.set_traceid(trace_id);
  span.set_spanid(span_id);
  span.set_parentid(parent_id);
  span.set_start(kNow - 1'000'000);
  span.set_duration(500'000);
  return span;
}

TraceChunk ChunkWithPriority(uint64_t trace_id, int priority) {
  TraceChunk chunk;
  chunk.set_priority(kPriorityNone);
  Span root = MakeSpan(trace_id, 1, 0);
  (*root.mutable_metrics())["_sampling_priority_v1"] = priority;
  *chunk.add_spans() = root;
  *chunk.add_spans() = MakeSpan(trace_id, 2, 1);
  return chunk;
}

class ProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetSystemNow(std::chrono::system_clock::time_point(std::chrono::nanoseconds(kNow)));
    Build(ApmConfig{});
  }
  void Build(const ApmConfig& config) {
    processor_.reset();
    concentrator_ = std::make_unique<Concentrator>(ConcentratorConfig{}, clock_);
    SamplerConfig sampler;
    sampler_ = std::make_unique<TraceSampler>(sampler, clock_);
    obfuscator_ = std::make_unique<Obfuscator>(ObfuscationConfig{});
    auto processor = Processor::Create(
        config, clock_, *concentrator_, *sampler_, *obfuscator_,
        [](std::string_view raw) {
          ContainerIdentity identity;
          if (raw == "short-id") {
            identity.container_id = "short-id-resolved";
            identity.tags = "task_arn:arn:aws:ecs:x,container_name:app";
          } else {
            identity.tags = "task_arn:arn:aws:ecs:x";
          }
          return identity;
        },
        registry_);
    ASSERT_TRUE(processor.ok()) << processor.status();
    processor_ = std::move(*processor);
  }

  testing::ManualClock clock_;
  telemetry::Registry registry_;
  std::unique_ptr<Concentrator> concentrator_;
  std::unique_ptr<TraceSampler> sampler_;
  std::unique_ptr<Obfuscator> obfuscator_;
  std::unique_ptr<Processor> processor_;
};

TEST_F(ProcessorTest, N19_PayloadAttributesComeFromTheRootSpan) {
  TracerPayload payload;
  TraceChunk chunk = ChunkWithPriority(7, 1);
  auto& meta = *chunk.mutable_spans(0)->mutable_meta();
  meta["_dd.hostname"] = "h1";
  meta["env"] = "Prod";
  meta["version"] = "1.2";
  *payload.add_chunks() = chunk;
  TracerInfo info;
  info.lang = "nodejs";
  info.tracer_version = "5.1.0";
  info.container_id = "short-id";
  ASSERT_TRUE(processor_->Process(payload, info));
  const TracerPayload* kept = &payload;
  EXPECT_EQ(kept->hostname(), "h1");
  EXPECT_EQ(kept->env(), "prod");
  EXPECT_EQ(kept->appversion(), "1.2");
  EXPECT_EQ(kept->languagename(), "nodejs");
  EXPECT_EQ(kept->tracerversion(), "5.1.0");
  EXPECT_EQ(kept->containerid(), "short-id-resolved");
  EXPECT_EQ(kept->tags().at("_dd.tags.container"), "task_arn:arn:aws:ecs:x,container_name:app");
  // Root and service-entry spans are marked top-level (N18) before upload.
  EXPECT_EQ(kept->chunks(0).spans(0).metrics().at("_top_level"), 1);
}

TEST_F(ProcessorTest, InvalidChunksAreDroppedAndCountedByReason) {
  TracerPayload payload;
  *payload.add_chunks() = ChunkWithPriority(0, 1);  // N6 trace_id_zero
  TraceChunk foreign = ChunkWithPriority(8, 1);
  foreign.mutable_spans(1)->set_traceid(9);  // N12 foreign_span
  *payload.add_chunks() = foreign;
  payload.add_chunks();  // empty
  *payload.add_chunks() = ChunkWithPriority(10, 1);
  ASSERT_TRUE(processor_->Process(payload, TracerInfo{}));
  const TracerPayload* kept = &payload;
  ASSERT_EQ(kept->chunks_size(), 1);
  EXPECT_EQ(kept->chunks(0).spans(0).traceid(), 10u);
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.processor.traces_dropped",
                              {{"reason", "trace_id_zero"}}),
            1);
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.processor.traces_dropped",
                              {{"reason", "foreign_span"}}),
            1);
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.processor.traces_dropped",
                              {{"reason", "empty_trace"}}),
            1);
}

TEST_F(ProcessorTest, S1_PriorityDecidesWhatIsUploaded) {
  TracerPayload payload;
  *payload.add_chunks() = ChunkWithPriority(1, 0);
  *payload.add_chunks() = ChunkWithPriority(2, 1);
  *payload.add_chunks() = ChunkWithPriority(3, 2);
  *payload.add_chunks() = ChunkWithPriority(4, -1);
  ASSERT_TRUE(processor_->Process(payload, TracerInfo{}));
  const TracerPayload* kept = &payload;
  ASSERT_EQ(kept->chunks_size(), 2);
  EXPECT_EQ(kept->chunks(0).spans(0).traceid(), 2u);
  EXPECT_EQ(kept->chunks(1).spans(0).traceid(), 3u);
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.processor.traces_sampled_out"), 2);
}

TEST_F(ProcessorTest, StatsAreComputedBeforeSamplingUnlessTheClientDidThem) {
  TracerPayload payload;
  *payload.add_chunks() = ChunkWithPriority(1, 0);  // dropped by sampling, still counted in stats
  TracerPayload copy = payload;
  processor_->Process(copy, TracerInfo{});
  auto stats = concentrator_->Flush(/*force=*/true);
  ASSERT_TRUE(stats.has_value());
  ASSERT_FALSE(stats->stats.empty());

  TracerInfo client_stats;
  client_stats.client_computed_stats = true;
  processor_->Process(payload, client_stats);
  EXPECT_FALSE(concentrator_->Flush(/*force=*/true).has_value());
}

TEST_F(ProcessorTest, SqlResourcesAreObfuscatedBeforeUpload) {
  TracerPayload payload;
  TraceChunk chunk = ChunkWithPriority(5, 1);
  chunk.mutable_spans(1)->set_type("sql");
  chunk.mutable_spans(1)->set_resource("SELECT * FROM users WHERE id = 42");
  *payload.add_chunks() = chunk;
  ASSERT_TRUE(processor_->Process(payload, TracerInfo{}));
  const TracerPayload* kept = &payload;
  EXPECT_EQ(kept->chunks(0).spans(1).resource(), "SELECT * FROM users WHERE id = ?");
}

TEST_F(ProcessorTest, IgnoredResourcesDropTheChunk) {
  ApmConfig config;
  config.ignore_resources = {"^GET /health$"};
  Build(config);
  TracerPayload payload;
  TraceChunk chunk = ChunkWithPriority(5, 1);
  chunk.mutable_spans(0)->set_resource("GET /health");
  *payload.add_chunks() = chunk;
  EXPECT_FALSE(processor_->Process(payload, TracerInfo{}));
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.processor.traces_dropped",
                              {{"reason", "ignored_resource"}}),
            1);
}

TEST_F(ProcessorTest, InvalidIgnoreResourcesRegexIsAConfigError) {
  ApmConfig config;
  config.ignore_resources = {"(unclosed"};
  auto processor = Processor::Create(
      config, clock_, *concentrator_, *sampler_, *obfuscator_,
      [](std::string_view) { return ContainerIdentity{}; }, registry_);
  ASSERT_FALSE(processor.ok());
  EXPECT_NE(processor.status().message().find("DD_APM_IGNORE_RESOURCES"), std::string::npos);
}

TEST_F(ProcessorTest, MalformedSpansAreReportedToTheRegistry) {
  TracerPayload payload;
  TraceChunk chunk = ChunkWithPriority(5, 1);
  chunk.mutable_spans(1)->set_service("");
  *payload.add_chunks() = chunk;
  processor_->Process(payload, TracerInfo{});
  EXPECT_EQ(registry_.ValueOf("datadog.trace_agent.normalizer.spans_malformed",
                              {{"reason", "service_empty"}}),
            1);
}

}  // namespace
}  // namespace sidecar::apm
