// msgpack codecs for APM stats (apm.md §6 key names, §1.6 /v0.6/stats). msgpack-cxx decodes what
// we encode, independently of our decoder; R14 decodes a real dd-trace-js /v0.6/stats body.
#include "apm/stats_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <msgpack.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "apm/stats_sketch.h"
#include "proto/ddsketch.pb.h"
#include "tests/testing/status_matchers.h"

#ifndef SIDECAR_SHARED_TESTDATA
#error "SIDECAR_SHARED_TESTDATA must name ../shared/testdata"
#endif

namespace sidecar::apm {
namespace {

using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Keys of a msgpack map object, as a set.
std::set<std::string> Keys(const msgpack::object& map) {
  std::set<std::string> keys;
  EXPECT_EQ(map.type, msgpack::type::MAP);
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    keys.insert(map.via.map.ptr[i].key.as<std::string>());
  }
  return keys;
}

const msgpack::object& Field(const msgpack::object& map, const std::string& key) {
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    if (map.via.map.ptr[i].key.as<std::string>() == key) {
      return map.via.map.ptr[i].val;
    }
  }
  ADD_FAILURE() << "missing key " << key;
  static const msgpack::object kNil;
  return kNil;
}

ClientGroupedStats SampleGroup() {
  ClientGroupedStats g;
  g.service = "web";
  g.name = "http.request";
  g.resource = "GET /users";
  g.http_status_code = 404;
  g.type = "web";
  g.db_type = "";
  g.hits = 10;
  g.errors = 2;
  g.duration = 123456789;
  g.ok_summary = std::string("\x0a\x02\x18\x00", 4);
  g.error_summary = std::string("\x00\xff", 2);
  g.synthetics = true;
  g.top_level_hits = 7;
  g.span_kind = "server";
  g.peer_tags = {"db.name:x", "peer.service:y"};
  g.is_trace_root = TraceRootFlag::kFalse;
  g.grpc_status_code = "5";
  g.http_method = "GET";
  g.http_endpoint = "/users";
  g.service_source = "m";
  g.additional_metric_tags = {"a:b"};
  return g;
}

StatsPayload SamplePayload() {
  StatsPayload payload;
  payload.agent_hostname = "";
  payload.agent_env = "none";
  payload.agent_version = "7.70.0";
  ClientStatsPayload& client = payload.stats.emplace_back();
  client.hostname = "h1";
  client.env = "prod";
  client.version = "1.2";
  client.lang = "go";
  client.tracer_version = "1.70.0";
  client.runtime_id = "rid";
  client.sequence = 42;
  client.container_id = "abc-123";
  client.tags = {"task_arn:arn:aws:ecs:x"};
  client.git_commit_sha = "deadbeef";
  client.image_tag = "v1";
  client.process_tags_hash = 0xfedcba9876543210ULL;
  client.process_tags = "entrypoint.name:app";
  ClientStatsBucket& bucket = client.stats.emplace_back();
  bucket.start = 1700000010000000000ULL;
  bucket.duration = 10000000000ULL;
  bucket.agent_time_shift = -5;
  bucket.stats.push_back(SampleGroup());
  return payload;
}

