// Interoperability with a real client: every DogStatsD datagram hot-shots 17.1.1 put on the wire
// (../shared/testdata/clients/dogstatsd/, listed in ../shared/testdata/clients/manifest.json) is
// framed and parsed, and compared with what the recording script sent (the manifest's `call`).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "statsd/framer.h"
#include "statsd/parser.h"

#ifndef SIDECAR_SHARED_TESTDATA
#error "SIDECAR_SHARED_TESTDATA must name ../shared/testdata"
#endif

namespace sidecar::statsd {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

const fs::path kClients = fs::path(SIDECAR_SHARED_TESTDATA) / "clients";
const fs::path kCaptures = kClients / "dogstatsd";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Strings TagsOf(const TagList& tags) { return Strings(tags.begin(), tags.end()); }

const Strings kTeam = {"team:payments"};
Strings Team(std::initializer_list<std::string> more) {
  Strings tags = kTeam;
  tags.insert(tags.end(), more);
  return tags;
}

// What one line of a capture must parse into. Only the fields that line sets are compared;
// everything else must keep its default.
struct Metric {
  std::string name{};
  MetricType type{};
  std::vector<double> values{};  // empty for sets
  std::string set_value{};
  Strings tags{};
  double rate = 1.0;
  std::optional<int64_t> timestamp{};
  std::string container_id{};
  std::string cardinality{};
};
struct EventExpect {
  std::string title{};  // unescaped
  std::string text{};   // unescaped
  Strings tags{};
  EventLengthUnit unit = EventLengthUnit::kUtf8Bytes;
  std::optional<int64_t> timestamp{};
  std::string hostname{};
  std::string aggregation_key{};
  std::string source_type{};
  EventPriority priority = EventPriority::kNormal;
  EventAlertType alert = EventAlertType::kInfo;
};
struct CheckExpect {
  std::string name{};
  ServiceCheckStatus status{};
  Strings tags{};
  std::optional<int64_t> timestamp{};
  std::string hostname{};
  std::string message{};
  std::string container_id{};
  std::string cardinality{};
};
using Expected = std::variant<Metric, EventExpect, CheckExpect>;

Metric M(std::string name, MetricType type, std::vector<double> values, std::string set_value,
         Strings tags, double rate = 1.0) {
  return Metric{.name = std::move(name),
                .type = type,
                .values = std::move(values),
                .set_value = std::move(set_value),
                .tags = std::move(tags),
                .rate = rate};
}
EventExpect E(std::string title, std::string text, Strings tags) {
  return EventExpect{.title = std::move(title), .text = std::move(text), .tags = std::move(tags)};
}
CheckExpect C(std::string name, ServiceCheckStatus status, Strings tags) {
  return CheckExpect{.name = std::move(name), .status = status, .tags = std::move(tags)};
}

constexpr auto kCounter = MetricType::kCounter;
constexpr auto kGauge = MetricType::kGauge;
constexpr auto kSet = MetricType::kSet;
constexpr auto kDatadogModeContainer = "0123456789abcdef0123456789abcdef-1234567890";
const Strings kDatadogModeTags = Team({"env:prod", "service:checkout", "version:1.4.2"});

std::vector<Expected> Batch(int first, int last) {
  std::vector<Expected> lines;
  for (int n = first; n <= last; ++n) {
    lines.push_back(M("checkout.batch", kCounter, {1}, "", Team({"n:" + std::to_string(n)})));
  }
  return lines;
}

std::vector<Expected> Telemetry() {
  const Strings client = {"client:nodejs", "client_version:17.1.1", "client_transport:udp"};
  Strings by_type = client;
  by_type.push_back("metrics_type:count");
  return {
      M("datadog.dogstatsd.client.metrics", kCounter, {1}, "", client),
      M("datadog.dogstatsd.client.metrics_by_type", kCounter, {1}, "", by_type),
      M("datadog.dogstatsd.client.service_checks", kCounter, {1}, "", client),
      M("datadog.dogstatsd.client.bytes_sent", kCounter, {306}, "", client),
      M("datadog.dogstatsd.client.packets_sent", kCounter, {2}, "", client),
  };
}

// Keyed by file name; every capture must be listed and every listed capture must exist.
const std::map<std::string, std::vector<Expected>>& Expectations() {
  static const auto* table = new std::map<std::string, std::vector<Expected>>{
      {"hot-shots-aggregated-1.txt",
       {M("checkout.cart_adds", kCounter, {5}, "", Team({"sku:A-1"}))}},
      {"hot-shots-aggregated-2.txt", {M("checkout.queue_depth", kGauge, {9}, "", kTeam)}},
      {"hot-shots-aggregated-3.txt", {M("checkout.unique_users", kSet, {}, "alice", kTeam)}},
      {"hot-shots-aggregated-4.txt", {M("checkout.unique_users", kSet, {}, "bob", kTeam)}},
      {"hot-shots-buffered-split-1.txt", Batch(0, 5)},
      {"hot-shots-buffered-split-2.txt", Batch(6, 11)},
      {"hot-shots-buffered.txt",
       {M("checkout.requests", kCounter, {1}, "", Team({"route:/checkout"})),
        M("checkout.queue_depth", kGauge, {42}, "", kTeam),
        M("checkout.latency", MetricType::kHistogram, {12.5}, "", kTeam),
        M("checkout.payload_size", MetricType::kDistribution, {512}, "", kTeam),
        M("checkout.db_time", MetricType::kTiming, {33}, "", kTeam),
        M("checkout.unique_users", kSet, {}, "alice", kTeam),
        E("Deploy finished", "checkout 1.4.2", kTeam),
        C("checkout.up", ServiceCheckStatus::kOk, kTeam)}},
      {"hot-shots-count-negative.txt",
       {M("checkout.stock", kCounter, {-2}, "", Team({"sku:A-1"}))}},
      {"hot-shots-count-sampled.txt",
       {M("checkout.requests.sampled", kCounter, {1}, "", Team({"route:/checkout"}), 0.25)}},
      {"hot-shots-count-value.txt",
       {M("checkout.items_sold", kCounter, {3}, "", Team({"sku:A-1"}))}},
      {"hot-shots-count.txt",
       {M("checkout.requests", kCounter, {1}, "", Team({"route:/checkout"}))}},
      {"hot-shots-datadog-mode-count.txt",
       {Metric{.name = "checkout.requests",
               .type = kCounter,
               .values = {1},
               .tags = Team({"env:prod", "service:checkout", "version:1.4.2", "route:/checkout"}),
               .container_id = kDatadogModeContainer,
               .cardinality = "orchestrator"}}},
      {"hot-shots-datadog-mode-service-check.txt",
       {CheckExpect{.name = "checkout.can_connect",
                    .status = ServiceCheckStatus::kOk,
                    .tags = kDatadogModeTags,
                    .message = "ok",
                    .container_id = kDatadogModeContainer,
                    .cardinality = "orchestrator"}}},
      {"hot-shots-datadog-mode-telemetry.txt", Telemetry()},
      {"hot-shots-distribution.txt",
       {M("checkout.payload_size", MetricType::kDistribution, {512}, "",
          Team({"route:/checkout"}))}},
      {"hot-shots-event-minimal.txt", {E("Cache flushed", "Cache flushed", kTeam)}},
      {"hot-shots-event-utf8.txt",
       {EventExpect{.title = "D\xc3\xa9ploiement \xe2\x9c\x93",
                    .text = "version 1.4.2 \xe2\x80\x94 pr\xc3\xaate",
                    .tags = kTeam,
                    .unit = EventLengthUnit::kUtf16CodeUnits,
                    .alert = EventAlertType::kInfo}}},
      {"hot-shots-event.txt",
       {EventExpect{.title = "Deploy finished",
                    .text = "checkout 1.4.2 rolled out\nall checks green",
                    .tags = Team({"source:ci"}),
                    .timestamp = 1735689600,
                    .hostname = "ip-10-0-1-23",
                    .aggregation_key = "deploy-1.4.2",
                    .source_type = "jenkins",
                    .priority = EventPriority::kLow,
                    .alert = EventAlertType::kSuccess}}},
      {"hot-shots-gauge-delta-minus.txt", {M("checkout.inflight", kGauge, {-2}, "", kTeam)}},
      {"hot-shots-gauge-delta-plus.txt", {M("checkout.inflight", kGauge, {5}, "", kTeam)}},
      {"hot-shots-gauge-float-negative.txt",
       {M("checkout.temperature", kGauge, {-12.75}, "", kTeam)}},
      {"hot-shots-gauge.txt",
       {M("checkout.queue_depth", kGauge, {42}, "", Team({"queue:orders"}))}},
      {"hot-shots-histogram-sampled.txt",
       {M("checkout.latency.sampled", MetricType::kHistogram, {7}, "", Team({"route:/checkout"}),
          0.5)}},
      {"hot-shots-histogram.txt",
       {M("checkout.latency", MetricType::kHistogram, {12.5}, "", Team({"route:/checkout"}))}},
      {"hot-shots-no-tags.txt", {M("checkout.heartbeat", kCounter, {1}, "", {})}},
      {"hot-shots-service-check-minimal.txt", {C("checkout.up", ServiceCheckStatus::kOk, kTeam)}},
      {"hot-shots-service-check.txt",
       {CheckExpect{.name = "checkout.can_connect",
                    .status = ServiceCheckStatus::kCritical,
                    .tags = Team({"db:carts"}),
                    .timestamp = 1735689600,
                    .hostname = "ip-10-0-1-23",
                    .message = "db unreachable: timeout after 5s"}}},
      {"hot-shots-set.txt",
       {M("checkout.unique_users", kSet, {}, "alice", Team({"route:/checkout"}))}},
      {"hot-shots-tags-array.txt",
       {M("checkout.retries", kCounter, {1}, "",
          Team({"az:eu-west-1a", "target:db:5432", "canary"}))}},
      {"hot-shots-tags-object.txt",
       {M("checkout.redirects", kCounter, {1}, "",
          Team({"url:https://shop.example.com/a", "bad_key:a_b_c", "canary:true"}))}},
      {"hot-shots-timestamp.txt",
       {Metric{.name = "checkout.backlog",
               .type = kGauge,
               .values = {7},
               .tags = Team({"queue:orders"}),
               .timestamp = 1735689600}}},
      {"hot-shots-timing-float.txt",
       {M("checkout.render_time", MetricType::kTiming, {1.25}, "", kTeam)}},
      {"hot-shots-timing.txt",
       {M("checkout.db_time", MetricType::kTiming, {33}, "", Team({"db:carts"}))}},
  };
  return *table;
}

void Check(const ParseResult& result, const Metric& want, const std::string& where) {
  const auto* got = std::get_if<MetricSample>(&result);
  ASSERT_NE(got, nullptr) << where;
  EXPECT_EQ(got->name, want.name) << where;
  EXPECT_EQ(got->type, want.type) << where;
  EXPECT_EQ(std::vector<double>(got->values.begin(), got->values.end()), want.values) << where;
  EXPECT_EQ(got->set_value, want.set_value) << where;
  EXPECT_EQ(TagsOf(got->tags), want.tags) << where;
  EXPECT_EQ(got->sample_rate, want.rate) << where;
  EXPECT_EQ(got->timestamp, want.timestamp) << where;
  EXPECT_EQ(got->container_id, want.container_id) << where;
  EXPECT_EQ(got->cardinality, want.cardinality) << where;
  EXPECT_TRUE(got->external_data.empty()) << where;
}

void Check(const ParseResult& result, const EventExpect& want, const std::string& where) {
  const auto* got = std::get_if<Event>(&result);
  ASSERT_NE(got, nullptr) << where;
  EXPECT_EQ(got->UnescapedTitle(), want.title) << where;
  EXPECT_EQ(got->UnescapedText(), want.text) << where;
  EXPECT_EQ(TagsOf(got->tags), want.tags) << where;
  EXPECT_EQ(got->length_unit, want.unit) << where;
  EXPECT_EQ(got->timestamp, want.timestamp) << where;
  EXPECT_EQ(got->hostname, want.hostname) << where;
  EXPECT_EQ(got->aggregation_key, want.aggregation_key) << where;
  EXPECT_EQ(got->source_type, want.source_type) << where;
  EXPECT_EQ(got->priority, want.priority) << where;
  EXPECT_EQ(got->alert_type, want.alert) << where;
}

void Check(const ParseResult& result, const CheckExpect& want, const std::string& where) {
  const auto* got = std::get_if<ServiceCheck>(&result);
  ASSERT_NE(got, nullptr) << where;
  EXPECT_EQ(got->name, want.name) << where;
  EXPECT_EQ(got->status, want.status) << where;
  EXPECT_EQ(TagsOf(got->tags), want.tags) << where;
  EXPECT_EQ(got->timestamp, want.timestamp) << where;
  EXPECT_EQ(got->hostname, want.hostname) << where;
  EXPECT_EQ(got->message, want.message) << where;
  EXPECT_EQ(got->container_id, want.container_id) << where;
  EXPECT_EQ(got->cardinality, want.cardinality) << where;
}

class HotShotsInteropTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::is_directory(kCaptures))
        << "Shared test data not found at " << kCaptures
        << "; the interop tests need the ../shared folder next to the repository checkout.";
  }
};

