// Root selection, chunk attributes (N14) and top-level marking (N18) of ../shared/spec/apm.md §3.
#include "apm/top_level.h"

#include <gtest/gtest.h>

#include <string>

namespace sidecar::apm {
namespace {

Span* AddSpan(TraceChunk& chunk, uint64_t span_id, uint64_t parent_id,
              const std::string& service = "svc") {
  Span* span = chunk.add_spans();
  span->set_traceid(1);
  span->set_spanid(span_id);
  span->set_parentid(parent_id);
  span->set_service(service);
  span->set_name("op");
  return span;
}

bool HasAgentTopLevel(const Span& span) {
  const auto it = span.metrics().find("_top_level");
  return it != span.metrics().end() && it->second == 1;
}

TEST(RootSpanIndexTest, PicksLastSpanWithoutParent) {
  TraceChunk chunk;
  AddSpan(chunk, 1, 0);
  AddSpan(chunk, 2, 1);
  AddSpan(chunk, 3, 0);
  AddSpan(chunk, 4, 3);
  EXPECT_EQ(RootSpanIndex(chunk), 2u);
}

TEST(RootSpanIndexTest, FallsBackToSpanWhoseParentIsMissing) {
  TraceChunk chunk;
  AddSpan(chunk, 2, 1);
  AddSpan(chunk, 1, 99);  // parent outside the chunk: a partial trace's local root
  AddSpan(chunk, 3, 1);
  EXPECT_EQ(RootSpanIndex(chunk), 1u);
}

TEST(RootSpanIndexTest, FallsBackToLastSpanWhenEveryParentIsPresent) {
  TraceChunk chunk;
  AddSpan(chunk, 1, 2);
  AddSpan(chunk, 2, 1);
  AddSpan(chunk, 3, 1);
  EXPECT_EQ(RootSpanIndex(chunk), 2u);
  EXPECT_EQ(RootSpanIndex(TraceChunk{}), 0u);
}

TEST(RootSpanIndexTest, LargeChunkFindsMissingParent) {
  TraceChunk chunk;
  for (uint64_t id = 1; id <= 50; ++id) {
    AddSpan(chunk, id + 100, id == 20 ? 7777 : 101);
  }
  EXPECT_EQ(RootSpanIndex(chunk), 19u);
}

TEST(SetChunkAttributesTest, N14OriginFromRootWhenChunkHasNone) {
  TraceChunk chunk;
  chunk.set_priority(kPriorityNone);
  Span* root = AddSpan(chunk, 1, 0);
  (*root->mutable_meta())["_dd.origin"] = "rum";
  SetChunkAttributes(chunk, *root);
  EXPECT_EQ(chunk.origin(), "rum");

  chunk.set_origin("lambda");
  SetChunkAttributes(chunk, chunk.spans(0));
  EXPECT_EQ(chunk.origin(), "lambda");
}

TEST(SetChunkAttributesTest, N14PriorityFromRootMetric) {
  TraceChunk chunk;
  chunk.set_priority(kPriorityNone);
  Span* root = AddSpan(chunk, 1, 0);
  (*root->mutable_metrics())["_sampling_priority_v1"] = 1;
  SetChunkAttributes(chunk, chunk.spans(0));
  EXPECT_EQ(chunk.priority(), 1);
}

TEST(SetChunkAttributesTest, N14ExistingPriorityKept) {
  TraceChunk chunk;
  chunk.set_priority(0);
  Span* root = AddSpan(chunk, 1, 0);
  (*root->mutable_metrics())["_sampling_priority_v1"] = 2;
  SetChunkAttributes(chunk, chunk.spans(0));
  EXPECT_EQ(chunk.priority(), 0);
}

TEST(SetChunkAttributesTest, N14PriorityFromFirstNonRootSpanHavingIt) {
  TraceChunk chunk;
  chunk.set_priority(kPriorityNone);
  AddSpan(chunk, 1, 0);
  AddSpan(chunk, 2, 1);
  (*AddSpan(chunk, 3, 1)->mutable_metrics())["_sampling_priority_v1"] = 2;
  (*AddSpan(chunk, 4, 1)->mutable_metrics())["_sampling_priority_v1"] = -1;
  SetChunkAttributes(chunk, chunk.spans(0));
  EXPECT_EQ(chunk.priority(), 2);
}

TEST(SetChunkAttributesTest, NoPriorityAnywhereStaysNone) {
  TraceChunk chunk;
  chunk.set_priority(kPriorityNone);
  AddSpan(chunk, 1, 0);
  SetChunkAttributes(chunk, chunk.spans(0));
  EXPECT_EQ(chunk.priority(), kPriorityNone);
  EXPECT_EQ(chunk.origin(), "");
  EXPECT_FALSE(chunk.tags().contains("_dd.p.dm"));
}

TEST(SetChunkAttributesTest, DecisionMakerPromotedFromFirstSpanHavingIt) {
  TraceChunk chunk;
  AddSpan(chunk, 1, 0);
  (*AddSpan(chunk, 2, 1)->mutable_meta())["_dd.p.dm"] = "-4";
  (*AddSpan(chunk, 3, 1)->mutable_meta())["_dd.p.dm"] = "-1";
  SetChunkAttributes(chunk, chunk.spans(0));
  EXPECT_EQ(chunk.tags().at("_dd.p.dm"), "-4");
  EXPECT_EQ(chunk.spans(1).meta().at("_dd.p.dm"), "-4");  // the span keeps it

  (*chunk.mutable_tags())["_dd.p.dm"] = "-3";
  SetChunkAttributes(chunk, chunk.spans(0));
  EXPECT_EQ(chunk.tags().at("_dd.p.dm"), "-3");
}

// N18: A(root, x) <- B(x) <- C(y); D(x) has a parent outside the chunk.
TEST(ComputeTopLevelTest, N18RootOrphansAndServiceEntrySpans) {
  TraceChunk chunk;
  AddSpan(chunk, 1, 0, "x");    // A
  AddSpan(chunk, 2, 1, "x");    // B
  AddSpan(chunk, 3, 2, "y");    // C
  AddSpan(chunk, 4, 999, "x");  // D
  ComputeTopLevel(chunk);
  EXPECT_TRUE(HasAgentTopLevel(chunk.spans(0)));
  EXPECT_FALSE(HasAgentTopLevel(chunk.spans(1)));
  EXPECT_FALSE(chunk.spans(1).metrics().contains("_top_level"));
  EXPECT_TRUE(HasAgentTopLevel(chunk.spans(2)));
  EXPECT_TRUE(HasAgentTopLevel(chunk.spans(3)));
}

TEST(ComputeTopLevelTest, N18NeverClearsAnExistingMark) {
  TraceChunk chunk;
  AddSpan(chunk, 1, 0, "x");
  (*AddSpan(chunk, 2, 1, "x")->mutable_metrics())["_top_level"] = 1;
  ComputeTopLevel(chunk);
  EXPECT_TRUE(HasAgentTopLevel(chunk.spans(1)));
}

TEST(ComputeTopLevelTest, N18LargeChunkUsesSameRules) {
  TraceChunk chunk;
  AddSpan(chunk, 1, 0, "x");
  for (uint64_t id = 2; id <= 60; ++id) {
    AddSpan(chunk, id, id - 1, id == 40 ? "y" : (id > 40 ? "y" : "x"));
  }
  ComputeTopLevel(chunk);
  for (int i = 0; i < chunk.spans_size(); ++i) {
    const bool expected = i == 0 || chunk.spans(i).spanid() == 40;
    EXPECT_EQ(HasAgentTopLevel(chunk.spans(i)), expected) << i;
  }
}

TEST(CopyClientTopLevelTest, N18ClientComputedTopLevelCopied) {
  TraceChunk chunk;
  AddSpan(chunk, 1, 0, "x");
  (*AddSpan(chunk, 2, 1, "x")->mutable_metrics())["_dd.top_level"] = 1;
  AddSpan(chunk, 3, 2, "y");
  CopyClientTopLevel(chunk);
  EXPECT_FALSE(HasAgentTopLevel(chunk.spans(0)));
  EXPECT_TRUE(HasAgentTopLevel(chunk.spans(1)));
  EXPECT_FALSE(HasAgentTopLevel(chunk.spans(2)));
}

TEST(SpanFlagsTest, TopLevelAndMeasured) {
  Span span;
  EXPECT_FALSE(IsTopLevel(span));
  EXPECT_FALSE(IsMeasured(span));
  (*span.mutable_metrics())["_dd.top_level"] = 1;
  EXPECT_TRUE(IsTopLevel(span));
  span.mutable_metrics()->clear();
  (*span.mutable_metrics())["_top_level"] = 1;
  EXPECT_TRUE(IsTopLevel(span));
  (*span.mutable_metrics())["_top_level"] = 0;
  EXPECT_FALSE(IsTopLevel(span));
  (*span.mutable_metrics())["_dd.measured"] = 1;
  EXPECT_TRUE(IsMeasured(span));
  (*span.mutable_metrics())["_dd.measured"] = 2;
  EXPECT_FALSE(IsMeasured(span));
}

}  // namespace
}  // namespace sidecar::apm
