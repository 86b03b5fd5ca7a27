// The Forwarder with a disk spill: overflow, recovery, restart and shutdown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/forwarder/forwarder.h"
#include "agent/forwarder/forwarder_stats.h"
#include "tests/agent/forwarder/temp_dir.h"
#include "tests/testing/fake_http_client.h"
#include "tests/testing/manual_clock.h"

namespace sidecar::forwarder {
namespace {

using std::chrono::seconds;

constexpr char kHost[] = "7-60-1-app.agent.datadoghq.com";
constexpr char kBaseUrl[] = "https://7-60-1-app.agent.datadoghq.com";
constexpr char kKey[] = "0123456789abcdef0123456789abcdef";

Payload Series(char fill) {
  Payload payload;
  payload.intake = Intake::kMetrics;
  payload.route = "/api/v2/series";
  payload.kind = "series";
  payload.body = std::string(100, fill);
  payload.content_type = "application/x-protobuf";
  payload.content_encoding = "zstd";
  payload.item_count = 1;
  return payload;
}

class ForwarderSpillTest : public ::testing::Test {
 protected:
  ForwarderSpillTest() {
    options_.endpoints.metrics = {{kBaseUrl, kKey}};
    options_.retry_queue_max_bytes = 250;  // Two 100-byte bodies.
    SpillOptions spill;
    spill.directory = dir_.path() + "/transactions_to_retry";
    spill.max_bytes = 1 << 20;
    spill.disk_usage = [this](const std::string&) -> absl::StatusOr<DiskUsage> { return disk_; };
    options_.spill = spill;
  }

  Forwarder& Make() {
    forwarder_.reset();  // One forwarder on the directory at a time, as across a restart.
    forwarder_ =
        std::make_unique<Forwarder>(options_, http_, clock_, registry_, [] { return 0.0; });
    return *forwarder_;
  }

  // Bodies sent so far, each by its fill character.
  std::string Sent() const {
    std::string fills;
    for (const HttpRequest& request : http_.sent()) {
      fills.push_back(request.body.empty() ? '?' : request.body[0]);
    }
    return fills;
  }

  // Outage: the first payload fails and blocks the endpoint; the rest queue up behind it.
  void SubmitDuringOutage(Forwarder& forwarder, std::string_view fills) {
    forwarder.Submit(Series(fills[0]));
    http_.ScriptStatus(503);
    ASSERT_TRUE(http_.CompleteNext());
    for (char fill : fills.substr(1)) {
      forwarder.Submit(Series(fill));
    }
  }

  void TickAndComplete(Forwarder& forwarder) {
    clock_.Advance(seconds(5));
    forwarder.Tick();
    http_.CompleteAll();
  }

