// The ecs_fargate check (spec ecs-logs.md §A3) on the Fargate fixtures. Expected values are
// computed by hand from tests/testdata/ecs/fargate_task_stats{,_2}.json and written as literals:
// the two documents' `read` times are 01:19:45.077342978 and 01:19:55.077611502, 10.000268524 s
// apart, the divisor of every rate below.
#include "container/task_stats_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/testing/testdata.h"

namespace sidecar::container {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kAgentId = "67cd8a22b533459696d4ccab5278e009-2860414825";
constexpr std::string_view kWebId = "67cd8a22b533459696d4ccab5278e009-3591238047";
constexpr int64_t kRead1 = 1687223985;  // 2023-06-20T01:19:45Z
constexpr int64_t kRead2 = 1687223995;  // 2023-06-20T01:19:55Z
constexpr double kElapsed = 10.000268524;

std::string Fixture(std::string_view name) {
  absl::StatusOr<std::string> text =
      testing::ReadFileToString(testing::TestdataPath(std::string("ecs/") + std::string(name)));
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

std::string Edited(std::string_view name, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json document = nlohmann::json::parse(Fixture(name));
  edit(document);
  return document.dump();
}

std::chrono::system_clock::time_point At(int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

std::vector<std::string> TagsOf(std::string_view docker_id) {
  const std::string name = docker_id == kAgentId ? "dd-agent" : "web";
  return {"container_id:" + std::string(docker_id), "container_name:" + name,
          "task_family:akira-fargate-check"};
}

TaskStatsCheck MakeCheck() {
  TaskStatsCheckOptions options;
  options.instance_tags = {"team:obs"};
  return TaskStatsCheck(options, TagsOf, [] {
    return std::vector<std::string>{"task_family:akira-fargate-check", "task_version:1",
                                    "cluster_name:akira-fargate-check-cluster"};
  });
}

// The single point of the serie named `name` carrying `tag` ("" = any), or nullopt.
std::optional<statsd::Point> Find(const TaskStatsCheckResult& result, std::string_view name,
                                  std::string_view tag = "") {
  std::optional<statsd::Point> found;
  for (const statsd::Serie& serie : result.series) {
    if (serie.name != name) {
      continue;
    }
    if (!tag.empty() &&
        std::find(serie.tags.begin(), serie.tags.end(), std::string(tag)) == serie.tags.end()) {
      continue;
    }
    EXPECT_FALSE(found.has_value()) << "two series match " << name << " " << tag;
    EXPECT_EQ(serie.points.size(), 1u);
    EXPECT_EQ(serie.type, statsd::SeriesType::kGauge);
    found = serie.points.at(0);
  }
  return found;
}

double Value(const TaskStatsCheckResult& result, std::string_view name, std::string_view tag) {
  std::optional<statsd::Point> point = Find(result, name, tag);
  EXPECT_TRUE(point.has_value()) << name << " " << tag;
  return point.has_value() ? point->value : -1;
}

const std::string kAgentTag = "container_id:" + std::string(kAgentId);
const std::string kWebTag = "container_id:" + std::string(kWebId);

class TaskStatsCheckTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(check_.SetTaskDocument(Fixture("fargate_task.json")).ok()); }

  TaskStatsCheck check_ = MakeCheck();
};

// A3-1: the first document gives gauges only, stamped with its `read` time.
TEST_F(TaskStatsCheckTest, FirstDocumentEmitsGaugesOnly) {
  const TaskStatsCheckResult result =
      check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  EXPECT_EQ(result.containers_reported, 2);
  // Per container: cpu.percent, mem.{usage,max_usage}, 7 memory stat gauges (memsw is the
  // sentinel), 4 network gauges = 14; plus 2 cpu.limit and 4 task-level gauges.
  EXPECT_EQ(result.series.size(), 2u * 14 + 2 + 4);

  // A3 cpu.percent: Δtotal 86559152 / Δsystem 19920000000 × 2 CPUs × 100 = 0.869… -> 0.87.
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.cpu.percent", kAgentTag), 0.87);
  // web: 27821814 / 19920000000 × 200 = 0.2793… -> 0.28.
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.cpu.percent", kWebTag), 0.28);
  EXPECT_EQ(Find(result, "ecs.fargate.cpu.percent", kAgentTag)->timestamp, kRead1);

  // A3 mem.* gauges.
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.usage", kAgentTag), 160886784);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.max_usage", kAgentTag), 205619200);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.cache", kAgentTag), 5136384);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.rss", kAgentTag), 147873792);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.mapped_file", kAgentTag), 0);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.hierarchical_memory_limit", kAgentTag),
                   3221225472);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.active_anon", kAgentTag), 0);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.active_file", kAgentTag), 1081344);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.inactive_file", kAgentTag), 3919872);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.usage", kWebTag), 23650304);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.rss", kWebTag), 17530880);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.cache", kWebTag), 4730880);

  // A3-5 network gauges, per interface.
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.net.rcvd_errors", kAgentTag), 0);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.net.packet.out_dropped", kWebTag), 0);

  // A3 rates: nothing yet.
  for (std::string_view rate :
       {"ecs.fargate.cpu.usage", "ecs.fargate.cpu.user", "ecs.fargate.cpu.system",
        "ecs.fargate.mem.pgfault", "ecs.fargate.io.bytes.write", "ecs.fargate.io.ops.write",
        "ecs.fargate.net.bytes_rcvd", "ecs.fargate.net.bytes_sent"}) {
    EXPECT_FALSE(Find(result, rate, kAgentTag).has_value()) << rate;
  }
}

