// Mapper profiles: spec dogstatsd.md §5 ("Mapper") and case E09; semantics checked against the
// Agent's comp/dogstatsd/mapper (mapper.go, mapper_test.go TestMappings/TestMappingErrors).
#include "statsd/mapper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

namespace sidecar::statsd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::shared_ptr<const MapperProfiles> Profiles(std::string_view json) {
  auto profiles = MapperProfiles::FromJson(json);
  EXPECT_TRUE(profiles.ok()) << profiles.status().ToString();
  return profiles.ok() ? *profiles : nullptr;
}

std::string ErrorOf(std::string_view json) {
  auto profiles = MapperProfiles::FromJson(json);
  EXPECT_FALSE(profiles.ok());
  return profiles.ok() ? std::string() : std::string(profiles.status().message());
}

constexpr std::string_view kJobProfile = R"js([{
  "name": "test", "prefix": "test.job.",
  "mappings": [
    {"match": "test.job.duration.*.*", "name": "test.job.duration",
     "tags": {"job_type": "$1", "job_name": "$2"}},
    {"match_type": "regex", "match": "test\\.job\\.size\\.(.*)", "name": "test.job.size",
     "tags": {"job": "$1"}}
  ]}])js";

// E09: the Agent's TestMappingCases example.
TEST(MapperTest, E09WildcardCapturesBecomeTags) {
  Mapper mapper(Profiles(kJobProfile));
  const MapResult* result = mapper.Map("test.job.duration.my_job_type.my_job_name");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->name, "test.job.duration");
  EXPECT_THAT(result->tags, ElementsAre("job_type:my_job_type", "job_name:my_job_name"));
}

TEST(MapperTest, WildcardStarMatchesExactlyOneDotFreeSegment) {
  Mapper mapper(Profiles(kJobProfile));
  EXPECT_EQ(mapper.Map("test.job.duration.a.b.c"), nullptr);  // Three segments for two stars.
  EXPECT_EQ(mapper.Map("test.job.duration.a"), nullptr);
  const MapResult* empty_segment = mapper.Map("test.job.duration..b");
  ASSERT_NE(empty_segment, nullptr);  // `*` is ([^.]*): an empty segment matches.
  EXPECT_THAT(empty_segment->tags, ElementsAre("job_type:", "job_name:b"));
  // The `.` of a wildcard pattern is literal, not "any character".
  EXPECT_EQ(mapper.Map("test.job.durationXa.b"), nullptr);
}

TEST(MapperTest, RegexMatchesTheWholeNameAndMayCrossDots) {
  Mapper mapper(Profiles(kJobProfile));
  const MapResult* result = mapper.Map("test.job.size.my.funky.job$name-abc/123");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->name, "test.job.size");
  EXPECT_THAT(result->tags, ElementsAre("job:my.funky.job$name-abc/123"));
  // Anchored at both ends: a pattern that matches only a substring does not map.
  Mapper partial(Profiles(R"js([{"name": "p", "prefix": "a.",
      "mappings": [{"match_type": "regex", "match": "b\\.(c)", "name": "x"}]}])js"));
  EXPECT_EQ(partial.Map("a.b.c"), nullptr);
}

TEST(MapperTest, ExpandsNameAndBracedNamedAndEscapedReferencesLikeGo) {
  Mapper mapper(Profiles(R"js([{"name": "p", "prefix": "test.", "mappings": [
      {"match": "test.job.duration.*.*", "name": "test.hello.$2.$1",
       "tags": {"braced": "${1}_x", "greedy": "$1_x", "dollar": "$$1", "missing": "$9",
                "malformed": "${1", "static": "value"}},
      {"match_type": "regex", "match": "test\\.(?P<region>[^.]+)\\.(?P<code>\\d+)",
       "name": "test.latency", "tags": {"region": "${region}", "code": "$code"}}]}])js"));
  const MapResult* wildcard = mapper.Map("test.job.duration.my_job_type.my_job_name");
  ASSERT_NE(wildcard, nullptr);
  EXPECT_EQ(wildcard->name, "test.hello.my_job_name.my_job_type");
  // `$1_x` names group "1_x" (Go takes the longest name), which does not exist: empty.
  EXPECT_THAT(wildcard->tags, ElementsAre("braced:my_job_type_x", "greedy:", "dollar:$1",
                                          "missing:", "malformed:${1", "static:value"));
  const MapResult* named = mapper.Map("test.eu-west-1.200");
  ASSERT_NE(named, nullptr);
  EXPECT_THAT(named->tags, ElementsAre("region:eu-west-1", "code:200"));
}

TEST(MapperTest, OnlyTheFirstProfileWhosePrefixMatchesIsTried) {
  // The Agent's "Multiple profiles order" and "Profile and prefix" cases.
  Mapper mapper(Profiles(R"js([
    {"name": "foo", "prefix": "foo.", "mappings": [
      {"match": "foo.*.duration.*", "name": "foo.bar1.duration", "tags": {"bar": "$1"}}]},
    {"name": "foobar", "prefix": "foo.bar.", "mappings": [
      {"match": "foo.bar.duration.*", "name": "foo.bar2.duration"},
      {"match": "foo.bar.other", "name": "never"}]},
    {"name": "any", "prefix": "*", "mappings": [{"match": "z.*", "name": "z"}]}])js"));
  const MapResult* first = mapper.Map("foo.bar.duration.x");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->name, "foo.bar1.duration");
  // Under profile "foo" but matched by none of its mappings: later profiles are not consulted.
  EXPECT_EQ(mapper.Map("foo.bar.other"), nullptr);
  // Prefix "*" applies to every name.
  const MapResult* any = mapper.Map("z.anything");
  ASSERT_NE(any, nullptr);
  EXPECT_EQ(any->name, "z");
  EXPECT_THAT(any->tags, IsEmpty());
}

