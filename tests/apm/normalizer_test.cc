// Conformance cases N1-N13 and N17 of ../shared/spec/apm.md §11: chunk validation, per-span
// normalization with its malformed-span counters, and truncation.
#include "apm/normalizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "tests/testing/manual_clock.h"

namespace sidecar::apm {
namespace {

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out.append(s);
  }
  return out;
}

constexpr int64_t kValidStart = 1700000000LL * 1000000000LL;

Span MakeSpan(uint64_t trace_id, uint64_t span_id, uint64_t parent_id = 0) {
  Span span;
  span.set_traceid(trace_id);
  span.set_spanid(span_id);
  span.set_parentid(parent_id);
  span.set_service("svc");
  span.set_name("web.request");
  span.set_resource("GET /");
  span.set_start(kValidStart);
  span.set_duration(1000);
  return span;
}

class NormalizerTest : public ::testing::Test {
 protected:
  int64_t NowNanos() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               clock_.SystemNow().time_since_epoch())
        .count();
  }

  // Normalizes a one-span chunk and returns the span.
  Span NormalizeOne(Span span, std::string_view lang = "") {
    TraceChunk chunk;
    *chunk.add_spans() = std::move(span);
    EXPECT_EQ(normalizer_.NormalizeChunk(chunk, lang, counters_), ChunkDropReason::kNone);
    return chunk.spans(0);
  }

  uint64_t Count(MalformedReason reason) const { return counters_.Get(reason); }

  uint64_t TotalMalformed() const {
    uint64_t total = 0;
    for (const uint64_t n : counters_.spans_malformed) {
      total += n;
    }
    return total;
  }

  testing::ManualClock clock_;
  Normalizer normalizer_{clock_};
  NormalizeCounters counters_;
};

TEST_F(NormalizerTest, NormalSpanIsUntouchedAndUncounted) {
  const Span in = MakeSpan(1, 2);
  TraceChunk chunk;
  *chunk.add_spans() = in;
  const char* service_before = chunk.spans(0).service().data();
  const char* name_before = chunk.spans(0).name().data();
  ASSERT_EQ(normalizer_.NormalizeChunk(chunk, "go", counters_), ChunkDropReason::kNone);
  EXPECT_EQ(chunk.spans(0).SerializeAsString(), in.SerializeAsString());
  EXPECT_EQ(chunk.spans(0).service().data(), service_before);  // no reallocation
  EXPECT_EQ(chunk.spans(0).name().data(), name_before);
  EXPECT_EQ(TotalMalformed(), 0u);
}

TEST_F(NormalizerTest, N1EmptyServiceGetsLanguageFallback) {
  Span span = MakeSpan(1, 2);
  span.set_service("");
  EXPECT_EQ(NormalizeOne(span).service(), "unnamed-service");
  EXPECT_EQ(NormalizeOne(span, "java").service(), "unnamed-java-service");
  EXPECT_EQ(Count(MalformedReason::kServiceEmpty), 2u);
}

TEST_F(NormalizerTest, N2LongServiceAndNameTruncated) {
  Span span = MakeSpan(1, 2);
  span.set_service(Repeat("CAMEMBERT", 100));
  span.set_name(Repeat("CAMEMBERT", 100));
  const Span out = NormalizeOne(span);
  EXPECT_EQ(out.service().size(), 100u);
  EXPECT_EQ(out.service(), Repeat("camembert", 12).substr(0, 100));
  EXPECT_EQ(out.name(), Repeat("CAMEMBERT", 12).substr(0, 100));
  EXPECT_EQ(Count(MalformedReason::kServiceTruncate), 1u);
  EXPECT_EQ(Count(MalformedReason::kSpanNameTruncate), 1u);
}