// A3-3: Docker's "unlimited" value is not a limit.
TEST_F(TaskStatsCheckTest, MemoryLimitSentinelIsSkippedButARealLimitIsReported) {
  TaskStatsCheckResult result = check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  EXPECT_FALSE(Find(result, "ecs.fargate.mem.limit").has_value());
  EXPECT_FALSE(Find(result, "ecs.fargate.mem.hierarchical_memsw_limit").has_value());

  TaskStatsCheck limited = MakeCheck();
  result = limited.Run(Edited("fargate_task_stats.json",
                              [](nlohmann::json& stats) {
                                auto& memory = stats[std::string(kAgentId)]["memory_stats"];
                                memory["limit"] = 2147483648ULL;
                                memory["stats"]["hierarchical_memsw_limit"] = 4294967296ULL;
                              }),
                       At(kRead1 + 15));
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.limit", kAgentTag), 2147483648);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.hierarchical_memsw_limit", kAgentTag),
                   4294967296);
  EXPECT_FALSE(Find(result, "ecs.fargate.mem.limit", kWebTag).has_value());
}

TEST_F(TaskStatsCheckTest, SecondDocumentAddsPerSecondRatesOverTheReadInterval) {
  check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  const TaskStatsCheckResult result =
      check_.Run(Fixture("fargate_task_stats_2.json"), At(kRead1 + 35));
  // 13 rates per container: cpu 3, mem 4, io 4, net 2.
  EXPECT_EQ(result.series.size(), 2u * 14 + 2 + 4 + 2u * 13);

  // cpu.usage: (4904134238 - 4817594472) / 10.000268524 = 86539766 / 10.000268524.
  EXPECT_NEAR(Value(result, "ecs.fargate.cpu.usage", kAgentTag), 8653744.2261985404, 1e-6);
  // cpu.user: 40000000 / Δt; cpu.system: 10000000 / Δt.
  EXPECT_NEAR(Value(result, "ecs.fargate.cpu.user", kAgentTag), 3999892.5932841281, 1e-6);
  EXPECT_NEAR(Value(result, "ecs.fargate.cpu.system", kAgentTag), 999973.14832103202, 1e-7);
  EXPECT_EQ(Find(result, "ecs.fargate.cpu.usage", kAgentTag)->timestamp, kRead2);
  // mem: pgpgin 83327 - 83193 = 134, pgfault 125873 - 125499 = 374, pgpgout/pgmajfault flat.
  EXPECT_NEAR(Value(result, "ecs.fargate.mem.pgpgin", kAgentTag), 13.399640187501829, 1e-12);
  EXPECT_NEAR(Value(result, "ecs.fargate.mem.pgfault", kAgentTag), 37.398995747206598, 1e-12);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.pgpgout", kAgentTag), 0);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.pgmajfault", kAgentTag), 0);
  // io: Write bytes 65536 - 57344 = 8192, Write ops 5 - 3 = 2; reads flat at 0.
  EXPECT_NEAR(Value(result, "ecs.fargate.io.bytes.write", kAgentTag), 819.17800310458943, 1e-12);
  EXPECT_NEAR(Value(result, "ecs.fargate.io.ops.write", kAgentTag), 0.19999462966420640, 1e-15);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.io.bytes.read", kAgentTag), 0);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.io.ops.read", kAgentTag), 0);
  // net (A3-5, interface tag): rx 781206475 - 781187362 = 19113, tx 995659 - 971750 = 23909.
  EXPECT_NEAR(Value(result, "ecs.fargate.net.bytes_rcvd", kAgentTag), 1911.2486783859885, 1e-10);
  EXPECT_NEAR(Value(result, "ecs.fargate.net.bytes_sent", kAgentTag), 2390.8358003207555, 1e-10);

  // web: cpu 1658341123 - 1630415828 = 27925295; user 20000000; system 10000000.
  EXPECT_NEAR(Value(result, "ecs.fargate.cpu.usage", kWebTag), 2792454.5158943574, 1e-6);
  EXPECT_NEAR(Value(result, "ecs.fargate.cpu.user", kWebTag), 1999946.2966420640, 1e-6);
  EXPECT_NEAR(Value(result, "ecs.fargate.cpu.system", kWebTag), 999973.14832103202, 1e-7);
  // pgpgin 6883 - 6873 = 10, pgfault 10131 - 10112 = 19; Write bytes 4096, ops 1; reads flat.
  EXPECT_NEAR(Value(result, "ecs.fargate.mem.pgpgin", kWebTag), 0.99997314832103202, 1e-12);
  EXPECT_NEAR(Value(result, "ecs.fargate.mem.pgfault", kWebTag), 1.8999489818099608, 1e-12);
  EXPECT_NEAR(Value(result, "ecs.fargate.io.bytes.write", kWebTag), 409.58900155229472, 1e-12);
  EXPECT_NEAR(Value(result, "ecs.fargate.io.ops.write", kWebTag), 0.099997314832103202, 1e-15);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.io.bytes.read", kWebTag), 0);
  // Same task-wide ENI counters: no de-duplication across containers (A3-5).
  EXPECT_NEAR(Value(result, "ecs.fargate.net.bytes_rcvd", kWebTag), 19113 / kElapsed, 1e-10);

  // Gauges follow the new document: cpu.percent 86539766 / 19920000000 × 200 = 0.8688… -> 0.87.
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.cpu.percent", kAgentTag), 0.87);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.usage", kAgentTag), 161435648);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.rss", kWebTag), 17571840);
}

