// The stats concentrator (apm.md §6): eligibility, bucketing and flush timing, weights, grouping
// keys and the group cap. Conformance cases ST1, ST2, ST3 of apm.md §11.
#include "apm/concentrator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "apm/stats_sketch.h"
#include "proto/ddsketch.pb.h"
#include "tests/testing/manual_clock.h"

namespace sidecar::apm {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// 1700000000 s is a multiple of 10 s: call it 12:00:00.
constexpr int64_t kBase = int64_t{1700000000} * 1000000000;
constexpr int64_t kSecond = 1000000000;

class ConcentratorTest : public ::testing::Test {
 protected:
  ConcentratorTest() { SetNow(kBase + 18 * kSecond); }

  void SetNow(int64_t ns) {
    clock_.SetSystemNow(std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(nanoseconds(ns))));
  }

  static ConcentratorConfig Config() {
    ConcentratorConfig config;
    config.agent_hostname = "";  // Fargate
    config.agent_env = "none";
    config.agent_version = "7.70.0";
    return config;
  }

  // A span ending at `end_ns`, lasting `duration_ns`.
  static Span* AddSpan(TraceChunk& chunk, uint64_t span_id, uint64_t parent_id, int64_t end_ns,
                       int64_t duration_ns = 50 * 1000000) {
    Span* span = chunk.add_spans();
    span->set_service("web");
    span->set_name("http.request");
    span->set_resource("GET /users");
    span->set_type("web");
    span->set_traceid(7);
    span->set_spanid(span_id);
    span->set_parentid(parent_id);
    span->set_start(end_ns - duration_ns);
    span->set_duration(duration_ns);
    return span;
  }

  static StatsInput Input(const TraceChunk& chunk) {
    StatsInput input;
    input.chunk = &chunk;
    input.root_index = 0;
    input.env = "prod";
    input.version = "1.2";
    input.container_id = "abc-123";
    return input;
  }

  testing::ManualClock clock_;
};

// ST1: a span ending at 12:00:17.3 goes to the bucket starting 12:00:10 and is flushed at the
// first flush at or after 12:00:30, not before.
TEST_F(ConcentratorTest, St1BucketAlignmentAndFlushTiming) {
  Concentrator concentrator(Config(), clock_);
  TraceChunk chunk;
  Span* root = AddSpan(chunk, 1, 0, kBase + 17 * kSecond + 300 * 1000000);
  (*root->mutable_metrics())["_top_level"] = 1;
  (*root->mutable_meta())["http.status_code"] = "200";
  concentrator.Add(Input(chunk));

  SetNow(kBase + 20 * kSecond);
  EXPECT_FALSE(concentrator.Flush(false).has_value());
  SetNow(kBase + 30 * kSecond - 1);
  EXPECT_FALSE(concentrator.Flush(false).has_value());
  SetNow(kBase + 30 * kSecond);
  auto payload = concentrator.Flush(false);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(payload->agent_hostname, "");
  EXPECT_EQ(payload->agent_env, "none");
  EXPECT_EQ(payload->agent_version, "7.70.0");
  EXPECT_FALSE(payload->client_computed);
  ASSERT_EQ(payload->stats.size(), 1u);
  const ClientStatsPayload& client = payload->stats[0];
  EXPECT_EQ(client.env, "prod");
  EXPECT_EQ(client.hostname, "");
  EXPECT_EQ(client.version, "1.2");
  EXPECT_EQ(client.container_id, "abc-123");
  ASSERT_EQ(client.stats.size(), 1u);
  EXPECT_EQ(client.stats[0].start, static_cast<uint64_t>(kBase + 10 * kSecond));
  EXPECT_EQ(client.stats[0].duration, static_cast<uint64_t>(10 * kSecond));
  ASSERT_EQ(client.stats[0].stats.size(), 1u);
  const ClientGroupedStats& group = client.stats[0].stats[0];
  EXPECT_EQ(group.service, "web");
  EXPECT_EQ(group.name, "http.request");
  EXPECT_EQ(group.resource, "GET /users");
  EXPECT_EQ(group.type, "web");
  EXPECT_EQ(group.http_status_code, 200u);
  EXPECT_EQ(group.hits, 1u);
  EXPECT_EQ(group.top_level_hits, 1u);
  EXPECT_EQ(group.errors, 0u);
  EXPECT_EQ(group.duration, 50u * 1000000);
  EXPECT_EQ(group.is_trace_root, TraceRootFlag::kTrue);
  datadog::sketches::DDSketch ok;
  ASSERT_TRUE(ok.ParseFromString(group.ok_summary));
  EXPECT_EQ(ok.positivevalues().contiguousbincounts_size(), 1);
  EXPECT_EQ(ok.positivevalues().contiguousbinindexoffset(),
            StatsSketch::Index(TruncateDurationForSketch(50 * 1000000)));
  datadog::sketches::DDSketch error;
  ASSERT_TRUE(error.ParseFromString(group.error_summary));
  EXPECT_EQ(error.positivevalues().contiguousbincounts_size(), 0);

  // The bucket is gone; a second flush has nothing.
  EXPECT_FALSE(concentrator.Flush(false).has_value());
  EXPECT_EQ(concentrator.OpenBuckets(), 0u);
}