// §6 key names at every level, checked with msgpack-cxx as the reader.
TEST(StatsCodecTest, EncodedStatsPayloadHasGoFieldNamesAsKeys) {
  const std::string bytes = EncodeStatsPayload(SamplePayload());
  msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
  const msgpack::object& root = handle.get();
  EXPECT_EQ(Keys(root), (std::set<std::string>{"AgentHostname", "AgentEnv", "Stats", "AgentVersion",
                                               "ClientComputed", "SplitPayload"}));
  EXPECT_EQ(Field(root, "AgentHostname").as<std::string>(), "");
  EXPECT_EQ(Field(root, "AgentEnv").as<std::string>(), "none");
  EXPECT_EQ(Field(root, "AgentVersion").as<std::string>(), "7.70.0");
  EXPECT_FALSE(Field(root, "ClientComputed").as<bool>());

  const msgpack::object& client = Field(root, "Stats").via.array.ptr[0];
  EXPECT_EQ(Keys(client),
            (std::set<std::string>{"Hostname", "Env", "Version", "Stats", "Lang", "TracerVersion",
                                   "RuntimeID", "Sequence", "AgentAggregation", "Service",
                                   "ContainerID", "Tags", "GitCommitSha", "ImageTag",
                                   "ProcessTagsHash", "ProcessTags"}));
  EXPECT_EQ(Field(client, "ContainerID").as<std::string>(), "abc-123");
  EXPECT_EQ(Field(client, "ProcessTagsHash").as<uint64_t>(), 0xfedcba9876543210ULL);

  const msgpack::object& bucket = Field(client, "Stats").via.array.ptr[0];
  EXPECT_EQ(Keys(bucket), (std::set<std::string>{"Start", "Duration", "Stats", "AgentTimeShift"}));
  EXPECT_EQ(Field(bucket, "Start").as<uint64_t>(), 1700000010000000000ULL);
  EXPECT_EQ(Field(bucket, "AgentTimeShift").as<int64_t>(), -5);

  const msgpack::object& group = Field(bucket, "Stats").via.array.ptr[0];
  EXPECT_EQ(Keys(group), (std::set<std::string>{"Service",
                                                "Name",
                                                "Resource",
                                                "HTTPStatusCode",
                                                "Type",
                                                "DBType",
                                                "Hits",
                                                "Errors",
                                                "Duration",
                                                "OkSummary",
                                                "ErrorSummary",
                                                "Synthetics",
                                                "TopLevelHits",
                                                "SpanKind",
                                                "PeerTags",
                                                "IsTraceRoot",
                                                "GRPCStatusCode",
                                                "HTTPMethod",
                                                "HTTPEndpoint",
                                                "srv_src",
                                                "SpanDerivedPrimaryTags",
                                                "AdditionalMetricTags"}));
  EXPECT_EQ(Field(group, "OkSummary").type, msgpack::type::BIN);  // Sketches travel as bin.
  EXPECT_EQ(Field(group, "Hits").as<uint64_t>(), 10u);
  EXPECT_EQ(Field(group, "IsTraceRoot").as<int>(), 2);
  EXPECT_EQ(Field(group, "GRPCStatusCode").type, msgpack::type::STR);
  EXPECT_EQ(Field(group, "srv_src").as<std::string>(), "m");
  EXPECT_EQ(Field(group, "PeerTags").as<std::vector<std::string>>(),
            (std::vector<std::string>{"db.name:x", "peer.service:y"}));
}

// The ClientStatsPayload inside an encoded StatsPayload decodes back to what was encoded.
TEST(StatsCodecTest, ClientPayloadRoundTrip) {
  const StatsPayload original = SamplePayload();
  const std::string bytes = EncodeStatsPayload(original);
  msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
  msgpack::sbuffer inner;
  msgpack::pack(inner, Field(handle.get(), "Stats").via.array.ptr[0]);

  auto decoded = DecodeClientStatsPayload(std::string_view(inner.data(), inner.size()));
  ASSERT_THAT(decoded, IsOk());
  const ClientStatsPayload& want = original.stats[0];
  EXPECT_EQ(decoded->hostname, want.hostname);
  EXPECT_EQ(decoded->env, want.env);
  EXPECT_EQ(decoded->lang, want.lang);
  EXPECT_EQ(decoded->sequence, want.sequence);
  EXPECT_EQ(decoded->tags, want.tags);
  EXPECT_EQ(decoded->process_tags_hash, want.process_tags_hash);
  ASSERT_EQ(decoded->stats.size(), 1u);
  EXPECT_EQ(decoded->stats[0].agent_time_shift, -5);
  ASSERT_EQ(decoded->stats[0].stats.size(), 1u);
  const ClientGroupedStats& g = decoded->stats[0].stats[0];
  const ClientGroupedStats w = SampleGroup();
  EXPECT_EQ(g.resource, w.resource);
  EXPECT_EQ(g.http_status_code, w.http_status_code);
  EXPECT_EQ(g.hits, w.hits);
  EXPECT_EQ(g.errors, w.errors);
  EXPECT_EQ(g.duration, w.duration);
  EXPECT_EQ(g.ok_summary, w.ok_summary);
  EXPECT_EQ(g.error_summary, w.error_summary);
  EXPECT_EQ(g.synthetics, w.synthetics);
  EXPECT_EQ(g.top_level_hits, w.top_level_hits);
  EXPECT_EQ(g.peer_tags, w.peer_tags);
  EXPECT_EQ(g.is_trace_root, w.is_trace_root);
  EXPECT_EQ(g.grpc_status_code, w.grpc_status_code);
  EXPECT_EQ(g.service_source, w.service_source);
  EXPECT_EQ(g.additional_metric_tags, w.additional_metric_tags);
}

