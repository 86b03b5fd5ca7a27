// Enricher: spec dogstatsd.md §5 and conformance cases §14.E (mapper profiles, E09, here end to
// end; their matching rules in mapper_test.cc), plus the unified-service-tag contract
// (architecture.md, "Contract decisions").
#include "statsd/enricher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/telemetry/registry.h"
#include "statsd/parser.h"
#include "statsd/time_sampler.h"

namespace sidecar::statsd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using RecordPriority = decltype(EventRecord::priority);
using RecordAlertType = decltype(EventRecord::alert_type);

std::vector<std::string> Strings(std::span<const std::string_view> views) {
  return {views.begin(), views.end()};
}

class EnricherTest : public ::testing::Test {
 protected:
  void Make(EnricherConfig config, ParserOptions parser_options = {}) {
    parser_ = std::make_unique<Parser>(parser_options);
    enricher_ = std::make_unique<Enricher>(std::move(config), &origins_, stats_);
  }

  // Parses `line` (kept alive in line_) and enriches it.
  std::span<const EnrichedSample> Enrich(std::string line) {
    line_ = std::move(line);
    result_ = parser_->Parse(line_);
    return enricher_->Enrich(std::get<MetricSample>(result_));
  }

  // Client tags plus added tags, sorted and unique (what the context will carry).
  static std::vector<std::string> AllTags(const EnrichedSample& s) {
    std::vector<std::string> tags = Strings(s.tags);
    tags.insert(tags.end(), s.extra_tags->tags().begin(), s.extra_tags->tags().end());
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    return tags;
  }

  telemetry::Registry registry_;
  StatsdStats stats_{registry_};
  StaticOriginTags origins_;
  std::unique_ptr<Parser> parser_;
  std::unique_ptr<Enricher> enricher_;
  std::string line_;
  ParseResult result_;
};

// E01
TEST_F(EnricherTest, HostTagBecomesHostAndIsRemovedForEveryType) {
  Make({.default_host = "H"});
  for (const std::string type : {"g", "c", "h", "ms", "d"}) {
    const auto samples = Enrich("daemon:666|" + type + "|#protocol:http,host:custom-host,bench");
    ASSERT_EQ(samples.size(), 1u) << type;
    EXPECT_EQ(samples[0].host, "custom-host") << type;
    EXPECT_THAT(Strings(samples[0].tags), ElementsAre("protocol:http", "bench")) << type;
  }
}

// E01: the last host: tag wins.
TEST_F(EnricherTest, LastHostTagWins) {
  Make({.default_host = "H"});
  const auto samples = Enrich("daemon:1|g|#host:a,x,host:b");
  EXPECT_EQ(samples[0].host, "b");
  EXPECT_THAT(Strings(samples[0].tags), ElementsAre("x"));
}

// E02
TEST_F(EnricherTest, EmptyHostTagGivesEmptyHostNotTheDefault) {
  Make({.default_host = "H"});
  const auto samples = Enrich("daemon:666|g|#protocol:http,host:,bench");
  EXPECT_EQ(samples[0].host, "");
  EXPECT_THAT(Strings(samples[0].tags), ElementsAre("protocol:http", "bench"));
}

TEST_F(EnricherTest, DefaultHostWithoutHostTag) {
  Make({.default_host = "H"});
  EXPECT_EQ(Enrich("daemon:1|g|#a")[0].host, "H");
}

// E03
TEST_F(EnricherTest, EntityIdTagIsRemovedAndKeptAsOrigin) {
  Make({.default_host = "H"});
  const auto samples = Enrich(
      "daemon:666|g|#sometag1:somevalue1,host:my-hostname,dd.internal.entity_id:foo,"
      "sometag2:somevalue2");
  EXPECT_EQ(samples[0].host, "my-hostname");
  EXPECT_EQ(samples[0].origin_id, "foo");
  EXPECT_THAT(Strings(samples[0].tags), ElementsAre("sometag1:somevalue1", "sometag2:somevalue2"));
}

TEST_F(EnricherTest, JmxCheckNameTagIsRemoved) {
  Make({});
  EXPECT_THAT(Strings(Enrich("m:1|g|#a,dd.internal.jmx_check_name:kafka")[0].tags),
              ElementsAre("a"));
}

// E04
TEST_F(EnricherTest, NamespaceIsPrefixed) {
  Make({.namespace_prefix = "testNamespace."});
  EXPECT_EQ(Enrich("daemon:21|ms")[0].name, "testNamespace.daemon");
}