// ST2: weight 1/_sample_rate of the root applies to hits, top-level hits, errors and duration.
TEST_F(ConcentratorTest, St2WeightFromRootSampleRate) {
  Concentrator concentrator(Config(), clock_);
  TraceChunk chunk;
  Span* root = AddSpan(chunk, 1, 0, kBase + 15 * kSecond, 1000);
  (*root->mutable_metrics())["_top_level"] = 1;
  (*root->mutable_metrics())["_sample_rate"] = 0.25;
  root->set_error(1);
  concentrator.Add(Input(chunk));
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  const ClientGroupedStats& group = payload->stats[0].stats[0].stats[0];
  EXPECT_EQ(group.hits, 4u);
  EXPECT_EQ(group.top_level_hits, 4u);
  EXPECT_EQ(group.errors, 4u);
  EXPECT_EQ(group.duration, 4000u);
  // The sketch counts the span once: it describes latency, not volume.
  datadog::sketches::DDSketch error;
  ASSERT_TRUE(error.ParseFromString(group.error_summary));
  ASSERT_EQ(error.positivevalues().contiguousbincounts_size(), 1);
  EXPECT_EQ(error.positivevalues().contiguousbincounts(0), 1);
}

TEST_F(ConcentratorTest, SampleRateOutsideUnitIntervalWeighsOne) {
  Concentrator concentrator(Config(), clock_);
  TraceChunk chunk;
  Span* root = AddSpan(chunk, 1, 0, kBase + 15 * kSecond);
  (*root->mutable_metrics())["_top_level"] = 1;
  (*root->mutable_metrics())["_sample_rate"] = 0;
  concentrator.Add(Input(chunk));
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(payload->stats[0].stats[0].stats[0].hits, 1u);
}

// ST3: a partial snapshot is not counted; a non-top-level client span is (by span.kind), with its
// peer tags.
TEST_F(ConcentratorTest, St3PartialVersionExcludedClientKindCountedWithPeerTags) {
  Concentrator concentrator(Config(), clock_);
  TraceChunk chunk;
  Span* root = AddSpan(chunk, 1, 0, kBase + 15 * kSecond);
  (*root->mutable_metrics())["_top_level"] = 1;
  (*root->mutable_metrics())["_dd.partial_version"] = 0;
  Span* client = AddSpan(chunk, 2, 1, kBase + 15 * kSecond);
  client->set_name("postgres.query");
  client->set_resource("SELECT ?");
  (*client->mutable_meta())["span.kind"] = "client";
  (*client->mutable_meta())["db.name"] = "x";
  (*client->mutable_meta())["peer.service"] = "users-db";
  (*client->mutable_meta())["not.a.peer.tag"] = "y";
  Span* internal = AddSpan(chunk, 3, 1, kBase + 15 * kSecond);  // Not eligible.
  internal->set_name("internal.work");
  concentrator.Add(Input(chunk));

  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  const auto& groups = payload->stats[0].stats[0].stats;
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].name, "postgres.query");
  EXPECT_EQ(groups[0].span_kind, "client");
  EXPECT_EQ(groups[0].hits, 1u);
  EXPECT_EQ(groups[0].top_level_hits, 0u);
  EXPECT_EQ(groups[0].is_trace_root, TraceRootFlag::kFalse);
  EXPECT_EQ(groups[0].peer_tags, (std::vector<std::string>{"db.name:x", "peer.service:users-db"}));
  EXPECT_EQ(concentrator.GetCounters().spans_counted, 1u);
}