TEST_F(TaskStatsCheckTest, ContainerMetricsCarryContainerCompatibilityAndInstanceTags) {
  check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  const TaskStatsCheckResult result =
      check_.Run(Fixture("fargate_task_stats_2.json"), At(kRead1 + 35));
  for (const statsd::Serie& serie : result.series) {
    if (serie.name == "ecs.fargate.cpu.usage" &&
        std::find(serie.tags.begin(), serie.tags.end(), kAgentTag) != serie.tags.end()) {
      EXPECT_THAT(serie.tags,
                  ElementsAre(kAgentTag, "container_name:dd-agent", "docker_name:dd-agent",
                              "ecs_task_family:akira-fargate-check",
                              "task_family:akira-fargate-check", "team:obs"));
      EXPECT_EQ(serie.host, "");
    }
    if (serie.name == "ecs.fargate.net.bytes_sent" &&
        std::find(serie.tags.begin(), serie.tags.end(), kWebTag) != serie.tags.end()) {
      EXPECT_THAT(serie.tags, ElementsAre(kWebTag, "container_name:web", "docker_name:web",
                                          "ecs_task_family:akira-fargate-check", "interface:eth1",
                                          "task_family:akira-fargate-check", "team:obs"));
    }
  }
}

// A3 rows cpu.task.limit, mem.task.limit, ephemeral_storage.*, cpu.limit.
TEST_F(TaskStatsCheckTest, TaskLevelAndLimitMetricsComeFromTheTaskDocument) {
  const TaskStatsCheckResult result =
      check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  const std::string task_tag = "ecs_cluster:akira-fargate-check-cluster";
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.cpu.task.limit", task_tag), 1e9);  // 1 vCPU.
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.mem.task.limit", task_tag),
                   3221225472);  // 3072 MiB.
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.ephemeral_storage.utilized", task_tag), 2925);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.ephemeral_storage.reserved", task_tag), 21499);
  EXPECT_EQ(Find(result, "ecs.fargate.mem.task.limit")->timestamp, kRead1 + 15);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.cpu.limit", kAgentTag), 2);
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.cpu.limit", kWebTag), 512);
}