// E04: a '.' is appended to the namespace when missing.
TEST_F(EnricherTest, NamespaceGetsATrailingDot) {
  Make({.namespace_prefix = "testNamespace"});
  EXPECT_EQ(Enrich("daemon:21|ms")[0].name, "testNamespace.daemon");
}

// E05
TEST_F(EnricherTest, NamespaceBlocklistPrefixKeepsTheName) {
  Make({.namespace_prefix = "testNamespace.", .namespace_blocklist = {"datadog.agent"}});
  EXPECT_EQ(Enrich("datadog.agent.daemon:21|ms")[0].name, "datadog.agent.daemon");
  EXPECT_EQ(Enrich("other.daemon:21|ms")[0].name, "testNamespace.other.daemon");
}

// E05: the default blocklist is the Agent's StandardStatsdPrefixes.
TEST_F(EnricherTest, DefaultNamespaceBlocklistHasTheAgentPrefixes) {
  Make({.namespace_prefix = "ns"});
  EXPECT_EQ(Enrich("datadog.tracer.x:1|c")[0].name, "datadog.tracer.x");
  EXPECT_EQ(Enrich("jvm.heap:1|g")[0].name, "jvm.heap");
  EXPECT_EQ(Enrich("runtime.x:1|g")[0].name, "runtime.x");
  EXPECT_EQ(Enrich("app.x:1|g")[0].name, "ns.app.x");
}

// E06
TEST_F(EnricherTest, BlocklistedNamesProduceNoSampleAndAreCounted) {
  Make({.name_blocklist = {"custom.metric.a", "custom.metric.b"}});
  EXPECT_THAT(Enrich("custom.metric.a:21|ms"), IsEmpty());
  EXPECT_THAT(Enrich("custom.metric.b:21|g"), IsEmpty());
  EXPECT_EQ(Enrich("custom.metric.c:21|g").size(), 1u);
  EXPECT_EQ(Enrich("custom.metric.ab:21|g").size(), 1u);  // Exact match only.
  EXPECT_EQ(registry_.ValueOf(kSamplesDropped, {{"reason", "filtered"}}), 2);
}

// E06: `statsd_metric_blocklist_match_prefix`, applied after the namespace.
TEST_F(EnricherTest, BlocklistPrefixModeAppliesAfterNamespace) {
  Make({.namespace_prefix = "ns.",
        .name_blocklist = {"ns.custom."},
        .name_blocklist_match_prefix = true});
  EXPECT_THAT(Enrich("custom.a:1|g"), IsEmpty());
  EXPECT_EQ(Enrich("other.a:1|g").size(), 1u);
}

// E07
TEST_F(EnricherTest, DogstatsdTagsAreAddedToEachValue) {
  Make({.dogstatsd_tags = {"sometag3:somevalue3"}});
  const auto samples = Enrich("daemon:666:500|g|#sometag1:somevalue1,sometag2:somevalue2");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].values.size(), 2u);  // Two samples sharing the tags.
  EXPECT_THAT(AllTags(samples[0]),
              ElementsAre("sometag1:somevalue1", "sometag2:somevalue2", "sometag3:somevalue3"));
}

// E08
TEST_F(EnricherTest, HistogramIsCopiedToAPrefixedDistribution) {
  Make({.histogram_copy_to_distribution = true, .histogram_copy_to_distribution_prefix = "dist."});
  const auto samples = Enrich("daemon:666|h|#a:b");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].name, "daemon");
  EXPECT_EQ(samples[0].type, MetricType::kHistogram);
  EXPECT_EQ(samples[1].name, "dist.daemon");
  EXPECT_EQ(samples[1].type, MetricType::kDistribution);
  EXPECT_THAT(Strings(samples[1].tags), ElementsAre("a:b"));
  EXPECT_EQ(Enrich("daemon:666|ms").size(), 2u);  // Timings are histograms.
  EXPECT_EQ(Enrich("daemon:666|g").size(), 1u);
}

TEST_F(EnricherTest, HistogramIsNotCopiedByDefault) {
  Make({});
  EXPECT_EQ(Enrich("daemon:666|h").size(), 1u);
}