TEST_F(ConcentratorTest, SpanKindEligibilityCanBeTurnedOff) {
  ConcentratorConfig config = Config();
  config.compute_stats_by_span_kind = false;
  Concentrator concentrator(config, clock_);
  TraceChunk chunk;
  AddSpan(chunk, 1, 0, kBase + 15 * kSecond);
  Span* client = AddSpan(chunk, 2, 1, kBase + 15 * kSecond);
  (*client->mutable_meta())["span.kind"] = "client";
  Span* measured = AddSpan(chunk, 3, 1, kBase + 15 * kSecond);
  measured->set_name("measured.op");
  (*measured->mutable_metrics())["_dd.measured"] = 1;
  concentrator.Add(Input(chunk));
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  const auto& groups = payload->stats[0].stats[0].stats;
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].name, "measured.op");
}

TEST_F(ConcentratorTest, InternalSpanWithBaseServiceGetsOnlyThatPeerTag) {
  Concentrator concentrator(Config(), clock_);
  TraceChunk chunk;
  Span* span = AddSpan(chunk, 1, 0, kBase + 15 * kSecond);
  (*span->mutable_metrics())["_dd.top_level"] = 1;  // Tracer-computed top level counts too.
  (*span->mutable_meta())["_dd.base_service"] = "orig";
  (*span->mutable_meta())["db.name"] = "x";
  concentrator.Add(Input(chunk));
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(payload->stats[0].stats[0].stats[0].peer_tags,
            (std::vector<std::string>{"_dd.base_service:orig"}));
}

// The bucket key's status codes read every spelling the Agent reads: the first non-empty gRPC meta
// key in the Agent's order, else a gRPC metric; the http.status_code metric over the meta string.
TEST_F(ConcentratorTest, StatusCodesComeFromTheKeysTheAgentReadsInItsOrder) {
  Concentrator concentrator(Config(), clock_);
  TraceChunk chunk;
  Span* meta_order = AddSpan(chunk, 1, 0, kBase + 15 * kSecond);
  meta_order->set_resource("meta order");
  (*meta_order->mutable_metrics())["_dd.measured"] = 1;
  (*meta_order->mutable_meta())["grpc.status.code"] = "5";
  (*meta_order->mutable_meta())["rpc.grpc.status_code"] = "14";  // First in the Agent's order.
  (*meta_order->mutable_meta())["http.status_code"] = "404";
  (*meta_order->mutable_metrics())["http.status_code"] = 201;  // The metric wins.
  Span* metric_only = AddSpan(chunk, 2, 0, kBase + 15 * kSecond);
  metric_only->set_resource("metric only");
  (*metric_only->mutable_metrics())["_dd.measured"] = 1;
  (*metric_only->mutable_metrics())["grpc.code"] = -1;  // Out of range: the next key is read.
  (*metric_only->mutable_metrics())["rpc.grpc.status.code"] = 7;
  (*metric_only->mutable_meta())["http.status_code"] = "503";
  Span* partial = AddSpan(chunk, 3, 0, kBase + 15 * kSecond);
  partial->set_resource("partial");
  (*partial->mutable_metrics())["_dd.measured"] = 1;
  (*partial->mutable_metrics())["_dd.partial_version"] = 0;  // A snapshot: not counted.
  concentrator.Add(Input(chunk));
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  const auto& groups = payload->stats[0].stats[0].stats;
  ASSERT_EQ(groups.size(), 2u);
  for (const auto& group : groups) {
    if (group.resource == "meta order") {
      EXPECT_EQ(group.grpc_status_code, "14");
      EXPECT_EQ(group.http_status_code, 201u);
    } else {
      EXPECT_EQ(group.resource, "metric only");
      EXPECT_EQ(group.grpc_status_code, "7");
      EXPECT_EQ(group.http_status_code, 503u);
    }
  }
}