// A1-2, A3-4.
TEST_F(TaskStatsCheckTest, NullStatsAreSkippedAndCounted) {
  const TaskStatsCheckResult result =
      check_.Run(Edited("fargate_task_stats.json",
                        [](nlohmann::json& stats) { stats[std::string(kWebId)] = nullptr; }),
                 At(kRead1 + 15));
  EXPECT_EQ(result.null_stats, 1);
  EXPECT_EQ(result.containers_reported, 1);
  EXPECT_FALSE(Find(result, "ecs.fargate.mem.usage", kWebTag).has_value());
  EXPECT_TRUE(Find(result, "ecs.fargate.mem.usage", kAgentTag).has_value());
  ASSERT_EQ(result.service_checks.size(), 1u);
  EXPECT_EQ(result.service_checks[0].status, 0);
}

TEST_F(TaskStatsCheckTest, NonNormalContainersAreSkipped) {
  ASSERT_TRUE(check_
                  .SetTaskDocument(Edited(
                      "fargate_task.json",
                      [](nlohmann::json& task) { task["Containers"][1]["Type"] = "CNI_PAUSE"; }))
                  .ok());
  const TaskStatsCheckResult result =
      check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  EXPECT_EQ(result.skipped, 1);
  EXPECT_FALSE(Find(result, "ecs.fargate.mem.usage", kWebTag).has_value());
  EXPECT_FALSE(Find(result, "ecs.fargate.cpu.limit", kWebTag).has_value());
  EXPECT_TRUE(Find(result, "ecs.fargate.cpu.limit", kAgentTag).has_value());
}

TEST_F(TaskStatsCheckTest, CounterResetDropsThatRateOnly) {
  check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  const TaskStatsCheckResult result = check_.Run(
      Edited("fargate_task_stats_2.json",
             [](nlohmann::json& stats) {
               stats[std::string(kAgentId)]["cpu_stats"]["cpu_usage"]["total_usage"] = 1000;
             }),
      At(kRead1 + 35));
  EXPECT_FALSE(Find(result, "ecs.fargate.cpu.usage", kAgentTag).has_value());
  EXPECT_NEAR(Value(result, "ecs.fargate.cpu.user", kAgentTag), 3999892.5932841281, 1e-6);
}

// TMDS refreshes stats every ~10 s; a document with the same `read` is not a new sample.
TEST_F(TaskStatsCheckTest, UnrefreshedDocumentKeepsTheOlderSample) {
  check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  const TaskStatsCheckResult same = check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 35));
  EXPECT_FALSE(Find(same, "ecs.fargate.cpu.usage", kAgentTag).has_value());
  const TaskStatsCheckResult next =
      check_.Run(Fixture("fargate_task_stats_2.json"), At(kRead1 + 55));
  EXPECT_NEAR(Value(next, "ecs.fargate.cpu.usage", kAgentTag), 8653744.2261985404, 1e-6);
}

// A3 cpu.percent fallback when Δtotal >= Δsystem: Δtotal / (whole seconds(read - preread) × 1e9).
TEST_F(TaskStatsCheckTest, CpuPercentFallsBackToTheReadInterval) {
  const TaskStatsCheckResult result = check_.Run(
      Edited("fargate_task_stats.json",
             [](nlohmann::json& stats) {
               auto& entry = stats[std::string(kAgentId)];
               entry["precpu_stats"]["system_cpu_usage"] = 1039490000000 - 1000;
               entry["preread"] = "2023-06-20T01:19:40.5Z";  // 4.577 s before read -> 4 s.
             }),
      At(kRead1 + 15));
  // 86559152 / 4e9 × 100 = 2.1639788 -> 2.16.
  EXPECT_DOUBLE_EQ(Value(result, "ecs.fargate.cpu.percent", kAgentTag), 2.16);
}