std::set<std::string> CaptureFiles() {
  std::set<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(kCaptures)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt") {
      files.insert(entry.path().filename().string());
    }
  }
  return files;
}

TEST_F(HotShotsInteropTest, EveryCaptureHasAnExpectationAndViceVersa) {
  std::set<std::string> expected;
  for (const auto& [file, lines] : Expectations()) {
    expected.insert(file);
  }
  EXPECT_EQ(CaptureFiles(), expected);
}

TEST_F(HotShotsInteropTest, ManifestListsTheCapturesWithTheirSizes) {
  const std::string text = ReadFile(kClients / "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(manifest.is_discarded()) << "manifest.json is not valid JSON";
  std::set<std::string> listed;
  for (const nlohmann::json& entry : manifest.at("files")) {
    const std::string file = entry.value("file", "");
    if (file.rfind("dogstatsd/", 0) != 0) {
      continue;
    }
    const std::string name = file.substr(std::string("dogstatsd/").size());
    listed.insert(name);
    ASSERT_TRUE(fs::exists(kCaptures / name)) << name;
    EXPECT_EQ(fs::file_size(kCaptures / name), entry.value("bytes", uint64_t{0})) << name;
  }
  EXPECT_EQ(listed, CaptureFiles());
}

TEST_F(HotShotsInteropTest, EveryCaptureParsesAsSent) {
  // Datadog-mode captures carry `c:`/`card:`; read them as a sidecar with client origin detection.
  const Parser parser(ParserOptions{.origin_detection_client = true});
  size_t files = 0;
  for (const auto& [file, expected] : Expectations()) {
    const fs::path path = kCaptures / file;
    if (!fs::exists(path)) {
      ADD_FAILURE() << "missing capture " << path;
      continue;
    }
    ++files;
    const std::string packet = ReadFile(path);
    std::vector<std::string_view> lines;
    const FrameStats stats =
        ForEachLine(packet, {}, [&](std::string_view line) { lines.push_back(line); });
    EXPECT_EQ(stats.unterminated_dropped, 0u);
    ASSERT_EQ(lines.size(), expected.size()) << file;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string where =
          file + " line " + std::to_string(i + 1) + ": " + std::string(lines[i]);
      const ParseResult result = parser.Parse(lines[i]);
      std::visit([&](const auto& want) { Check(result, want, where); }, expected[i]);
    }
  }
  EXPECT_EQ(files, 33u);
}