// E10
TEST_F(EnricherTest, SidecarModeHasNoHostAndAddsStaticTags) {
  Make({.default_host = "", .static_tags = {"team:a"}});
  const auto samples = Enrich("m:1|g");
  EXPECT_EQ(samples[0].host, "");
  EXPECT_THAT(AllTags(samples[0]), ElementsAre("team:a"));
}

// E11
TEST_F(EnricherTest, CardinalityFieldKeepsTheCardinalityTagInPlace) {
  Make({}, ParserOptions{.origin_detection_client = true});
  const auto samples = Enrich("m:1|g|card:high|#dd.internal.card:low");
  EXPECT_EQ(samples[0].cardinality, "high");
  EXPECT_THAT(Strings(samples[0].tags), ElementsAre("dd.internal.card:low"));
}

// E11, the other half: without a `card:` field the tag is removed and used.
TEST_F(EnricherTest, CardinalityTagIsUsedWithoutAField) {
  Make({}, ParserOptions{.origin_detection_client = true});
  const auto samples = Enrich("m:1|g|#a,dd.internal.card:low");
  EXPECT_EQ(samples[0].cardinality, "low");
  EXPECT_THAT(Strings(samples[0].tags), ElementsAre("a"));
}

TEST_F(EnricherTest, CountsMetricTypes) {
  Make({});
  Enrich("a:1|g");
  Enrich("a:1|c");
  Enrich("a:1|c");
  Enrich("a:1|ms");
  Enrich("a:x|s");
  EXPECT_EQ(registry_.ValueOf(kMetricTypeCount, {{"metric_type", "gauge"}}), 1);
  EXPECT_EQ(registry_.ValueOf(kMetricTypeCount, {{"metric_type", "counter"}}), 2);
  EXPECT_EQ(registry_.ValueOf(kMetricTypeCount, {{"metric_type", "timing"}}), 1);
  EXPECT_EQ(registry_.ValueOf(kMetricTypeCount, {{"metric_type", "set"}}), 1);
}

// ---------------------------------------------------------------------------------------------
// Unified service tags (contract decision).

TEST_F(EnricherTest, ConfigUnifiedServiceTagsAreAddedWhenAbsent) {
  Make({.env = "prod", .service = "checkout", .version = "1.2"});
  EXPECT_THAT(AllTags(Enrich("m:1|g|#a")[0]),
              ElementsAre("a", "env:prod", "service:checkout", "version:1.2"));
}

TEST_F(EnricherTest, ClientEnvWinsAndNeverTwoValues) {
  Make({.dogstatsd_tags = {"env:dsd"},
        .static_tags = {"env:static", "team:a"},
        .env = "prod",
        .service = "checkout"});
  const auto tags = AllTags(Enrich("m:1|g|#env:dev")[0]);
  EXPECT_THAT(tags, ElementsAre("env:dev", "service:checkout", "team:a"));
}

TEST_F(EnricherTest, ConfigEnvBeatsTagListsForTheSameKey) {
  Make({.dogstatsd_tags = {"env:dsd"}, .static_tags = {"env:static"}, .env = "prod"});
  EXPECT_THAT(AllTags(Enrich("m:1|g")[0]), ElementsAre("env:prod"));
}

TEST_F(EnricherTest, DogstatsdTagsBeatStaticTagsForTheSameKey) {
  Make({.dogstatsd_tags = {"version:2"}, .static_tags = {"version:1", "team:a"}});
  EXPECT_THAT(AllTags(Enrich("m:1|g")[0]), ElementsAre("team:a", "version:2"));
}

TEST_F(EnricherTest, OriginTagsBeatConfigForTheSameKey) {
  origins_.SetTaskTags({"task_arn:arn:1", "service:from-task"});
  Make({.service = "from-config"});
  EXPECT_THAT(AllTags(Enrich("m:1|g")[0]), ElementsAre("service:from-task", "task_arn:arn:1"));
}

TEST_F(EnricherTest, ClientServiceAndVersionWinIndependently) {
  Make({.env = "prod", .service = "checkout", .version = "1.2"});
  EXPECT_THAT(AllTags(Enrich("m:1|g|#service:mine")[0]),
              ElementsAre("env:prod", "service:mine", "version:1.2"));
  EXPECT_THAT(AllTags(Enrich("m:1|g|#version:9,env:x")[0]),
              ElementsAre("env:x", "service:checkout", "version:9"));
}