TEST_F(ConcentratorTest, GroupsByKeyAndSeparatesErrors) {
  Concentrator concentrator(Config(), clock_);
  TraceChunk chunk;
  for (uint64_t id = 1; id <= 3; ++id) {
    Span* span = AddSpan(chunk, id, id == 1 ? 0 : 1, kBase + 15 * kSecond);
    (*span->mutable_metrics())["_dd.measured"] = 1;
    if (id == 3) {
      span->set_resource("GET /other");
      span->set_error(1);
      (*span->mutable_metrics())["http.status_code"] = 500;
      (*span->mutable_meta())["grpc.code"] = "StatusCode.NOT_FOUND";
    }
  }
  chunk.set_origin("synthetics-browser");
  concentrator.Add(Input(chunk));
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  const auto& groups = payload->stats[0].stats[0].stats;
  ASSERT_EQ(groups.size(), 3u);  // root / child differ by IsTraceRoot; /other differs by resource
  for (const auto& group : groups) {
    EXPECT_TRUE(group.synthetics);
  }
  const ClientGroupedStats* other = nullptr;
  for (const auto& group : groups) {
    if (group.resource == "GET /other") {
      other = &group;
    }
  }
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->errors, 1u);
  EXPECT_EQ(other->http_status_code, 500u);
  EXPECT_EQ(other->grpc_status_code, "5");
}

TEST_F(ConcentratorTest, PayloadKeyFallsBackToAgentEnvAndHostname) {
  ConcentratorConfig config = Config();
  config.agent_hostname = "agent-host";
  config.include_container_id = false;  // Not Fargate: no ContainerID dimension.
  Concentrator concentrator(config, clock_);
  TraceChunk chunk;
  Span* root = AddSpan(chunk, 1, 0, kBase + 15 * kSecond);
  (*root->mutable_metrics())["_top_level"] = 1;
  StatsInput input = Input(chunk);
  input.env = "";
  concentrator.Add(input);
  input.env = "staging";
  input.hostname = "tracer-host";
  concentrator.Add(input);
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  ASSERT_EQ(payload->stats.size(), 2u);
  EXPECT_EQ(payload->stats[0].env, "none");
  EXPECT_EQ(payload->stats[0].hostname, "agent-host");
  EXPECT_EQ(payload->stats[0].container_id, "");
  EXPECT_EQ(payload->stats[1].env, "staging");
  EXPECT_EQ(payload->stats[1].hostname, "tracer-host");
}

// The payload fields of a group key are hashed once per chunk: chunks of equal payload fields,
// added apart and after the bucket's table has grown (rehashed from the stored keys), still meet
// in one group, and a difference in any one payload field keeps groups apart.
TEST_F(ConcentratorTest, EqualPayloadFieldsMeetInOneGroupAcrossChunks) {
  Concentrator concentrator(Config(), clock_);
  TraceChunk chunk;
  Span* root = AddSpan(chunk, 1, 0, kBase + 15 * kSecond);
  (*root->mutable_metrics())["_top_level"] = 1;
  constexpr int kPayloads = 40;  // enough groups to grow the bucket's table several times
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kPayloads; ++i) {
      StatsInput input = Input(chunk);
      const std::string suffix = std::to_string(i / 7);
      std::string fields[7] = {"prod", "", "1.2", "abc-123", "", "", "nodejs"};
      fields[i % 7] += "-" + suffix;  // exactly one payload field differs per i
      input.env = fields[0];
      input.hostname = fields[1];
      input.version = fields[2];
      input.container_id = fields[3];
      input.git_commit_sha = fields[4];
      input.image_tag = fields[5];
      input.lang = fields[6];
      concentrator.Add(input);
    }
  }
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  ASSERT_EQ(payload->stats.size(), static_cast<size_t>(kPayloads));
  for (const ClientStatsPayload& client : payload->stats) {
    ASSERT_EQ(client.stats.size(), 1u);
    ASSERT_EQ(client.stats[0].stats.size(), 1u);
    EXPECT_EQ(client.stats[0].stats[0].hits, 2u) << client.env << " " << client.lang;
  }
}