TEST(MapperTest, NamesOutsideEveryPrefixAreNeitherMappedNorCached) {
  Mapper mapper(Profiles(kJobProfile));
  EXPECT_EQ(mapper.Map("other.metric"), nullptr);
  EXPECT_EQ(mapper.Map("other.metric"), nullptr);
  EXPECT_EQ(mapper.cached(), 0u);
  EXPECT_EQ(mapper.cache_hits(), 0u);
}

TEST(MapperTest, CachesMatchesAndMissesUnderAPrefix) {
  Mapper mapper(Profiles(kJobProfile));
  const MapResult* first = mapper.Map("test.job.duration.a.b");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(mapper.Map("test.job.nothing"), nullptr);  // A miss under the prefix is remembered.
  EXPECT_EQ(mapper.cached(), 2u);
  const MapResult* again = mapper.Map("test.job.duration.a.b");
  EXPECT_EQ(again, first);  // The cached result itself.
  EXPECT_EQ(mapper.Map("test.job.nothing"), nullptr);
  EXPECT_EQ(mapper.cache_hits(), 2u);
}

TEST(MapperTest, CacheEvictsTheLeastRecentlyUsedName) {
  Mapper mapper(Profiles(kJobProfile), /*cache_size=*/2);
  mapper.Map("test.job.duration.a.a");
  mapper.Map("test.job.duration.b.b");
  mapper.Map("test.job.duration.a.a");  // Hit: a is now the most recent.
  mapper.Map("test.job.duration.c.c");  // Evicts b.
  EXPECT_EQ(mapper.cached(), 2u);
  EXPECT_EQ(mapper.cache_hits(), 1u);
  mapper.Map("test.job.duration.a.a");
  EXPECT_EQ(mapper.cache_hits(), 2u);
  const MapResult* b = mapper.Map("test.job.duration.b.b");  // Recomputed, still correct.
  EXPECT_EQ(mapper.cache_hits(), 2u);
  ASSERT_NE(b, nullptr);
  EXPECT_THAT(b->tags, ElementsAre("job_type:b", "job_name:b"));
}

TEST(MapperTest, NoProfilesMapNothing) {
  Mapper mapper(nullptr);
  EXPECT_EQ(mapper.Map("test.job.duration.a.b"), nullptr);
  Mapper empty(Profiles("[]"));
  EXPECT_EQ(empty.Map("test.job.duration.a.b"), nullptr);
}

TEST(MapperTest, ParsesTheDocumentedJsonShape) {
  auto configs = ParseMapperProfilesJson(kJobProfile);
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  ASSERT_EQ(configs->size(), 1u);
  const MapperProfileConfig& profile = (*configs)[0];
  EXPECT_EQ(profile.name, "test");
  EXPECT_EQ(profile.prefix, "test.job.");
  ASSERT_EQ(profile.mappings.size(), 2u);
  EXPECT_EQ(profile.mappings[0].match_type, "");
  EXPECT_EQ(profile.mappings[1].match_type, "regex");
  // Tags keep their configured order.
  EXPECT_EQ(profile.mappings[0].tags[0].first, "job_type");
  EXPECT_EQ(profile.mappings[0].tags[1].first, "job_name");
}

TEST(MapperTest, RejectsInvalidJsonAndShapes) {
  EXPECT_THAT(ErrorOf("[{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ErrorOf(R"js({"name": "x"})js"), HasSubstr("JSON array"));
  EXPECT_THAT(ErrorOf(R"js([{"name": 1, "prefix": "a."}])js"),
              HasSubstr("\"name\" must be a string"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "p", "prefix": "a.", "mappings": {}}])js"),
              HasSubstr("\"mappings\" must be an array"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "p", "prefix": "a.", "mappings": [
                {"match": "a.*", "name": "a", "tags": {"k": 1}}]}])js"),
              HasSubstr("tag \"k\" must be a string"));
}

TEST(MapperTest, RejectsWhatTheAgentRejects) {
  EXPECT_THAT(ErrorOf(R"js([{"prefix": "test."}])js"), HasSubstr("missing profile name 0"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "test"}])js"), HasSubstr("missing prefix for profile: test"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "test", "prefix": "test.", "mappings": [
                {"match": "test.*", "match_type": "glob", "name": "x"}]}])js"),
              HasSubstr("invalid match type"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "test", "prefix": "test.", "mappings": [
                {"match": "test.*"}]}])js"),
              HasSubstr("name is required"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "test", "prefix": "test.", "mappings": [
                {"name": "x"}]}])js"),
              HasSubstr("match is required"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "test", "prefix": "test.", "mappings": [
                {"match": "test.[]duration.*", "name": "x"}]}])js"),
              HasSubstr("does not match allowed match regex"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "test", "prefix": "test.", "mappings": [
                {"match": "^test.duration.*", "name": "x"}]}])js"),
              HasSubstr("does not match allowed match regex"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "test", "prefix": "test.", "mappings": [
                {"match": "test.duration.**", "name": "x"}]}])js"),
              HasSubstr("consecutive `*`"));
  EXPECT_THAT(ErrorOf(R"js([{"name": "test", "prefix": "test.", "mappings": [
                {"match": "test\\.(unclosed", "match_type": "regex", "name": "x"}]}])js"),
              HasSubstr("cannot compile regex"));
}

}  // namespace
}  // namespace sidecar::statsd
