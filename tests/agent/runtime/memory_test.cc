#include <filesystem>
#include <fstream>

#include "agent/runtime/memory_budget.h"
#include "agent/runtime/memory_guard.h"
#include "gtest/gtest.h"

namespace sidecar::runtime {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

TEST(ParseByteSizeTest, AcceptsBytesAndBinaryUnits) {
  EXPECT_EQ(*ParseByteSize("268435456"), 268435456u);
  EXPECT_EQ(*ParseByteSize("256MiB"), 256 * kMiB);
  EXPECT_EQ(*ParseByteSize("256Mi"), 256 * kMiB);
  EXPECT_EQ(*ParseByteSize("256m"), 256 * kMiB);
  EXPECT_EQ(*ParseByteSize("1GiB"), 1024 * kMiB);
  EXPECT_EQ(*ParseByteSize("512 KiB"), 512u * 1024);
}

TEST(ParseByteSizeTest, RejectsWhatIsNotASize) {
  for (const char* text : {"", "MiB", "-5", "12 parsecs", "1.5GiB", "99999999999999999999GiB"}) {
    EXPECT_FALSE(ParseByteSize(text).ok()) << text;
  }
}

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        std::filesystem::temp_directory_path() /
        ("memory-budget-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "memory");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& relative, const std::string& text) {
    std::ofstream(root_ / relative) << text;
  }
  std::filesystem::path root_;
};

TEST_F(CgroupTest, V2LimitIsRead) {
  Write("memory.max", "268435456\n");
  EXPECT_EQ(ReadCgroupMemoryLimit(root_.string()), 268435456u);
}

TEST_F(CgroupTest, V2MaxMeansNoLimit) {
  Write("memory.max", "max\n");
  EXPECT_EQ(ReadCgroupMemoryLimit(root_.string()), std::nullopt);
}

TEST_F(CgroupTest, V1LimitIsReadAndItsHugeDefaultMeansNoLimit) {
  Write("memory/memory.limit_in_bytes", "536870912\n");
  EXPECT_EQ(ReadCgroupMemoryLimit(root_.string()), 536870912u);
  Write("memory/memory.limit_in_bytes", "9223372036854771712\n");
  EXPECT_EQ(ReadCgroupMemoryLimit(root_.string()), std::nullopt);
}

TEST_F(CgroupTest, TheVariableWinsOverTheCgroup) {
  Write("memory.max", "1073741824\n");
  auto configured = ResolveMemoryBudget(std::string("128MiB"), root_.string());
  ASSERT_TRUE(configured.ok());
  EXPECT_EQ(configured->limit_bytes, 128 * kMiB);
  EXPECT_EQ(configured->source, "DD_SIDECAR_MEMORY_LIMIT");
  auto from_cgroup = ResolveMemoryBudget(std::nullopt, root_.string());
  ASSERT_TRUE(from_cgroup.ok());
  EXPECT_EQ(from_cgroup->limit_bytes, 1024 * kMiB);
  EXPECT_EQ(from_cgroup->source, "cgroup");
}

TEST_F(CgroupTest, NoLimitAnywhere) {
  auto budget = ResolveMemoryBudget(std::string(""), root_.string());
  ASSERT_TRUE(budget.ok());
  EXPECT_EQ(budget->limit_bytes, 0u);
  EXPECT_EQ(budget->source, "none");
  // Without a limit every configured cap stands.
  EXPECT_EQ(budget->ApmInflightBytes(64 * kMiB), 64 * kMiB);
}

TEST(ResolveMemoryBudgetTest, BadOrTooSmallValuesNameTheVariable) {
  for (const char* text : {"lots", "1MiB", "81919KiB"}) {
    auto budget = ResolveMemoryBudget(std::string(text), "/nonexistent");
    ASSERT_FALSE(budget.ok()) << text;
    EXPECT_NE(budget.status().message().find("DD_SIDECAR_MEMORY_LIMIT"), std::string::npos);
    if (std::string_view(text) != "lots") {
      EXPECT_NE(budget.status().message().find("at least 80MiB"), std::string::npos) << text;
    }
  }
  auto smallest = ResolveMemoryBudget(std::string("80MiB"), "/nonexistent");
  ASSERT_TRUE(smallest.ok());
  EXPECT_EQ(smallest->limit_bytes, 80 * kMiB);
}

TEST_F(CgroupTest, ACgroupLimitUnderTheMinimumIsStillTheLimit) {
  Write("memory.max", "67108864\n");  // The container cannot use more, whatever we think of it.
  auto budget = ResolveMemoryBudget(std::nullopt, root_.string());
  ASSERT_TRUE(budget.ok());
  EXPECT_EQ(budget->limit_bytes, 64 * kMiB);
}