TEST_F(ConcentratorTest, LateSpansCountInOldestOpenBucketAndFutureBucketsWait) {
  Concentrator concentrator(Config(), clock_);  // Now 12:00:18: oldest open bucket 12:00:10.
  TraceChunk chunk;
  Span* old_span = AddSpan(chunk, 1, 0, kBase - 60 * kSecond);
  (*old_span->mutable_metrics())["_top_level"] = 1;
  concentrator.Add(Input(chunk));
  TraceChunk future;
  Span* future_span = AddSpan(future, 1, 0, kBase + 45 * kSecond);
  (*future_span->mutable_metrics())["_top_level"] = 1;
  concentrator.Add(Input(future));
  EXPECT_EQ(concentrator.OpenBuckets(), 2u);

  SetNow(kBase + 30 * kSecond);
  auto payload = concentrator.Flush(false);
  ASSERT_TRUE(payload.has_value());
  ASSERT_EQ(payload->stats[0].stats.size(), 1u);
  EXPECT_EQ(payload->stats[0].stats[0].start, static_cast<uint64_t>(kBase + 10 * kSecond));
  EXPECT_EQ(concentrator.OpenBuckets(), 1u);  // The future bucket stays.

  // After that flush, a span for the sent bucket goes to the oldest open one (12:00:20).
  concentrator.Add(Input(chunk));
  auto forced = concentrator.Flush(true);
  ASSERT_TRUE(forced.has_value());
  ASSERT_EQ(forced->stats[0].stats.size(), 2u);
  EXPECT_EQ(forced->stats[0].stats[0].start, static_cast<uint64_t>(kBase + 20 * kSecond));
  EXPECT_EQ(forced->stats[0].stats[1].start, static_cast<uint64_t>(kBase + 40 * kSecond));
}

TEST_F(ConcentratorTest, GroupCapDropsSpansThatWouldOpenNewGroups) {
  ConcentratorConfig config = Config();
  config.max_groups_per_bucket = 3;
  Concentrator concentrator(config, clock_);
  TraceChunk chunk;
  for (uint64_t id = 1; id <= 5; ++id) {
    Span* span = AddSpan(chunk, id, 0, kBase + 15 * kSecond);
    span->set_resource("resource-" + std::to_string(id));
    (*span->mutable_metrics())["_top_level"] = 1;
  }
  // Another span of an existing group is still counted.
  Span* again = AddSpan(chunk, 6, 0, kBase + 15 * kSecond);
  again->set_resource("resource-1");
  (*again->mutable_metrics())["_top_level"] = 1;
  concentrator.Add(Input(chunk));
  EXPECT_EQ(concentrator.GetCounters().spans_dropped, 2u);
  EXPECT_EQ(concentrator.GetCounters().spans_counted, 4u);
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  const auto& groups = payload->stats[0].stats[0].stats;
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].resource, "resource-1");
  EXPECT_EQ(groups[0].hits, 2u);
}

TEST_F(ConcentratorTest, NullChunkAndEmptyFlushAreHarmless) {
  Concentrator concentrator(Config(), clock_);
  concentrator.Add(StatsInput{});
  EXPECT_FALSE(concentrator.Flush(true).has_value());
}