// R14: the /v0.6/stats body dd-trace-js 5.132.0 sent (see its .json decoded view).
TEST(StatsCodecTest, R14DecodesRecordedDdTraceJsStats) {
  const std::string body = ReadFile(std::filesystem::path(SIDECAR_SHARED_TESTDATA) / "clients" /
                                    "apm" / "dd-trace-js-v0.6-stats.msgpack");
  ASSERT_EQ(body.size(), 5954u);
  auto decoded = DecodeClientStatsPayload(body);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->hostname, "vm");
  EXPECT_EQ(decoded->env, "prod");
  EXPECT_EQ(decoded->version, "1.4.2");
  EXPECT_EQ(decoded->lang, "javascript");
  EXPECT_EQ(decoded->tracer_version, "5.132.0");
  EXPECT_EQ(decoded->runtime_id, "6c802f77-e288-4dbf-9bd6-590046874028");
  EXPECT_EQ(decoded->sequence, 1u);
  EXPECT_THAT(decoded->process_tags, ::testing::StartsWith("entrypoint.basedir:lib,"));
  ASSERT_EQ(decoded->stats.size(), 1u);
  const ClientStatsBucket& bucket = decoded->stats[0];
  EXPECT_EQ(bucket.start, 1735689600000000000ULL);
  EXPECT_EQ(bucket.duration, 10000000000ULL);
  ASSERT_EQ(bucket.stats.size(), 4u);

  const ClientGroupedStats& web = bucket.stats[0];
  EXPECT_EQ(web.service, "checkout");
  EXPECT_EQ(web.name, "web.request");
  EXPECT_EQ(web.resource, "GET /checkout");
  EXPECT_EQ(web.http_status_code, 200u);
  EXPECT_EQ(web.type, "web");
  EXPECT_EQ(web.hits, 1u);
  EXPECT_EQ(web.errors, 0u);
  EXPECT_EQ(web.duration, 120500000u);
  EXPECT_EQ(web.top_level_hits, 1u);
  EXPECT_EQ(web.http_method, "GET");
  EXPECT_EQ(web.http_endpoint, "/checkout");
  EXPECT_EQ(web.span_kind, "server");
  EXPECT_FALSE(web.synthetics);
  EXPECT_EQ(web.ok_summary.size(), 1068u);
  EXPECT_EQ(web.error_summary.size(), 39u);
  datadog::sketches::DDSketch ok;
  ASSERT_TRUE(ok.ParseFromString(web.ok_summary));
  EXPECT_NEAR(ok.mapping().gamma(), 1.01 / 0.99, 1e-12);
  double total = 0;
  for (double c : ok.positivevalues().contiguousbincounts()) {
    total += c;
  }
  EXPECT_EQ(total, 1);
  // dd-trace-js rounds the bin index up where sketches-go (and StatsSketch) round down, so its one
  // count sits one bin above ours for the same duration; both decode within 1 %.
  int js_index = ok.positivevalues().contiguousbinindexoffset();
  for (double c : ok.positivevalues().contiguousbincounts()) {
    if (c != 0) {
      break;
    }
    ++js_index;
  }
  EXPECT_EQ(js_index, StatsSketch::Index(120500000) + 1);

  const ClientGroupedStats& db = bucket.stats[1];
  EXPECT_EQ(db.service, "checkout-postgres");
  EXPECT_EQ(db.resource,
            "SELECT id, email FROM users WHERE email = 'alice@example.com' AND id = 42");
  EXPECT_EQ(db.service_source, "m");
  EXPECT_EQ(db.span_kind, "client");
  EXPECT_EQ(db.top_level_hits, 0u);

  const ClientGroupedStats& http = bucket.stats[2];
  EXPECT_EQ(http.http_status_code, 402u);
  EXPECT_EQ(http.errors, 1u);
  EXPECT_EQ(http.error_summary.size(), 1068u);
}

