#include "agent/forwarder/transaction_spill.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "agent/forwarder/forwarder_stats.h"
#include "tests/agent/forwarder/temp_dir.h"
#include "tests/testing/manual_clock.h"

namespace sidecar::forwarder {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef";
constexpr char kOtherKey[] = "fedcba9876543210fedcba9876543210";
constexpr char kBaseUrl[] = "https://7-60-1-app.agent.datadoghq.com";

Transaction MakeTransaction(std::string body, uint64_t sequence, size_t endpoint_index = 0) {
  auto payload = std::make_shared<Payload>();
  payload->intake = Intake::kMetrics;
  payload->route = "/api/v2/series";
  payload->kind = "series";
  payload->body = std::move(body);
  payload->content_type = "application/x-protobuf";
  payload->content_encoding = "zstd";
  payload->item_count = 3;
  Transaction transaction;
  transaction.payload = std::move(payload);
  transaction.endpoint_index = endpoint_index;
  transaction.url = std::string(kBaseUrl) + "/api/v2/series";
  transaction.sequence = sequence;
  return transaction;
}

std::vector<std::string> Bodies(const std::vector<Transaction>& transactions) {
  std::vector<std::string> bodies;
  for (const Transaction& transaction : transactions) {
    bodies.push_back(transaction.payload->body);
  }
  return bodies;
}

class TransactionSpillTest : public ::testing::Test {
 protected:
  TransactionSpillTest() {
    endpoints_.metrics = {{kBaseUrl, kKey}, {kBaseUrl, kOtherKey}};
    options_.directory = dir_.path() + "/spill";
    options_.max_bytes = 1 << 20;
    options_.disk_usage = [this](const std::string&) -> absl::StatusOr<DiskUsage> {
      if (!disk_error_.ok()) {
        return disk_error_;
      }
      return disk_;
    };
  }