TEST_F(NormalizerTest, N3NameRules) {
  Span span = MakeSpan(1, 2);
  span.set_name("");
  EXPECT_EQ(NormalizeOne(span).name(), "unnamed_operation");
  EXPECT_EQ(Count(MalformedReason::kSpanNameEmpty), 1u);
  span.set_name("/");
  EXPECT_EQ(NormalizeOne(span).name(), "unnamed_operation");
  EXPECT_EQ(Count(MalformedReason::kSpanNameInvalid), 1u);
  span.set_name("trace-api.request");
  EXPECT_EQ(NormalizeOne(span).name(), "trace_api.request");
  span.set_name("pylons.controller");
  EXPECT_EQ(NormalizeOne(span).name(), "pylons.controller");
  span.set_name("bad-name");
  EXPECT_EQ(NormalizeOne(span).name(), "bad_name");
}

TEST_F(NormalizerTest, N4TooLongNameTruncatedAndCounted) {
  Span span = MakeSpan(1, 2);
  span.set_name(Repeat("Too-Long-.", 11));
  EXPECT_EQ(NormalizeOne(span).name(), Repeat("Too_Long.", 10));
  EXPECT_EQ(Count(MalformedReason::kSpanNameTruncate), 1u);
}

TEST_F(NormalizerTest, N5EmptyResourceTakesNormalizedName) {
  Span span = MakeSpan(1, 2);
  span.set_resource("");
  span.set_name("bad-name");
  EXPECT_EQ(NormalizeOne(span).resource(), "bad_name");
  EXPECT_EQ(Count(MalformedReason::kResourceEmpty), 1u);
}

TEST_F(NormalizerTest, N6ZeroIdsDropTheChunk) {
  TraceChunk chunk;
  *chunk.add_spans() = MakeSpan(0, 2);
  EXPECT_EQ(normalizer_.NormalizeChunk(chunk, "", counters_), ChunkDropReason::kTraceIdZero);
  TraceChunk chunk2;
  *chunk2.add_spans() = MakeSpan(1, 2);
  *chunk2.add_spans() = MakeSpan(1, 0);
  EXPECT_EQ(normalizer_.NormalizeChunk(chunk2, "", counters_), ChunkDropReason::kSpanIdZero);
  EXPECT_EQ(ChunkDropReasonName(ChunkDropReason::kTraceIdZero), "trace_id_zero");
  EXPECT_EQ(ChunkDropReasonName(ChunkDropReason::kSpanIdZero), "span_id_zero");
}

TEST_F(NormalizerTest, N7EarlyStartBecomesNowMinusDuration) {
  Span span = MakeSpan(1, 2);
  span.set_start(42);
  span.set_duration(10'000'000);  // 10 ms
  EXPECT_EQ(NormalizeOne(span).start(), NowNanos() - 10'000'000);
  EXPECT_EQ(Count(MalformedReason::kInvalidStartDate), 1u);

  span.set_duration(2 * NowNanos());
  const Span out = NormalizeOne(span);
  EXPECT_EQ(out.start(), NowNanos());
  EXPECT_EQ(out.duration(), 2 * NowNanos());
  EXPECT_EQ(Count(MalformedReason::kInvalidStartDate), 2u);
}

TEST_F(NormalizerTest, N7FollowsTheClock) {
  Span span = MakeSpan(1, 2);
  span.set_start(0);
  span.set_duration(5);
  clock_.Advance(std::chrono::seconds(30));
  EXPECT_EQ(NormalizeOne(span).start(), NowNanos() - 5);
}

TEST_F(NormalizerTest, N8InvalidDurationsBecomeZero) {
  Span span = MakeSpan(1, 2);
  span.set_duration(-50);
  EXPECT_EQ(NormalizeOne(span).duration(), 0);
  EXPECT_EQ(Count(MalformedReason::kInvalidDuration), 1u);

  span.set_duration(std::numeric_limits<int64_t>::max());  // start + duration overflows
  EXPECT_EQ(NormalizeOne(span).duration(), 0);
  EXPECT_EQ(Count(MalformedReason::kInvalidDuration), 2u);

  span.set_duration(0);
  EXPECT_EQ(NormalizeOne(span).duration(), 0);
  EXPECT_EQ(Count(MalformedReason::kInvalidDuration), 2u);
}