TEST_F(EnricherTest, EnvPrefixWithoutColonIsNotTheEnvKey) {
  Make({.env = "prod"});
  EXPECT_THAT(AllTags(Enrich("m:1|g|#environment:x,env")[0]),
              ElementsAre("env", "env:prod", "environment:x"));
}

// ---------------------------------------------------------------------------------------------
// Origin tags.

TEST_F(EnricherTest, ContainerTagsComeFromTheContainerIdField) {
  origins_.SetTaskTags({"task_arn:t"});
  origins_.SetContainerTags("ci-abc", {"task_arn:t", "container_name:app"});
  Make({}, ParserOptions{.origin_detection_client = true});
  EXPECT_THAT(AllTags(Enrich("m:1|g|c:ci-abc")[0]),
              ElementsAre("container_name:app", "task_arn:t"));
  EXPECT_THAT(AllTags(Enrich("m:1|g|c:ci-other")[0]), ElementsAre("task_arn:t"));
  EXPECT_THAT(AllTags(Enrich("m:1|g")[0]), ElementsAre("task_arn:t"));
}

TEST_F(EnricherTest, RefreshOriginsPicksUpNewTags) {
  origins_.SetTaskTags({"task_arn:old"});
  Make({});
  EXPECT_THAT(AllTags(Enrich("m:1|g")[0]), ElementsAre("task_arn:old"));
  origins_.SetTaskTags({"task_arn:new"});
  EXPECT_THAT(AllTags(Enrich("m:1|g")[0]), ElementsAre("task_arn:old"));  // Cached.
  enricher_->RefreshOrigins();
  EXPECT_THAT(AllTags(Enrich("m:1|g")[0]), ElementsAre("task_arn:new"));
}

// Tag sections seen before are served from a cache: a hit must give exactly what a fresh
// Enricher (always a miss) gives, with views into the current line, and a tag key equal to the
// resolver's own computation.
TEST_F(EnricherTest, RepeatedTagSectionsEnrichLikeTheFirstTime) {
  origins_.SetTaskTags({"task_arn:t", "env:task"});
  origins_.SetContainerTags("ci-abc", {"task_arn:t", "container_name:app"});
  const EnricherConfig config{.default_host = "H", .dogstatsd_tags = {"d:1", "shared"}};
  const ParserOptions parser_options{.origin_detection_client = true};
  const std::vector<std::string> lines = {
      "a:1|g|#x,y,z",
      "b:2|c|#x,y,z",  // Same section, other name.
      "a:1|g|#z,y,x",  // Same set, other order: a different section.
      "a:1|g|#x,y,z|c:ci-abc",
      "a:1|g|#x,y,z|c:ci-other",
      "a:1|g|#host:h1,x,dd.internal.entity_id:e1,service:s",
      "a:1|g|#host:,x",
      "a:1|g|#dd.internal.card:high,x",
      "a:1|g|#dd.internal.card:high,x|card:low",
      "a:1|g|#env:client,shared,x,x",
      "a:1|g|#",
      "a:1|g",
      "a:1|g|#,,",
      "a:1|s|#x,y,z",
  };
  struct Seen {
    std::string name, host, origin_id, cardinality, container_id;
    std::vector<std::string> tags, extra;
  };
  const auto seen = [](const EnrichedSample& s) {
    return Seen{std::string(s.name),        std::string(s.host),         std::string(s.origin_id),
                std::string(s.cardinality), std::string(s.container_id), Strings(s.tags),
                s.extra_tags->tags()};
  };
  Make(config, parser_options);
  std::vector<uint64_t> scratch;
  for (int pass = 0; pass < 3; ++pass) {
    for (const std::string& line : lines) {
      Enricher fresh(config, &origins_, stats_);
      const Parser parser(parser_options);
      const std::string fresh_line = line;
      const ParseResult fresh_result = parser.Parse(fresh_line);
      const auto expected = fresh.Enrich(std::get<MetricSample>(fresh_result));
      ASSERT_EQ(expected.size(), 1u) << line;
      const Seen want = seen(expected[0]);

      const auto got = Enrich(line);  // A new copy of the line each time.
      ASSERT_EQ(got.size(), 1u) << line;
      const Seen have = seen(got[0]);
      EXPECT_EQ(have.name, want.name) << line;
      EXPECT_EQ(have.host, want.host) << line;
      EXPECT_EQ(have.origin_id, want.origin_id) << line;
      EXPECT_EQ(have.cardinality, want.cardinality) << line;
      EXPECT_EQ(have.container_id, want.container_id) << line;
      EXPECT_EQ(have.tags, want.tags) << line;
      EXPECT_EQ(have.extra, want.extra) << line;
      for (const std::string_view tag : got[0].tags) {
        EXPECT_TRUE(tag.data() >= line_.data() &&
                    tag.data() + tag.size() <= line_.data() + line_.size())
            << line << ": tag views must point into the current line";
      }
      ASSERT_NE(got[0].tag_key, nullptr) << line;
      const TagSetKey key = ComputeTagSetKey(got[0].tags, *got[0].extra_tags, scratch);
      EXPECT_EQ(got[0].tag_key->sum, key.sum) << line;
      EXPECT_EQ(got[0].tag_key->check, key.check) << line;
      EXPECT_EQ(got[0].tag_key->count, key.count) << line;
    }
  }
}