// Builds a msgpack body with msgpack-cxx.
template <typename Fn>
std::string Pack(Fn&& fn) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  fn(pk);
  return std::string(buffer.data(), buffer.size());
}

TEST(StatsCodecTest, AcceptsNilsAnyIntWidthStrForBinAndUnknownKeys) {
  const std::string body = Pack([](auto& pk) {
    pk.pack_map(5);
    pk.pack(std::string("Env"));
    pk.pack_nil();
    pk.pack(std::string("Sequence"));
    pk.pack_fix_uint8(3);
    pk.pack(std::string("Unknown"));
    pk.pack_map(1);
    pk.pack(std::string("x"));
    pk.pack_array(2);
    pk.pack(1.5);
    pk.pack(std::string("y"));
    pk.pack(std::string("Stats"));
    pk.pack_array(1);
    pk.pack_map(2);
    pk.pack(std::string("Start"));
    pk.pack_fix_int64(100);
    pk.pack(std::string("Stats"));
    pk.pack_array(1);
    pk.pack_map(3);
    pk.pack(std::string("OkSummary"));
    pk.pack(std::string("as-str"));
    pk.pack(std::string("Hits"));
    pk.pack_fix_uint16(500);
    pk.pack(std::string("IsTraceRoot"));
    pk.pack(7);  // Unknown flag value: kept as not set.
    pk.pack(std::string("Hostname"));
    pk.pack(std::string("h"));
  });
  auto decoded = DecodeClientStatsPayload(body);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->env, "");
  EXPECT_EQ(decoded->sequence, 3u);
  EXPECT_EQ(decoded->hostname, "h");
  ASSERT_EQ(decoded->stats.size(), 1u);
  EXPECT_EQ(decoded->stats[0].start, 100u);
  ASSERT_EQ(decoded->stats[0].stats.size(), 1u);
  EXPECT_EQ(decoded->stats[0].stats[0].ok_summary, "as-str");
  EXPECT_EQ(decoded->stats[0].stats[0].hits, 500u);
  EXPECT_EQ(decoded->stats[0].stats[0].is_trace_root, TraceRootFlag::kNotSet);
}