TEST_F(NormalizerTest, N8NegativeStartResetsDurationLikeTheAgent) {
  // Go's MaxInt64 - start wraps for a negative start, so any duration counts as overflowing.
  Span span = MakeSpan(1, 2);
  span.set_start(-1);
  span.set_duration(7);
  const Span out = NormalizeOne(span);
  EXPECT_EQ(out.duration(), 0);
  EXPECT_EQ(out.start(), NowNanos());
  EXPECT_EQ(Count(MalformedReason::kInvalidDuration), 1u);
  EXPECT_EQ(Count(MalformedReason::kInvalidStartDate), 1u);
}

TEST_F(NormalizerTest, N9LongTypeTruncatedTo100Bytes) {
  Span span = MakeSpan(1, 2);
  span.set_type(Repeat("sql", 1000));
  EXPECT_EQ(NormalizeOne(span).type(), Repeat("sql", 34).substr(0, 100));
  EXPECT_EQ(Count(MalformedReason::kTypeTruncate), 1u);
}

TEST_F(NormalizerTest, N10ServiceAndEnvNormalized) {
  Span span = MakeSpan(1, 2);
  span.set_service("retargeting(api-Staging ");
  (*span.mutable_meta())["env"] = "DEVELOPMENT";
  const Span out = NormalizeOne(span);
  EXPECT_EQ(out.service(), "retargeting_api-staging");
  EXPECT_EQ(out.meta().at("env"), "development");
  EXPECT_EQ(TotalMalformed(), 0u);  // replacing characters is not counted
}

TEST_F(NormalizerTest, N11ZipkinRootParentCleared) {
  const Span out = NormalizeOne(MakeSpan(42, 42, 42));
  EXPECT_EQ(out.parentid(), 0u);
  EXPECT_EQ(out.traceid(), 42u);
  EXPECT_EQ(out.spanid(), 42u);
  // Parent equal to the span id only is not a Zipkin root.
  EXPECT_EQ(NormalizeOne(MakeSpan(41, 42, 42)).parentid(), 42u);
}

TEST_F(NormalizerTest, N12ForeignSpanDropsWholeChunk) {
  TraceChunk chunk;
  *chunk.add_spans() = MakeSpan(1, 2);
  *chunk.add_spans() = MakeSpan(3, 4);
  EXPECT_EQ(normalizer_.NormalizeChunk(chunk, "", counters_), ChunkDropReason::kForeignSpan);
  EXPECT_EQ(ChunkDropReasonName(ChunkDropReason::kForeignSpan), "foreign_span");
}

TEST_F(NormalizerTest, N12HighTraceIdBitsComparedWhenBothSpansHaveThem) {
  TraceChunk chunk;
  Span first = MakeSpan(1, 2);
  (*first.mutable_meta())["_dd.p.tid"] = "640cfd8d00000000";
  *chunk.add_spans() = first;
  *chunk.add_spans() = MakeSpan(1, 3, 2);  // no _dd.p.tid: same trace
  EXPECT_EQ(normalizer_.NormalizeChunk(chunk, "", counters_), ChunkDropReason::kNone);
  Span other = MakeSpan(1, 4, 2);
  (*other.mutable_meta())["_dd.p.tid"] = "640cfd8d11111111";
  *chunk.add_spans() = other;
  EXPECT_EQ(normalizer_.NormalizeChunk(chunk, "", counters_), ChunkDropReason::kForeignSpan);
}

TEST_F(NormalizerTest, N12DuplicateSpanIdsKeptButCounted) {
  TraceChunk chunk;
  *chunk.add_spans() = MakeSpan(1, 2);
  *chunk.add_spans() = MakeSpan(1, 2);
  *chunk.add_spans() = MakeSpan(1, 2);
  EXPECT_EQ(normalizer_.NormalizeChunk(chunk, "", counters_), ChunkDropReason::kNone);
  EXPECT_EQ(chunk.spans_size(), 3);
  EXPECT_EQ(Count(MalformedReason::kDuplicateSpanId), 2u);
}