  testing::TempDir dir_;
  ForwarderOptions options_;
  sidecar::testing::FakeHttpClient http_;
  sidecar::testing::ManualClock clock_;
  telemetry::Registry registry_;
  DiskUsage disk_{uint64_t{100} << 30, uint64_t{90} << 30};
  std::unique_ptr<Forwarder> forwarder_;
};

TEST_F(ForwarderSpillTest, OverflowGoesToDiskAndEverythingArrivesOnceNewestFirst) {
  Forwarder& forwarder = Make();
  SubmitDuringOutage(forwarder, "abcde");
  // Each overflow writes the oldest half of the queue: {a, b}, then {c, d}; e stays in memory.
  EXPECT_EQ(registry_.SumOf(kTransactionsDropped), 0);
  EXPECT_EQ(registry_.ValueOf(kSpillTransactionsStored), 4);
  ASSERT_NE(forwarder.spill(), nullptr);
  EXPECT_EQ(forwarder.spill()->Files(), 2u);
  EXPECT_EQ(forwarder.retry_queue().size(), 1u);

  // Recovery: memory first, then the newest file, then the older one, one per retry interval.
  TickAndComplete(forwarder);
  EXPECT_EQ(Sent(), "ae");
  TickAndComplete(forwarder);
  EXPECT_EQ(Sent(), "aedc");
  TickAndComplete(forwarder);
  EXPECT_EQ(Sent(), "aedcba");
  TickAndComplete(forwarder);
  EXPECT_EQ(Sent(), "aedcba");  // Nothing sent twice.
  EXPECT_EQ(registry_.SumOf(kTransactionsSuccess), 5);
  EXPECT_EQ(registry_.ValueOf(kSpillTransactionsReplayed), 4);
  EXPECT_TRUE(forwarder.spill()->empty());
  EXPECT_EQ(registry_.ValueOf(kSpillFiles), 0);
  EXPECT_TRUE(forwarder.Idle());
}

TEST_F(ForwarderSpillTest, HighPriorityReplaysBeforeNormalWithinABatch) {
  Forwarder& forwarder = Make();
  forwarder.Submit(Series('a'));
  http_.ScriptStatus(503);
  ASSERT_TRUE(http_.CompleteNext());
  Payload high = Series('h');
  high.priority = Priority::kHigh;
  forwarder.Submit(std::move(high));
  forwarder.Submit(Series('b'));
  forwarder.Submit(Series('c'));  // b overflowed: a and b, never h, went to disk.
  TickAndComplete(forwarder);
  TickAndComplete(forwarder);
  TickAndComplete(forwarder);
  // Every body once; high priority is never the first evicted, so it goes with memory.
  std::string sent = Sent();
  std::sort(sent.begin() + 1, sent.end());
  EXPECT_EQ(sent, "aabch");
  EXPECT_EQ(Sent()[1], 'h');
}

TEST_F(ForwarderSpillTest, NewForwarderReplaysWhatThePreviousOneLeftOnDisk) {
  SubmitDuringOutage(Make(), "abcde");
  forwarder_.reset();  // Killed: memory (e) is lost, the disk ({a, b}, {c, d}) is not.

  Forwarder& restarted = Make();
  EXPECT_EQ(restarted.spill()->Files(), 2u);
  const size_t before = http_.sent().size();
  TickAndComplete(restarted);  // The first retry interval replays the newest file.
  TickAndComplete(restarted);
  TickAndComplete(restarted);
  EXPECT_EQ(Sent().substr(before), "dcba");
  EXPECT_TRUE(restarted.spill()->empty());
}

TEST_F(ForwarderSpillTest, ShutdownWritesTheRetryQueueToDiskAndReportsItAsSpilled) {
  Forwarder& forwarder = Make();
  SubmitDuringOutage(forwarder, "ab");
  forwarder.BeginShutdown(clock_.SteadyNow() + seconds(10));
  EXPECT_EQ(Sent(), "a");  // Blocked targets are not tried again: straight to disk.
  EXPECT_TRUE(forwarder.Idle());
  const ShutdownReport report = forwarder.Report();
  EXPECT_EQ(report.transactions_spilled, 2u);
  EXPECT_EQ(report.transactions_failed_at_stop, 0u);
  EXPECT_EQ(report.bytes_undelivered, 0u);

  Forwarder& restarted = Make();
  TickAndComplete(restarted);
  EXPECT_EQ(Sent(), "aba");
  EXPECT_EQ(registry_.SumOf(kTransactionsSuccess), 2);
}

TEST_F(ForwarderSpillTest, FailureDuringShutdownIsSpilledInsteadOfLost) {
  Forwarder& forwarder = Make();
  forwarder.Submit(Series('x'));
  forwarder.BeginShutdown(clock_.SteadyNow() + seconds(10));
  http_.ScriptStatus(503);
  ASSERT_TRUE(http_.CompleteNext());
  clock_.Advance(seconds(11));
  forwarder.Submit(Series('y'));  // After the deadline: never sent, but kept.
  const ShutdownReport report = forwarder.Report();
  EXPECT_EQ(report.transactions_spilled, 2u);
  EXPECT_EQ(report.transactions_failed_at_stop, 0u);
  EXPECT_EQ(forwarder.spill()->Files(), 2u);
}

TEST_F(ForwarderSpillTest, FullDiskFallsBackToDroppingOnlyTheOverflow) {
  disk_ = DiskUsage{1000, 10};  // 99% used.
  Forwarder& forwarder = Make();
  SubmitDuringOutage(forwarder, "abc");
  EXPECT_EQ(registry_.ValueOf(kTransactionsDropped, {{"endpoint", kHost},
                                                     {"intake", "metrics"},
                                                     {"kind", "series"},
                                                     {"reason", "retry_queue_full"}}),
            1);
  EXPECT_EQ(registry_.ValueOf(kSpillTransactionsDropped, {{"reason", "disk_full"}}), 1);
  EXPECT_EQ(forwarder.retry_queue().size(), 2u);  // b went back to the queue.
  TickAndComplete(forwarder);                     // Half-open: the newest goes alone as the probe.
  EXPECT_EQ(Sent(), "ac");
  TickAndComplete(forwarder);
  EXPECT_EQ(Sent(), "acb");
}

TEST_F(ForwarderSpillTest, UnusableStorageLeavesTheForwarderWorking) {
  options_.spill->directory = "/proc/sidecar-cannot-create-this";
  Forwarder& forwarder = Make();
  EXPECT_EQ(forwarder.spill(), nullptr);
  forwarder.Submit(Series('a'));
  http_.CompleteAll();
  EXPECT_EQ(registry_.SumOf(kTransactionsSuccess), 1);
}

}  // namespace
}  // namespace sidecar::forwarder