TEST(StatsCodecTest, RejectsWrongTypesNegativeCountsAndTrailingBytes) {
  const std::string wrong_type = Pack([](auto& pk) {
    pk.pack_map(1);
    pk.pack(std::string("Env"));
    pk.pack(5);
  });
  EXPECT_THAT(DecodeClientStatsPayload(wrong_type), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string negative = Pack([](auto& pk) {
    pk.pack_map(1);
    pk.pack(std::string("Sequence"));
    pk.pack(-1);
  });
  EXPECT_THAT(DecodeClientStatsPayload(negative), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string not_a_map = Pack([](auto& pk) { pk.pack_array(0); });
  EXPECT_THAT(DecodeClientStatsPayload(not_a_map), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeClientStatsPayload(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeClientStatsPayload(std::string("\x80\x80", 2)),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("trailing")));
}

// Declared lengths beyond the body fail before anything is allocated for them (R10-style).
TEST(StatsCodecTest, HugeDeclaredLengthsAreRejected) {
  // {"Stats": array32 of 0xffffffff buckets}
  std::string body = "\x81\xa5Stats\xdd\xff\xff\xff\xff";
  EXPECT_THAT(DecodeClientStatsPayload(body), StatusIs(absl::StatusCode::kInvalidArgument));
  // map32 header claiming 2^32-1 entries.
  EXPECT_THAT(DecodeClientStatsPayload(std::string("\xdf\xff\xff\xff\xff", 5)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // str32 longer than the body.
  EXPECT_THAT(DecodeClientStatsPayload(std::string("\x81\xa3"
                                                   "Env\xdb\x7f\xff\xff\xff",
                                                   10)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StatsCodecTest, GroupBudgetCapsExpansionOfTinyElements) {
  // Each empty map (1 byte) would become a whole ClientGroupedStats.
  const size_t groups = kMaxClientStatsGroups + 1;
  const std::string body = Pack([&](auto& pk) {
    pk.pack_map(1);
    pk.pack(std::string("Stats"));
    pk.pack_array(1);
    pk.pack_map(1);
    pk.pack(std::string("Stats"));
    pk.pack_array(static_cast<uint32_t>(groups));
    for (size_t i = 0; i < groups; ++i) {
      pk.pack_map(0);
    }
  });
  EXPECT_THAT(DecodeClientStatsPayload(body),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("groups")));
}

TEST(StatsCodecTest, DeepNestingInUnknownKeysIsRejected) {
  std::string body = "\x81\xa1x";
  body.append(100, '\x91');  // 100 nested one-element arrays
  body.push_back('\x01');
  EXPECT_THAT(DecodeClientStatsPayload(body),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("deep")));
}

// Every truncation of a valid body is an error, never a crash or a partial success.
TEST(StatsCodecTest, EveryTruncationOfTheRecordedBodyFails) {
  const std::string body = ReadFile(std::filesystem::path(SIDECAR_SHARED_TESTDATA) / "clients" /
                                    "apm" / "dd-trace-js-v0.6-stats.msgpack");
  ASSERT_FALSE(body.empty());
  for (size_t n = 0; n < body.size(); n += 7) {
    EXPECT_FALSE(DecodeClientStatsPayload(std::string_view(body).substr(0, n)).ok()) << n;
  }
}

TEST(StatsCodecTest, SignedIntegersOfEveryWidth) {
  for (const auto& [encoded, want] : std::vector<std::pair<std::string, int64_t>>{
           {std::string("\xfb", 1), -5},
           {std::string("\xd0\xfb", 2), -5},
           {std::string("\xd1\xfe\x0c", 3), -500},
           {std::string("\xd2\xff\xff\xfe\x0c", 5), -500},
           {std::string("\xd3\x80\x00\x00\x00\x00\x00\x00\x00", 9), INT64_MIN},
           {std::string("\xd0\x05", 2), 5},
           {std::string("\xcd\x01\xf4", 3), 500},
       }) {
    // {"Stats": [{"AgentTimeShift": <encoded>}]}
    std::string body = std::string("\x81\xa5Stats\x91\x81\xae") + "AgentTimeShift" + encoded;
    auto decoded = DecodeClientStatsPayload(body);
    ASSERT_THAT(decoded, IsOk()) << want;
    EXPECT_EQ(decoded->stats[0].agent_time_shift, want);
  }
}

// Random byte flips of a real body decode or fail cleanly (ASan/UBSan watch the reads).
TEST(StatsCodecTest, MutatedBodiesNeverCrash) {
  const std::string body = ReadFile(std::filesystem::path(SIDECAR_SHARED_TESTDATA) / "clients" /
                                    "apm" / "dd-trace-js-v0.6-stats.msgpack");
  ASSERT_FALSE(body.empty());
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> position(0, body.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  int decoded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string mutated = body;
    for (int flips = 0; flips < 1 + round % 4; ++flips) {
      mutated[position(rng)] = static_cast<char>(byte(rng));
    }
    decoded += DecodeClientStatsPayload(mutated).ok() ? 1 : 0;
  }
  EXPECT_GT(decoded, 0);  // Flips inside strings and sketches still decode.
}

}  // namespace
}  // namespace sidecar::apm