TEST_F(EnricherTest, LongTagSectionsBypassTheTagSectionCache) {
  Make({});
  const auto samples = Enrich("m:1|g|#" + std::string(600, 'x'));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].tag_key, nullptr);  // The resolver computes it.
  EXPECT_THAT(Strings(samples[0].tags), ElementsAre(std::string(600, 'x')));
}

TEST_F(EnricherTest, NullOriginTagsMeansNone) {
  Enricher enricher({.static_tags = {"a"}}, nullptr, stats_);
  const Parser parser{ParserOptions{}};
  const std::string line = "m:1|g|#b";
  const ParseResult result = parser.Parse(line);
  const auto samples = enricher.Enrich(std::get<MetricSample>(result));
  EXPECT_THAT(samples[0].extra_tags->tags(), ElementsAre("a"));
}

// ---------------------------------------------------------------------------------------------
// Events and service checks (§7.6).

class EnricherRecordTest : public EnricherTest {
 protected:
  EventRecord EnrichEvent(std::string line) {
    line_ = std::move(line);
    result_ = parser_->Parse(line_);
    return enricher_->EnrichEvent(std::get<Event>(result_));
  }
  ServiceCheckRecord EnrichCheck(std::string line) {
    line_ = std::move(line);
    result_ = parser_->Parse(line_);
    return enricher_->EnrichServiceCheck(std::get<ServiceCheck>(result_));
  }
};

TEST_F(EnricherRecordTest, EventTagsAreEnrichedSortedAndUnique) {
  origins_.SetTaskTags({"task_arn:t"});
  Make({.default_host = "", .static_tags = {"team:a"}, .env = "prod"});
  const EventRecord event =
      EnrichEvent("_e{5,12}:title|line1\\nline2|p:low|t:error|k:agg|s:src|#z,team:a,a,z,host:h1");
  EXPECT_EQ(event.title, "title");
  EXPECT_EQ(event.text, "line1\nline2");
  EXPECT_EQ(event.host, "h1");
  EXPECT_EQ(event.timestamp, 0);  // The sampler sets now.
  EXPECT_EQ(event.priority, RecordPriority::kLow);
  EXPECT_EQ(event.alert_type, RecordAlertType::kError);
  EXPECT_EQ(event.aggregation_key, "agg");
  EXPECT_EQ(event.source_type_name, "src");
  EXPECT_THAT(event.tags, ElementsAre("a", "env:prod", "task_arn:t", "team:a", "z"));
}

TEST_F(EnricherRecordTest, EventHostFieldBeatsHostTag) {
  Make({.default_host = "H"});
  EXPECT_EQ(EnrichEvent("_e{1,1}:a|b|h:field|#host:tag").host, "field");
  EXPECT_EQ(EnrichEvent("_e{1,1}:a|b").host, "H");
}

TEST_F(EnricherRecordTest, EventDefaultsAreNormalAndInfo) {
  Make({});
  const EventRecord event = EnrichEvent("_e{1,1}:a|b|d:1700000000");
  EXPECT_EQ(event.priority, RecordPriority::kNormal);
  EXPECT_EQ(event.alert_type, RecordAlertType::kInfo);
  EXPECT_EQ(event.timestamp, 1700000000);
}

TEST_F(EnricherRecordTest, EventClientEnvWins) {
  Make({.env = "prod"});
  EXPECT_THAT(EnrichEvent("_e{1,1}:a|b|#env:dev").tags, ElementsAre("env:dev"));
}