TEST(MemoryBudgetTest, CapsAreSharesOfTheLimitNeverAboveTheConfiguredValue) {
  MemoryBudget budget;
  budget.limit_bytes = 128 * kMiB;
  EXPECT_EQ(budget.ApmInflightBytes(64 * kMiB), 16 * kMiB);
  EXPECT_EQ(budget.LogsPendingBytes(8 * kMiB), 8 * kMiB);
  EXPECT_EQ(budget.RetryQueueBytes(15 * kMiB), 15 * kMiB);
  budget.limit_bytes = 64 * kMiB;
  EXPECT_EQ(budget.LogsPendingBytes(8 * kMiB), 4 * kMiB);
  EXPECT_EQ(budget.RetryQueueBytes(15 * kMiB), 8 * kMiB);
  // The caps together stay well under the limit, leaving room for contexts and the binary.
  EXPECT_LE(budget.ApmInflightBytes(64 * kMiB) + budget.LogsPendingBytes(8 * kMiB) +
                budget.RetryQueueBytes(15 * kMiB),
            budget.limit_bytes / 2);
}

TEST(MemoryBudgetTest, ThePoolIsTheSoftMarkLessIdleAndAnEighthButAtLeastAQuarter) {
  MemoryBudget unlimited;
  EXPECT_EQ(unlimited.AccountCapacity(30 * kMiB), 0u);  // No limit: no pool limit.
  MemoryBudget budget;
  budget.limit_bytes = 160 * kMiB;                          // Soft mark 128 MiB, an eighth 20 MiB.
  EXPECT_EQ(budget.AccountCapacity(10 * kMiB), 88 * kMiB);  // Idle counted as at least 20 MiB.
  EXPECT_EQ(budget.AccountCapacity(30 * kMiB), 78 * kMiB);
  EXPECT_EQ(budget.AccountCapacity(90 * kMiB), 40 * kMiB);  // Never under a quarter.
  // The DogStatsD shares' caps exist only under a limit.
  EXPECT_EQ(unlimited.StatsdContextBytes(), 0u);
  EXPECT_EQ(budget.StatsdContextBytes(), 20 * kMiB);
  EXPECT_EQ(budget.StatsdValueBytes(), budget.limit_bytes / 8);
  EXPECT_EQ(budget.StatsdBatchBytes(), budget.limit_bytes / 16);
}

// A guard with a 100 MiB limit over a resident size the test sets.
struct GuardOverRss {
  explicit GuardOverRss(uint64_t initial_rss, MemoryGuard::Release release = nullptr)
      : rss(initial_rss),
        guard(
            MemoryBudget{.limit_bytes = 100 * kMiB},
            [this]() -> absl::StatusOr<uint64_t> { return rss; }, registry, std::move(release)) {}

  telemetry::Registry registry;
  uint64_t rss;
  MemoryGuard guard;
};

TEST(MemoryGuardTest, PressureStartsAtTheSoftMarkAndEndsBelowTheResumeMark) {
  GuardOverRss g(10 * kMiB);
  EXPECT_EQ(g.registry.ValueOf("memory.limit_bytes"), static_cast<int64_t>(100 * kMiB));

  g.guard.Sample();
  EXPECT_FALSE(g.guard.UnderPressure());
  g.rss = 81 * kMiB;  // Above 80 %.
  g.guard.Sample();
  EXPECT_TRUE(g.guard.UnderPressure());
  EXPECT_TRUE(g.guard.Probe()());
  g.rss = 75 * kMiB;  // Between the marks: stays on.
  g.guard.Sample();
  EXPECT_TRUE(g.guard.UnderPressure());
  g.rss = 69 * kMiB;  // Below 70 %.
  g.guard.Sample();
  EXPECT_FALSE(g.guard.UnderPressure());
  g.rss = 90 * kMiB;
  g.guard.Sample();
  EXPECT_TRUE(g.guard.UnderPressure());

  EXPECT_EQ(g.registry.ValueOf("memory.pressure_episodes"), 2);
  EXPECT_EQ(g.registry.ValueOf("memory.under_pressure"), 1);
  EXPECT_EQ(g.registry.ValueOf("memory.rss_bytes"), static_cast<int64_t>(90 * kMiB));
  EXPECT_EQ(g.registry.ValueOf("memory.peak_rss_bytes"), static_cast<int64_t>(90 * kMiB));
}

