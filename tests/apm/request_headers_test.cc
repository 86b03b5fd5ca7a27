#include "apm/request_headers.h"

#include <map>

#include "gtest/gtest.h"

namespace sidecar::apm {
namespace {

TracerInfo InfoFrom(const std::map<std::string, std::string, std::less<>>& headers) {
  return ReadTracerInfo([&headers](std::string_view name) -> std::string_view {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->second);
  });
}

TEST(IsHeaderTrueTest, FollowsGoParseBoolAndCountsAnythingElseAsTrue) {
  EXPECT_FALSE(IsHeaderTrue(""));
  for (std::string_view falsy : {"0", "f", "F", "false", "FALSE", "False"}) {
    EXPECT_FALSE(IsHeaderTrue(falsy)) << falsy;
  }
  for (std::string_view truthy : {"1", "t", "T", "true", "TRUE", "True", "yes", "anything"}) {
    EXPECT_TRUE(IsHeaderTrue(truthy)) << truthy;
  }
}

TEST(ParseTraceCountTest, R7_AbsentEmptyOrInvalidIsNotFound) {
  EXPECT_FALSE(ParseTraceCount("").has_value());
  EXPECT_FALSE(ParseTraceCount("qwe").has_value());
  EXPECT_FALSE(ParseTraceCount("-3").has_value());
  EXPECT_EQ(ParseTraceCount("123"), 123);
}

TEST(ReadTracerInfoTest, R12_ClientComputedFlags) {
  EXPECT_TRUE(InfoFrom({{"Datadog-Client-Computed-Stats", "yes"}}).client_computed_stats);
  EXPECT_FALSE(InfoFrom({}).client_computed_stats);
  EXPECT_TRUE(InfoFrom({{"Datadog-Client-Computed-Top-Level", "t"}}).client_computed_top_level);
  EXPECT_FALSE(InfoFrom({}).client_computed_top_level);
}

TEST(ReadTracerInfoTest, R13_DroppedP0Counts) {
  const TracerInfo info = InfoFrom(
      {{"Datadog-Client-Dropped-P0-Traces", "153"}, {"Datadog-Client-Dropped-P0-Spans", "2331"}});
  EXPECT_EQ(info.client_dropped_p0_traces, 153);
  EXPECT_EQ(info.client_dropped_p0_spans, 2331);
  EXPECT_EQ(InfoFrom({{"Datadog-Client-Dropped-P0-Traces", "x"}}).client_dropped_p0_traces, 0);
}

TEST(ReadTracerInfoTest, EntityIdTakesPrecedenceOverContainerId) {
  EXPECT_EQ(
      InfoFrom({{"Datadog-Entity-ID", "ci-abc"}, {"Datadog-Container-ID", "def"}}).container_id,
      "abc");
  EXPECT_EQ(InfoFrom({{"Datadog-Entity-ID", "cid-abc"}}).container_id, "abc");
  // A cgroup inode cannot name a container here: the Container-ID header is used instead.
  EXPECT_EQ(
      InfoFrom({{"Datadog-Entity-ID", "in-1234"}, {"Datadog-Container-ID", "def"}}).container_id,
      "def");
}

TEST(ReadTracerInfoTest, LanguageAndTracerIdentityAsSent) {
  const TracerInfo info = InfoFrom({{"Datadog-Meta-Lang", "nodejs"},
                                    {"Datadog-Meta-Lang-Version", "v20.11.1"},
                                    {"Datadog-Meta-Lang-Interpreter", "v8"},
                                    {"Datadog-Meta-Tracer-Version", "5.6.0"}});
  EXPECT_EQ(info.lang, "nodejs");
  EXPECT_EQ(info.lang_version, "v20.11.1");
  EXPECT_EQ(info.lang_interpreter, "v8");
  EXPECT_EQ(info.tracer_version, "5.6.0");
}

}  // namespace
}  // namespace sidecar::apm