TEST_F(TaskStatsCheckTest, MissingReadTimeUsesTheClock) {
  const TaskStatsCheckResult result =
      check_.Run(Edited("fargate_task_stats.json",
                        [](nlohmann::json& stats) { stats[std::string(kAgentId)].erase("read"); }),
                 At(kRead1 + 15));
  EXPECT_EQ(Find(result, "ecs.fargate.mem.usage", kAgentTag)->timestamp, kRead1 + 15);
  EXPECT_EQ(Find(result, "ecs.fargate.mem.usage", kWebTag)->timestamp, kRead1);
}

// --- Service check fargate_check ----------------------------------------------------------------

TEST_F(TaskStatsCheckTest, ServiceCheckOkWithInstanceTagsOnly) {
  const TaskStatsCheckResult result =
      check_.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  ASSERT_EQ(result.service_checks.size(), 1u);
  const statsd::ServiceCheckRecord& check = result.service_checks[0];
  EXPECT_EQ(check.name, "fargate_check");
  EXPECT_EQ(check.status, 0);
  EXPECT_EQ(check.timestamp, kRead1 + 15);
  EXPECT_THAT(check.tags, ElementsAre("team:obs"));
  EXPECT_EQ(check.host, "");
}

TEST_F(TaskStatsCheckTest, ServiceCheckCriticalWhenStatsCouldNotBeFetched) {
  const TaskStatsCheckResult result =
      check_.RunFailed(absl::UnavailableError("GET task_stats answered HTTP 500"), At(kRead1));
  EXPECT_THAT(result.series, IsEmpty());
  ASSERT_EQ(result.service_checks.size(), 1u);
  EXPECT_EQ(result.service_checks[0].status, 2);
  EXPECT_THAT(result.service_checks[0].message, HasSubstr("HTTP 500"));
  EXPECT_THAT(result.service_checks[0].tags, ElementsAre("team:obs"));
}

TEST_F(TaskStatsCheckTest, ServiceCheckWarningOnUndecodableStats) {
  const TaskStatsCheckResult result = check_.Run("{\"67cd8a22", At(kRead1));
  ASSERT_EQ(result.service_checks.size(), 1u);
  EXPECT_EQ(result.service_checks[0].status, 1);
  EXPECT_EQ(result.containers_reported, 0);
  EXPECT_TRUE(Find(result, "ecs.fargate.mem.task.limit").has_value());  // Task doc still valid.
}

TEST(TaskStatsCheckNoTaskTest, WithoutATaskDocumentContainerMetricsFlowAndTheCheckWarns) {
  TaskStatsCheck check = MakeCheck();
  const TaskStatsCheckResult result =
      check.Run(Fixture("fargate_task_stats.json"), At(kRead1 + 15));
  EXPECT_EQ(result.series.size(), 2u * 14);  // No cpu.limit, no task-level metrics.
  ASSERT_EQ(result.service_checks.size(), 1u);
  EXPECT_EQ(result.service_checks[0].status, 1);
  EXPECT_FALSE(check.SetTaskDocument("not json").ok());
}

// --- Helpers ------------------------------------------------------------------------------------

TEST(TaskStatsCheckInternalTest, ParsesRfc3339) {
  using std::chrono::nanoseconds;
  using std::chrono::seconds;
  EXPECT_EQ(internal::ParseRfc3339("2023-06-20T01:19:45.077342978Z"),
            seconds(kRead1) + nanoseconds(77342978));
  EXPECT_EQ(internal::ParseRfc3339("2023-06-20T02:19:45+01:00"), seconds(kRead1));
  EXPECT_EQ(internal::ParseRfc3339("0001-01-01T00:00:00Z"), std::nullopt);  // Docker zero time.
  EXPECT_EQ(internal::ParseRfc3339("2023-06-20 garbage"), std::nullopt);
  EXPECT_EQ(internal::ParseRfc3339("2023-02-30T00:00:00Z"), std::nullopt);
}

TEST(TaskStatsCheckInternalTest, CompatibilityTagsCopyTheFourTags) {
  EXPECT_THAT(
      internal::CompatibilityTags(
          {"task_family:f", "task_version:3", "cluster_name:c", "container_name:n", "env:prod"}),
      ElementsAre("ecs_task_family:f", "ecs_task_version:3", "ecs_cluster:c", "docker_name:n"));
}

}  // namespace
}  // namespace sidecar::container