// After a flood, retained memory can keep the size above the resume mark for good; the guard must
// not refuse input forever (found by bench/memory_flood.py: 0 of 12,990 lines accepted afterwards).
TEST(MemoryGuardTest, PressureLiftsOnceTheSizeStopsGrowingAndTheSoftMarkRises) {
  GuardOverRss g(70 * kMiB);
  g.rss = 81 * kMiB;
  g.guard.Sample();
  ASSERT_TRUE(g.guard.UnderPressure());
  // Growing by more than 1 % of the limit each sample for 15 samples, then flat for 15: the
  // growth restarted the count, so 30 samples under pressure are not enough to lift it.
  const int growing = 15;
  for (int i = 1; i <= growing; ++i) {
    g.rss = 81 * kMiB + static_cast<uint64_t>(i) * (kMiB + kMiB / 10);
    g.guard.Sample();
  }
  const uint64_t plateau = g.rss;
  for (int i = 1; i < MemoryGuard::kSettleSamples; ++i) {
    g.rss = plateau - (i % 2) * (kMiB / 2);  // Flat within 1 % of the limit.
    g.guard.Sample();
    ASSERT_TRUE(g.guard.UnderPressure()) << "flat sample " << i;
  }
  g.rss = plateau;
  g.guard.Sample();
  EXPECT_FALSE(g.guard.UnderPressure());
  EXPECT_EQ(g.registry.ValueOf("memory.settled_resumes"), 1);
  EXPECT_EQ(g.registry.ValueOf("memory.under_pressure"), 0);
  // New growth trips the raised mark, halfway from the plateau to the limit, before the limit.
  EXPECT_EQ(g.guard.soft_mark(), plateau + (100 * kMiB - plateau) / 2);
  g.rss = g.guard.soft_mark() - 1;
  g.guard.Sample();
  EXPECT_FALSE(g.guard.UnderPressure());
  g.rss = g.guard.soft_mark();
  g.guard.Sample();
  EXPECT_TRUE(g.guard.UnderPressure());
  EXPECT_EQ(g.registry.ValueOf("memory.pressure_episodes"), 2);
  // Back under the resume mark: the soft mark is 80 % again.
  g.rss = 60 * kMiB;
  g.guard.Sample();
  EXPECT_FALSE(g.guard.UnderPressure());
  EXPECT_EQ(g.guard.soft_mark(), g.guard.budget().SoftMark());
}

TEST(MemoryGuardTest, AtOrOverTheLimitPressureNeverLiftsBySettling) {
  GuardOverRss g(100 * kMiB);
  for (int i = 0; i < 4 * MemoryGuard::kSettleSamples; ++i) {
    g.guard.Sample();
  }
  EXPECT_TRUE(g.guard.UnderPressure());
  EXPECT_EQ(g.registry.ValueOf("memory.settled_resumes"), 0);
}

TEST(MemoryGuardTest, MemoryIsReleasedAtOnceUnderPressureThenOnceASecond) {
  int releases = 0;
  GuardOverRss g(50 * kMiB, [&releases] { ++releases; });
  g.guard.Sample();
  EXPECT_EQ(releases, 0);  // No pressure, nothing asked.
  g.rss = 85 * kMiB;
  g.guard.Sample();
  EXPECT_EQ(releases, 1);
  for (int i = 0; i < MemoryGuard::kSamplesBetweenReleases - 1; ++i) {
    g.guard.Sample();
  }
  EXPECT_EQ(releases, 1);
  g.guard.Sample();
  EXPECT_EQ(releases, 2);
  EXPECT_EQ(g.registry.ValueOf("memory.releases"), 2);
  g.rss = 10 * kMiB;
  g.guard.Sample();
  for (int i = 0; i < 2 * MemoryGuard::kSamplesBetweenReleases; ++i) {
    g.guard.Sample();
  }
  EXPECT_EQ(releases, 2);
}

TEST(MemoryGuardTest, NoLimitNeverPressuresButStillReportsRss) {
  telemetry::Registry registry;
  MemoryGuard guard(
      MemoryBudget{}, []() -> absl::StatusOr<uint64_t> { return 1ULL << 40; }, registry);
  guard.Sample();
  EXPECT_FALSE(guard.UnderPressure());
  EXPECT_EQ(registry.ValueOf("memory.rss_bytes"), int64_t{1} << 40);
}

TEST(MemoryGuardTest, UnreadableRssIsCountedAndChangesNothing) {
  telemetry::Registry registry;
  MemoryBudget budget;
  budget.limit_bytes = 100 * kMiB;
  MemoryGuard guard(
      budget, []() -> absl::StatusOr<uint64_t> { return absl::UnavailableError("gone"); },
      registry);
  guard.Sample();
  EXPECT_FALSE(guard.UnderPressure());
  EXPECT_EQ(registry.ValueOf("memory.rss_read_errors"), 1);
}

TEST(ReadSelfRssTest, ThisProcessHasAResidentSize) {
  auto rss = ReadSelfRss();
  ASSERT_TRUE(rss.ok());
  EXPECT_GT(*rss, 1u << 20);
}

}  // namespace
}  // namespace sidecar::runtime
