// Crash safety of the disk spill: a child process writes spill files in a loop and is killed with
// SIGKILL at a random moment; whatever the parent then loads must be intact.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "agent/common/clock.h"
#include "agent/forwarder/forwarder_stats.h"
#include "agent/forwarder/transaction_spill.h"
#include "tests/agent/forwarder/temp_dir.h"

namespace sidecar::forwarder {
namespace {

constexpr char kBaseUrl[] = "https://7-60-1-app.agent.datadoghq.com";

// What the child writes for sequence `n`: large enough that a write takes a while, and
// different for every n so a record from one sequence cannot pass for another.
std::string BodyFor(uint64_t n) {
  std::string body = "seq-" + std::to_string(n) + "-";
  std::mt19937_64 random(n);
  const size_t size = 20000 + random() % 60000;
  while (body.size() < size) {
    body.push_back(static_cast<char>('a' + random() % 26));
  }
  return body;
}

SpillOptions Options(const std::string& directory) {
  SpillOptions options;
  options.directory = directory;
  options.max_bytes = 2 << 20;  // Small enough that the child also evicts while it is killed.
  options.disk_usage = [](const std::string&) -> absl::StatusOr<DiskUsage> {
    return DiskUsage{uint64_t{100} << 30, uint64_t{90} << 30};
  };
  return options;
}

IntakeEndpoints Endpoints() {
  IntakeEndpoints endpoints;
  endpoints.metrics = {{kBaseUrl, "key"}};
  return endpoints;
}

[[noreturn]] void WriteForever(const std::string& directory) {
  common::SystemClock clock;
  telemetry::Registry registry;
  auto spill = TransactionSpill::Open(Options(directory), Endpoints(), clock, registry);
  if (!spill.ok()) {
    _exit(2);
  }
  for (uint64_t n = 0; n < 100000; n += 3) {
    std::vector<Transaction> batch;
    for (uint64_t i = n; i < n + 3; ++i) {
      auto payload = std::make_shared<Payload>();
      payload->route = "/seq/" + std::to_string(i);
      payload->body = BodyFor(i);
      Transaction transaction;
      transaction.payload = std::move(payload);
      transaction.sequence = i;
      transaction.url = std::string(kBaseUrl) + "/seq/" + std::to_string(i);
      batch.push_back(std::move(transaction));
    }
    (void)(*spill)->Store(std::move(batch));
  }
  _exit(0);
}

int CountFiles(const std::string& directory, std::string_view extension) {
  int count = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    count += entry.path().extension() == extension ? 1 : 0;
  }
  return count;
}

TEST(SpillCrashTest, KilledWriterNeverLeavesACorruptReplay) {
  std::mt19937 random(
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  int rounds_with_data = 0;
  int torn_writes = 0;  // Rounds killed mid-write; informative, as the moment is random.
  for (int round = 0; round < 5; ++round) {
    testing::TempDir dir;
    const std::string directory = dir.path() + "/spill";
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      WriteForever(directory);
    }
    // Wait for the first whole file, then kill at a random point of a later write.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (CountFiles(directory, ".retry") == 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 30000));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer finished before it was killed";

    torn_writes += CountFiles(directory, ".tmp");
    common::SystemClock clock;
    telemetry::Registry registry;
    auto spill = TransactionSpill::Open(Options(directory), Endpoints(), clock, registry);
    ASSERT_TRUE(spill.ok()) << spill.status();
    EXPECT_EQ(CountFiles(directory, ".tmp"), 0);  // A torn write is deleted, never replayed.
    size_t loaded = 0;
    while (!(*spill)->empty()) {
      for (const Transaction& transaction : (*spill)->Load(uint64_t{1} << 30)) {
        const std::string& route = transaction.payload->route;
        ASSERT_EQ(route.rfind("/seq/", 0), 0u) << route;
        const uint64_t n = std::stoull(route.substr(5));
        ASSERT_EQ(transaction.payload->body, BodyFor(n)) << "sequence " << n;
        ++loaded;
      }
    }
    EXPECT_EQ(registry.ValueOf(kSpillTransactionsDropped, {{"reason", "corrupt"}}), 0);
    rounds_with_data += loaded > 0 ? 1 : 0;
  }
  EXPECT_GT(rounds_with_data, 0);
  RecordProperty("torn_writes", torn_writes);
}

}  // namespace
}  // namespace sidecar::forwarder