TEST_F(NormalizerTest, N12DuplicateSpanIdsCountedInLargeChunks) {
  TraceChunk chunk;
  for (uint64_t id = 1; id <= 100; ++id) {
    *chunk.add_spans() = MakeSpan(7, id, id == 1 ? 0 : 1);
  }
  *chunk.add_spans() = MakeSpan(7, 50, 1);
  EXPECT_EQ(normalizer_.NormalizeChunk(chunk, "", counters_), ChunkDropReason::kNone);
  EXPECT_EQ(Count(MalformedReason::kDuplicateSpanId), 1u);
}

TEST_F(NormalizerTest, N12EmptyChunkDropped) {
  TraceChunk chunk;
  EXPECT_EQ(normalizer_.NormalizeChunk(chunk, "", counters_), ChunkDropReason::kEmptyTrace);
  EXPECT_EQ(ChunkDropReasonName(ChunkDropReason::kEmptyTrace), "empty_trace");
}

TEST_F(NormalizerTest, N13HttpStatusCodeMustBe100To599) {
  for (const std::string code : {"100", "599", "200", "0404"}) {
    Span span = MakeSpan(1, 2);
    (*span.mutable_meta())["http.status_code"] = code;
    EXPECT_EQ(NormalizeOne(span).meta().at("http.status_code"), code);
  }
  EXPECT_EQ(Count(MalformedReason::kInvalidHttpStatusCode), 0u);
  for (const std::string code : {"99", "600", "Invalid status code", "", "-200", "+200", "20 0",
                                 "99999999999999999999999"}) {
    Span span = MakeSpan(1, 2);
    (*span.mutable_meta())["http.status_code"] = code;
    EXPECT_FALSE(NormalizeOne(span).meta().contains("http.status_code")) << code;
  }
  EXPECT_EQ(Count(MalformedReason::kInvalidHttpStatusCode), 8u);
}

TEST_F(NormalizerTest, PeerAndBaseServiceNormalized) {
  Span span = MakeSpan(1, 2);
  (*span.mutable_meta())["peer.service"] = "Billing DB";
  (*span.mutable_meta())["_dd.base_service"] = "$$$";
  Span out = NormalizeOne(span);
  EXPECT_EQ(out.meta().at("peer.service"), "billing_db");
  EXPECT_EQ(out.meta().at("_dd.base_service"), "");
  EXPECT_EQ(Count(MalformedReason::kBaseServiceInvalid), 1u);

  (*span.mutable_meta())["peer.service"] = Repeat("p", 150);
  (*span.mutable_meta())["_dd.base_service"] = Repeat("b", 150);
  out = NormalizeOne(span);
  EXPECT_EQ(out.meta().at("peer.service"), Repeat("p", 100));
  EXPECT_EQ(out.meta().at("_dd.base_service"), Repeat("b", 100));
  EXPECT_EQ(Count(MalformedReason::kPeerServiceTruncate), 1u);
  EXPECT_EQ(Count(MalformedReason::kBaseServiceTruncate), 1u);
  EXPECT_EQ(Count(MalformedReason::kPeerServiceInvalid), 0u);
}

TEST_F(NormalizerTest, SpanLinkNameNormalized) {
  Span span = MakeSpan(1, 2);
  auto* link = span.add_spanlinks();
  link->set_traceid(9);
  link->set_spanid(10);
  (*link->mutable_attributes())["link.name"] = "my-link name";
  (*link->mutable_attributes())["other"] = "Keep Me";
  const Span out = NormalizeOne(span);
  EXPECT_EQ(out.spanlinks(0).attributes().at("link.name"), "my_link_name");
  EXPECT_EQ(out.spanlinks(0).attributes().at("other"), "Keep Me");
}