  std::unique_ptr<TransactionSpill> Open() {
    auto spill = TransactionSpill::Open(options_, endpoints_, clock_, registry_);
    EXPECT_TRUE(spill.ok()) << spill.status();
    return spill.ok() ? std::move(*spill) : nullptr;
  }

  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(options_.directory)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string ReadFile(const std::string& name) const {
    std::ifstream in(options_.directory + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  void WriteFile(const std::string& name, const std::string& bytes) const {
    std::ofstream out(options_.directory + "/" + name, std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  int64_t Dropped(std::string_view reason) const {
    return registry_.ValueOf(kSpillTransactionsDropped, {{"reason", std::string(reason)}});
  }

  testing::TempDir dir_;
  IntakeEndpoints endpoints_;
  SpillOptions options_;
  sidecar::testing::ManualClock clock_;
  telemetry::Registry registry_;
  DiskUsage disk_{uint64_t{100} << 30, uint64_t{90} << 30};  // 100 GiB, 90% free.
  absl::Status disk_error_;
};

TEST_F(TransactionSpillTest, StoreThenLoadRoundTripsTheTransaction) {
  auto spill = Open();
  Transaction transaction = MakeTransaction("body-1", 7, 1);
  transaction.created = clock_.SystemNow() - std::chrono::minutes(3);
  auto payload = std::make_shared<Payload>(*transaction.payload);
  payload->priority = Priority::kHigh;
  payload->extra_headers = {{"DD-Agent-Payload", "5.0.140"}};
  transaction.payload = payload;
  ASSERT_TRUE(spill->Store({transaction}).ok());
  EXPECT_EQ(spill->Files(), 1u);
  EXPECT_GT(spill->BytesOnDisk(), 6u);
  EXPECT_EQ(registry_.ValueOf(kSpillTransactionsStored), 1);
  EXPECT_EQ(registry_.ValueOf(kSpillFiles), 1);

  std::vector<Transaction> loaded = spill->Load(1 << 20);
  ASSERT_EQ(loaded.size(), 1u);
  const Transaction& back = loaded[0];
  EXPECT_EQ(back.endpoint_index, 1u);
  EXPECT_EQ(back.url, transaction.url);
  EXPECT_EQ(back.sequence, 0u);  // The forwarder renumbers.
  EXPECT_EQ(back.created, transaction.created);
  EXPECT_EQ(back.payload->intake, Intake::kMetrics);
  EXPECT_EQ(back.payload->route, "/api/v2/series");
  EXPECT_EQ(back.payload->kind, "series");
  EXPECT_EQ(back.payload->body, "body-1");
  EXPECT_EQ(back.payload->content_type, "application/x-protobuf");
  EXPECT_EQ(back.payload->content_encoding, "zstd");
  EXPECT_EQ(back.payload->item_count, 3u);
  EXPECT_EQ(back.payload->priority, Priority::kHigh);
  EXPECT_EQ(back.payload->extra_headers, payload->extra_headers);
  // Loading deletes the file.
  EXPECT_TRUE(spill->empty());
  EXPECT_EQ(spill->BytesOnDisk(), 0u);
  EXPECT_THAT(Files(), IsEmpty());
  EXPECT_EQ(registry_.ValueOf(kSpillTransactionsReplayed), 1);
}

TEST_F(TransactionSpillTest, TheApiKeyNeverReachesTheDisk) {
  auto spill = Open();
  Transaction transaction = MakeTransaction("compressed-body", 1);
  auto payload = std::make_shared<Payload>(*transaction.payload);
  payload->extra_headers = {{"dd-api-key", kKey},
                            {"X-Forwarded-Auth", std::string("Bearer ") + kOtherKey},
                            {"DD-Agent-Payload", "5.0.140"}};
  transaction.payload = payload;
  ASSERT_TRUE(spill->Store({transaction, MakeTransaction("other", 2, 1)}).ok());
  const std::vector<std::string> names = Files();
  ASSERT_EQ(names.size(), 1u);
  for (const std::string& name : names) {
    const std::string bytes = ReadFile(name);
    EXPECT_THAT(bytes, Not(HasSubstr(kKey))) << name;
    EXPECT_THAT(bytes, Not(HasSubstr(kOtherKey))) << name;
    EXPECT_THAT(bytes, HasSubstr("compressed-body"));  // The check reads the real content.
  }
  std::vector<Transaction> loaded = spill->Load(1 << 20);
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_THAT(loaded[0].payload->extra_headers,
              ElementsAre(std::pair<std::string, std::string>("DD-Agent-Payload", "5.0.140")));
}

TEST_F(TransactionSpillTest, OpenDeletesUnfinishedTempFilesAndKeepsWholeOnes) {
  {
    auto spill = Open();
    ASSERT_TRUE(spill->Store({MakeTransaction("kept", 1)}).ok());
  }
  WriteFile("0000001700000000000-00000009.tmp", "half a fi");
  WriteFile("unrelated.tmp", "x");
  WriteFile("notes.txt", "not ours");
  auto spill = Open();
  EXPECT_EQ(spill->Files(), 1u);
  for (const std::string& name : Files()) {
    EXPECT_THAT(name, Not(HasSubstr(".tmp")));
  }
  EXPECT_THAT(Files(), ::testing::Contains("notes.txt"));  // Not ours: left alone.
  EXPECT_THAT(Bodies(spill->Load(1 << 20)), ElementsAre("kept"));
}

TEST_F(TransactionSpillTest, SizeBoundEvictsTheOldestFilesAndCountsTheirTransactions) {
  auto probe = Open();
  ASSERT_TRUE(probe->Store({MakeTransaction(std::string(1000, 'p'), 1)}).ok());
  const uint64_t file_size = probe->BytesOnDisk();
  probe->Load(1 << 20);
  probe.reset();

  options_.max_bytes = 2 * file_size + file_size / 2;  // Two files fit, three do not.
  auto spill = Open();
  ASSERT_TRUE(spill->Store({MakeTransaction(std::string(1000, 'a'), 1)}).ok());
  ASSERT_TRUE(spill->Store({MakeTransaction(std::string(1000, 'b'), 2)}).ok());
  ASSERT_TRUE(spill->Store({MakeTransaction(std::string(1000, 'c'), 3)}).ok());
  EXPECT_EQ(spill->Files(), 2u);
  EXPECT_EQ(spill->BytesOnDisk(), 2 * file_size);
  EXPECT_EQ(Dropped(kSpillReasonOverSize), 1);
  EXPECT_EQ(registry_.ValueOf(kSpillBytesOnDisk), static_cast<int64_t>(2 * file_size));
  // Newest file first, as the Agent replays.
  EXPECT_THAT(Bodies(spill->Load(1)), ElementsAre(std::string(1000, 'c')));
  EXPECT_THAT(Bodies(spill->Load(1)), ElementsAre(std::string(1000, 'b')));
  EXPECT_TRUE(spill->empty());
}

TEST_F(TransactionSpillTest, BatchLargerThanTheMaximumIsDroppedAndCounted) {
  options_.max_bytes = 500;
  auto spill = Open();
  absl::Status status = spill->Store({MakeTransaction(std::string(600, 'x'), 1)});
  EXPECT_EQ(TransactionSpill::RefusalReason(status), kSpillReasonOverSize);
  EXPECT_EQ(Dropped(kSpillReasonOverSize), 0);  // The caller counts what it loses.
  EXPECT_THAT(Files(), IsEmpty());
}

TEST_F(TransactionSpillTest, LoadReturnsSeveralNewestFilesOldestFirstWithinTheBudget) {
  auto spill = Open();
  ASSERT_TRUE(spill->Store({MakeTransaction("a1", 1), MakeTransaction("a2", 2)}).ok());
  ASSERT_TRUE(spill->Store({MakeTransaction("b2", 4), MakeTransaction("b1", 3)}).ok());
  ASSERT_TRUE(spill->Store({MakeTransaction("c1", 5)}).ok());
  // 2 bytes per body: the budget of 5 takes "c" (2 bytes), then "b" (4 more), and stops.
  EXPECT_THAT(Bodies(spill->Load(5)), ElementsAre("b1", "b2", "c1"));
  EXPECT_THAT(Bodies(spill->Load(5)), ElementsAre("a1", "a2"));
  EXPECT_THAT(spill->Load(5), IsEmpty());
}

TEST_F(TransactionSpillTest, OutdatedFilesAreDeletedAtOpen) {
  {
    auto spill = Open();
    ASSERT_TRUE(spill->Store({MakeTransaction("old", 1), MakeTransaction("old2", 2)}).ok());
  }
  clock_.Advance(std::chrono::hours(24 * 10) + std::chrono::minutes(1));
  auto spill = Open();
  EXPECT_TRUE(spill->empty());
  EXPECT_THAT(Files(), IsEmpty());
  EXPECT_EQ(Dropped(kSpillReasonOutdated), 2);
}

TEST_F(TransactionSpillTest, OutdatedFilesAreDeletedWhenScanningAndCustomAgeApplies) {
  options_.max_age = std::chrono::hours(24);
  auto spill = Open();
  ASSERT_TRUE(spill->Store({MakeTransaction("old", 1)}).ok());
  clock_.Advance(std::chrono::hours(23));
  ASSERT_TRUE(spill->Store({MakeTransaction("young", 2)}).ok());
  clock_.Advance(std::chrono::hours(2));
  EXPECT_THAT(Bodies(spill->Load(1 << 20)), ElementsAre("young"));
  EXPECT_THAT(spill->Load(1 << 20), IsEmpty());
  EXPECT_EQ(Dropped(kSpillReasonOutdated), 1);
}

TEST_F(TransactionSpillTest, OutdatedRecordInsideAFreshFileIsDropped) {
  auto spill = Open();
  Transaction stale = MakeTransaction("stale", 1);
  stale.created = clock_.SystemNow() - std::chrono::hours(24 * 11);
  ASSERT_TRUE(spill->Store({stale, MakeTransaction("fresh", 2)}).ok());
  EXPECT_THAT(Bodies(spill->Load(1 << 20)), ElementsAre("fresh"));
  EXPECT_EQ(Dropped(kSpillReasonOutdated), 1);
}

TEST_F(TransactionSpillTest, FullerFilesystemThanTheRatioRefusesToWrite) {
  // 1000 GiB disk, 150 GiB free: 85% used, above the 80% ratio.
  disk_ = DiskUsage{uint64_t{1000} << 30, uint64_t{150} << 30};
  auto spill = Open();
  absl::Status status = spill->Store({MakeTransaction("x", 1)});
  EXPECT_EQ(TransactionSpill::RefusalReason(status), kSpillReasonDiskFull);
  EXPECT_THAT(Files(), IsEmpty());

  disk_ = DiskUsage{uint64_t{1000} << 30, uint64_t{250} << 30};  // 75% used: fine again.
  EXPECT_TRUE(spill->Store({MakeTransaction("y", 2)}).ok());
  EXPECT_EQ(spill->Files(), 1u);
}

TEST_F(TransactionSpillTest, NearlyFullFilesystemEvictsOurOldFilesToMakeRoom) {
  auto spill = Open();
  ASSERT_TRUE(spill->Store({MakeTransaction(std::string(1000, 'a'), 1)}).ok());
  const uint64_t file_size = spill->BytesOnDisk();
  // Exactly at the ratio: room for what we hold already, not one byte more.
  disk_ = DiskUsage{100000, 20000};
  ASSERT_TRUE(spill->Store({MakeTransaction(std::string(1000, 'b'), 2)}).ok());
  EXPECT_EQ(spill->Files(), 1u);
  EXPECT_EQ(spill->BytesOnDisk(), file_size);
  EXPECT_EQ(Dropped(kSpillReasonDiskFull), 1);
  EXPECT_THAT(Bodies(spill->Load(1 << 20)), ElementsAre(std::string(1000, 'b')));
}

TEST_F(TransactionSpillTest, DiskUsageErrorIsAWriteError) {
  auto spill = Open();
  disk_error_ = absl::UnavailableError("statvfs failed");
  const absl::Status status = spill->Store({MakeTransaction("x", 1), MakeTransaction("y", 2)});
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(TransactionSpill::RefusalReason(status), kSpillReasonWriteError);
  EXPECT_THAT(Files(), IsEmpty());
}

TEST_F(TransactionSpillTest, EndpointThatNoLongerExistsIsDroppedAtLoad) {
  {
    auto spill = Open();
    Transaction second = MakeTransaction("to-second-key", 1, 1);
    ASSERT_TRUE(spill->Store({second, MakeTransaction("to-first-key", 2, 0)}).ok());
  }
  endpoints_.metrics = {{kBaseUrl, kKey}};  // The second key was removed from the config.
  auto spill = Open();
  EXPECT_THAT(Bodies(spill->Load(1 << 20)), ElementsAre("to-first-key"));
  EXPECT_EQ(Dropped(kSpillReasonUnknownEndpoint), 1);
}

TEST_F(TransactionSpillTest, EndpointWhoseUrlChangedIsDroppedAtLoad) {
  {
    auto spill = Open();
    ASSERT_TRUE(spill->Store({MakeTransaction("x", 1)}).ok());
  }
  endpoints_.metrics = {{"https://app.datadoghq.eu", kKey}};
  auto spill = Open();
  EXPECT_THAT(spill->Load(1 << 20), IsEmpty());
  EXPECT_EQ(Dropped(kSpillReasonUnknownEndpoint), 1);
}

TEST_F(TransactionSpillTest, CorruptRecordIsSkippedAndTheRestOfTheFileKept) {
  {
    auto spill = Open();
    ASSERT_TRUE(spill->Store({MakeTransaction("good-one", 1), MakeTransaction("bad-one", 2)}).ok());
  }
  const std::string name = Files().at(0);
  std::string bytes = ReadFile(name);
  bytes[bytes.size() - 2] ^= 0x20;  // Inside the last record.
  WriteFile(name, bytes);
  auto spill = Open();
  EXPECT_THAT(Bodies(spill->Load(1 << 20)), ElementsAre("good-one"));
  EXPECT_EQ(Dropped(kSpillReasonCorrupt), 1);
}

TEST_F(TransactionSpillTest, GarbageAndTruncatedFilesAreSkippedCountedAndDeleted) {
  {
    auto spill = Open();
    ASSERT_TRUE(spill->Store({MakeTransaction("whole", 1)}).ok());
    ASSERT_TRUE(spill->Store({MakeTransaction("truncated", 2), MakeTransaction("lost", 3)}).ok());
  }
  const std::vector<std::string> names = Files();
  ASSERT_EQ(names.size(), 2u);
  const std::string second = ReadFile(names[1]);
  WriteFile(names[1], second.substr(0, second.size() - 3));
  WriteFile("9999999999999999-00000000.retry", "not a spill file at all");
  auto spill = Open();
  EXPECT_EQ(spill->Files(), 3u);
  EXPECT_THAT(Bodies(spill->Load(1 << 20)), ElementsAre("whole", "truncated"));
  EXPECT_EQ(Dropped(kSpillReasonCorrupt), 2);  // The garbage file and "lost".
  EXPECT_THAT(Files(), IsEmpty());
}

TEST_F(TransactionSpillTest, NamesStayOrderedWhenTheWallClockStepsBack) {
  auto spill = Open();
  ASSERT_TRUE(spill->Store({MakeTransaction("first", 1)}).ok());
  clock_.SetSystemNow(clock_.SystemNow() - std::chrono::hours(1));
  ASSERT_TRUE(spill->Store({MakeTransaction("second", 2)}).ok());
  EXPECT_THAT(Bodies(spill->Load(1)), ElementsAre("second"));
  EXPECT_THAT(Bodies(spill->Load(1)), ElementsAre("first"));
}

TEST_F(TransactionSpillTest, DisabledOrPathlessStorageDoesNotOpen) {
  options_.max_bytes = 0;
  EXPECT_FALSE(TransactionSpill::Open(options_, endpoints_, clock_, registry_).ok());
  options_.max_bytes = 100;
  options_.directory = "";
  EXPECT_FALSE(TransactionSpill::Open(options_, endpoints_, clock_, registry_).ok());
}

}  // namespace
}  // namespace sidecar::forwarder