// hot-shots never ends a datagram with '\n' (README "Wire facts" 1): with line ends required the
// last (often only) line would be lost, which is why eol_required must stay off for UDP.
TEST_F(HotShotsInteropTest, CapturesHaveNoTrailingNewline) {
  for (const std::string& file : CaptureFiles()) {
    const std::string packet = ReadFile(kCaptures / file);
    size_t lines = 0;
    const FrameStats stats =
        ForEachLine(packet, {.eol_required = true}, [&](std::string_view) { ++lines; });
    EXPECT_EQ(stats.unterminated_dropped, 1u) << file;
    EXPECT_EQ(lines + 1, Expectations().at(file).size()) << file;
  }
}

// dd-trace's DogStatsD-over-HTTP body ends every line with '\n' and carries `c:in-<inode>`.
TEST_F(HotShotsInteropTest, DdTraceProxyBodyParsesEvenWithLineEndsRequired) {
  const fs::path path = kClients / "apm" / "dd-trace-js-dogstatsd-v2-proxy.txt";
  ASSERT_TRUE(fs::exists(path)) << path;
  const std::string body = ReadFile(path);
  const Parser parser(ParserOptions{.origin_detection_client = true});
  size_t samples = 0;
  const FrameStats stats = ForEachLine(body, {.eol_required = true}, [&](std::string_view line) {
    const ParseResult result = parser.Parse(line);
    const auto* sample = std::get_if<MetricSample>(&result);
    ASSERT_NE(sample, nullptr) << line;
    EXPECT_EQ(sample->container_id, "in-1") << line;
    EXPECT_TRUE(sample->name.starts_with("datadog.")) << line;
    ++samples;
  });
  EXPECT_EQ(stats.unterminated_dropped, 0u);
  EXPECT_GT(samples, 0u);
}

}  // namespace
}  // namespace sidecar::statsd