TEST(QuantizePeerIpAddressesTest, MasksAddressesKeepsPortsPrefixesAndNames) {
  using internal::QuantizePeerIpAddresses;
  EXPECT_EQ(QuantizePeerIpAddresses("10.0.0.1"), "blocked-ip-address");
  EXPECT_EQ(QuantizePeerIpAddresses("10.0.0.1:5432,10.0.0.2:5432"), "blocked-ip-address:5432");
  EXPECT_EQ(QuantizePeerIpAddresses("ip-10-1-2-3.ec2.internal"),
            "ip-blocked-ip-address.ec2.internal");
  EXPECT_EQ(QuantizePeerIpAddresses("https://192.168.1.20:8443"),
            "https://blocked-ip-address:8443");
  EXPECT_EQ(QuantizePeerIpAddresses("[2001:db8::1]:443"), "blocked-ip-address:443");
  EXPECT_EQ(QuantizePeerIpAddresses("2001:db8::1"), "blocked-ip-address");
  EXPECT_EQ(QuantizePeerIpAddresses("db.internal,10.0.0.9"), "db.internal,blocked-ip-address");
  // Loopback, cloud metadata and ECS task metadata addresses are not peers worth hiding.
  EXPECT_EQ(QuantizePeerIpAddresses("127.0.0.1:6379"), "127.0.0.1:6379");
  EXPECT_EQ(QuantizePeerIpAddresses("169.254.170.2"), "169.254.170.2");
  // Not addresses.
  EXPECT_EQ(QuantizePeerIpAddresses("users-db"), "users-db");
  EXPECT_EQ(QuantizePeerIpAddresses("1.2.3"), "1.2.3");
  EXPECT_EQ(QuantizePeerIpAddresses("01.2.3.4"), "01.2.3.4");
  EXPECT_EQ(QuantizePeerIpAddresses("256.1.1.1"), "256.1.1.1");
  EXPECT_EQ(QuantizePeerIpAddresses(""), "");
}

TEST_F(ConcentratorTest, PeerTagIpAddressesAreQuantized) {
  Concentrator concentrator(Config(), clock_);
  TraceChunk chunk;
  Span* span = AddSpan(chunk, 1, 0, kBase + 15 * kSecond);
  (*span->mutable_meta())["span.kind"] = "producer";
  (*span->mutable_meta())["messaging.kafka.bootstrap.servers"] = "10.1.1.1:9092,10.1.1.2:9092";
  concentrator.Add(Input(chunk));
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(
      payload->stats[0].stats[0].stats[0].peer_tags,
      (std::vector<std::string>{"messaging.kafka.bootstrap.servers:blocked-ip-address:9092"}));
}

// Configured peer tag keys may also be keys the concentrator reads for itself: each read keeps its
// meaning. Span kinds match in any case; empty peer values are left out; spans that differ only in
// a peer tag value are separate groups.
TEST_F(ConcentratorTest, PeerTagKeysThatAreAlsoGroupKeysKeepBothRoles) {
  ConcentratorConfig config = Config();
  config.peer_tag_keys = {"span.kind", "http.status_code", "db.name", "db.user", "span.kind"};
  Concentrator concentrator(config, clock_);
  TraceChunk chunk;
  for (const char* db : {"orders", "users"}) {
    Span* span = AddSpan(chunk, db[0] == 'o' ? 1 : 2, 9, kBase + 15 * kSecond);
    (*span->mutable_meta())["span.kind"] = "CLIENT";
    (*span->mutable_meta())["http.status_code"] = "404";
    (*span->mutable_meta())["db.name"] = db;
    (*span->mutable_meta())["db.user"] = "";
    (*span->mutable_meta())["component"] = "pg";
  }
  concentrator.Add(Input(chunk));
  auto payload = concentrator.Flush(true);
  ASSERT_TRUE(payload.has_value());
  const auto& groups = payload->stats[0].stats[0].stats;
  ASSERT_EQ(groups.size(), 2u);
  std::vector<std::vector<std::string>> peer_tags;
  for (const auto& group : groups) {
    EXPECT_EQ(group.span_kind, "CLIENT");
    EXPECT_EQ(group.http_status_code, 404u);
    EXPECT_EQ(group.hits, 1u);
    peer_tags.push_back(group.peer_tags);
  }
  std::sort(peer_tags.begin(), peer_tags.end());
  EXPECT_EQ(peer_tags, (std::vector<std::vector<std::string>>{
                           {"db.name:orders", "http.status_code:404", "span.kind:CLIENT"},
                           {"db.name:users", "http.status_code:404", "span.kind:CLIENT"}}));
}

TEST(DefaultPeerTagKeysTest, SortedListFromSpec) {
  const auto& keys = DefaultPeerTagKeys();
  EXPECT_EQ(keys.size(), 29u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(keys.front(), "_dd.base_service");
  EXPECT_EQ(keys.back(), "topicname");
}

}  // namespace
}  // namespace sidecar::apm