TEST_F(EnricherRecordTest, ServiceCheckIsEnriched) {
  Make({.default_host = "", .dogstatsd_tags = {"dsd:1"}, .service = "svc"});
  const ServiceCheckRecord check =
      EnrichCheck("_sc|checkout.can_connect|2|d:1735689600|h:ip-10|#b,a,b|m:db down");
  EXPECT_EQ(check.name, "checkout.can_connect");
  EXPECT_EQ(check.status, 2);
  EXPECT_EQ(check.timestamp, 1735689600);
  EXPECT_EQ(check.host, "ip-10");
  EXPECT_EQ(check.message, "db down");
  EXPECT_THAT(check.tags, ElementsAre("a", "b", "dsd:1", "service:svc"));
}

TEST_F(EnricherRecordTest, ServiceCheckHostTagIsUsedWithoutField) {
  Make({.default_host = "H"});
  const ServiceCheckRecord check = EnrichCheck("_sc|x|0|#host:tagged,a");
  EXPECT_EQ(check.host, "tagged");
  EXPECT_THAT(check.tags, ElementsAre("a"));
}

// ---------------------------------------------------------------------------------------------
// Mapper profiles (E09)

std::shared_ptr<const MapperProfiles> JobProfiles() {
  auto profiles = MapperProfiles::FromJson(R"([{"name": "test", "prefix": "test.",
      "mappings": [{"match": "test.job.duration.*.*", "name": "test.job.duration",
                    "tags": {"job_type": "$1", "job_name": "$2"}},
                   {"match": "test.job.host.*", "name": "test.job.host",
                    "tags": {"host": "$1"}}]}])");
  EXPECT_TRUE(profiles.ok());
  return *profiles;
}

// E09
TEST_F(EnricherTest, E09MapperRewritesTheNameAndAppendsCapturedTags) {
  Make({.mapper_profiles = JobProfiles()});
  const auto samples = Enrich("test.job.duration.my_job_type.my_job_name:666|g|#some:tag");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].name, "test.job.duration");
  EXPECT_THAT(Strings(samples[0].tags),
              ElementsAre("some:tag", "job_type:my_job_type", "job_name:my_job_name"));
  EXPECT_EQ(samples[0].values.front(), 666);
}

// E09: unmatched names pass through untouched.
TEST_F(EnricherTest, MapperLeavesUnmatchedNamesAlone) {
  Make({.mapper_profiles = JobProfiles()});
  const auto outside = Enrich("other.metric:1|g|#a");
  EXPECT_EQ(outside[0].name, "other.metric");
  EXPECT_THAT(Strings(outside[0].tags), ElementsAre("a"));
  const auto under_prefix = Enrich("test.job.duration.only_one:1|g");
  EXPECT_EQ(under_prefix[0].name, "test.job.duration.only_one");
  EXPECT_THAT(Strings(under_prefix[0].tags), IsEmpty());
}

// E09 + E04: the Agent maps first and namespaces the mapped name.
TEST_F(EnricherTest, MapperRunsBeforeNamespaceAndBlocklist) {
  Make({.namespace_prefix = "ns",
        .name_blocklist = {"ns.test.job.duration"},
        .mapper_profiles = JobProfiles()});
  EXPECT_TRUE(Enrich("test.job.duration.a.b:1|g").empty());  // Blocked by its mapped name.
  EXPECT_EQ(Enrich("test.job.host.x:1|g")[0].name, "ns.test.job.host");
}

// E09 + E01: mapper tags go through the same extraction as the client's (host: becomes host).
TEST_F(EnricherTest, MappedHostTagBecomesTheHost) {
  Make({.default_host = "H", .mapper_profiles = JobProfiles()});
  const auto samples = Enrich("test.job.host.web-1:1|g|#host:client");
  EXPECT_EQ(samples[0].host, "web-1");  // Appended after the client's tags: the last one wins.
  EXPECT_THAT(Strings(samples[0].tags), IsEmpty());
}

TEST_F(EnricherTest, MapperDoesNotApplyToEventsOrServiceChecks) {
  Make({.mapper_profiles = JobProfiles()});
  line_ = "_sc|test.job.duration.a.b|0";
  result_ = parser_->Parse(line_);
  EXPECT_EQ(enricher_->EnrichServiceCheck(std::get<ServiceCheck>(result_)).name,
            "test.job.duration.a.b");
}

}  // namespace
}  // namespace sidecar::statsd