TEST(MalformedReasonTest, NamesMatchAgentTags) {
  EXPECT_EQ(MalformedReasonName(MalformedReason::kServiceEmpty), "service_empty");
  EXPECT_EQ(MalformedReasonName(MalformedReason::kSpanNameTruncate), "span_name_truncate");
  EXPECT_EQ(MalformedReasonName(MalformedReason::kInvalidHttpStatusCode),
            "invalid_http_status_code");
  EXPECT_EQ(MalformedReasonName(MalformedReason::kDuplicateSpanId), "duplicate_span_id");
  for (size_t i = 0; i < kMalformedReasonCount; ++i) {
    EXPECT_FALSE(MalformedReasonName(static_cast<MalformedReason>(i)).empty()) << i;
  }
}

// N17: truncation after obfuscation.
TEST(TruncateSpanTest, N17LongMetaValueCutUtf8SafelyWithSuffix) {
  Span span = MakeSpan(1, 2);
  (*span.mutable_meta())["sql.query"] = Repeat("x", 30000);
  // 'a' then 2-byte letters: byte 25000 falls inside a letter.
  (*span.mutable_meta())["text"] = "a" + Repeat("é", 15000);
  TruncateSpan(span);
  EXPECT_EQ(span.meta().at("sql.query"), Repeat("x", 25000) + "...");
  EXPECT_EQ(span.meta().at("text"), "a" + Repeat("é", 12499) + "...");
}

TEST(TruncateSpanTest, N17LongMetaKeyReplacedByTruncatedKey) {
  Span span = MakeSpan(1, 2);
  const std::string key = Repeat("k", 250);
  (*span.mutable_meta())[key] = "v";
  TruncateSpan(span);
  EXPECT_FALSE(span.meta().contains(key));
  EXPECT_EQ(span.meta().at(Repeat("k", 200) + "..."), "v");
  EXPECT_EQ(span.meta_size(), 1);
}

TEST(TruncateSpanTest, N17StructuredKeysNeverTruncated) {
  Span span = MakeSpan(1, 2);
  const std::string appsec = Repeat("{}", 20000);
  (*span.mutable_meta())["_dd.appsec.json"] = appsec;
  const std::string long_structured = "_dd." + Repeat("s", 250) + ".msgpack";
  (*span.mutable_meta())[long_structured] = "v";
  TruncateSpan(span);
  EXPECT_EQ(span.meta().at("_dd.appsec.json"), appsec);
  EXPECT_EQ(span.meta().at(long_structured), "v");
}

TEST(TruncateSpanTest, N17ResourceCutWithoutSuffix) {
  Span span = MakeSpan(1, 2);
  span.set_resource(Repeat("r", 6000));
  TruncateSpan(span);
  EXPECT_EQ(span.resource(), Repeat("r", 5000));
  span.set_resource(Repeat("r", 16000));
  TruncateSpan(span, /*max_resource_len=*/15000);  // big_resource feature
  EXPECT_EQ(span.resource().size(), 15000u);
}

TEST(TruncateSpanTest, N17LongMetricsKeyReplaced) {
  Span span = MakeSpan(1, 2);
  (*span.mutable_metrics())[Repeat("m", 201)] = 3.5;
  (*span.mutable_metrics())["short"] = 1;
  TruncateSpan(span);
  EXPECT_EQ(span.metrics().at(Repeat("m", 200) + "..."), 3.5);
  EXPECT_EQ(span.metrics().at("short"), 1);
  EXPECT_EQ(span.metrics_size(), 2);
}

TEST(TruncateSpanTest, ShortFieldsUnchanged) {
  Span span = MakeSpan(1, 2);
  (*span.mutable_meta())[Repeat("k", 200)] = Repeat("v", 25000);
  (*span.mutable_metrics())[Repeat("m", 200)] = 1;
  const std::string before = span.SerializeAsString();
  TruncateSpan(span);
  EXPECT_EQ(span.SerializeAsString(), before);
}

}  // namespace
}  // namespace sidecar::apm
