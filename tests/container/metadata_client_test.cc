#include "container/metadata_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/config/environment.h"
#include "tests/testing/manual_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testdata.h"

namespace sidecar::container {
namespace {

using ::sidecar::testing::StatusIs;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kBase = "http://169.254.170.2/v4/abc-123";
const std::string kTaskUrl = std::string(kBase) + "/task";
const std::string kContainerUrl = std::string(kBase);
const std::string kStatsUrl = std::string(kBase) + "/task/stats";

// An HttpClient that holds every request until the test answers it by URL with a status and a
// body. (FakeHttpClient scripts statuses only; TMDS answers need bodies.)
class ScriptedHttpClient final : public forwarder::HttpClient {
 public:
  struct Sent {
    std::string method;
    std::string url;
    steady_clock::time_point deadline;
  };

  void Send(forwarder::HttpRequest request, steady_clock::time_point deadline, Done done) override {
    sent_.push_back(Sent{request.method, request.url, deadline});
    pending_.push_back(Pending{std::move(request.url), std::move(done)});
  }
  void Drain(steady_clock::time_point /*deadline*/) override {}

  // Completes the oldest request in flight for `url`. False when there is none.
  bool Complete(std::string_view url, forwarder::HttpResult result) {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->url == url) {
        Done done = std::move(it->done);
        pending_.erase(it);
        done(std::move(result));
        return true;
      }
    }
    return false;
  }
  bool Ok(std::string_view url, std::string body) {
    return Complete(url, forwarder::HttpResult{absl::OkStatus(), {200, {}, std::move(body)}});
  }
  bool Status(std::string_view url, int status) {
    return Complete(url, forwarder::HttpResult{absl::OkStatus(), {status, {}, "failed\n"}});
  }
  bool Transport(std::string_view url, absl::Status error) {
    return Complete(url, forwarder::HttpResult{std::move(error), {}});
  }

  int SentTo(std::string_view url) const {
    int n = 0;
    for (const Sent& sent : sent_) {
      n += sent.url == url ? 1 : 0;
    }
    return n;
  }
  const std::vector<Sent>& sent() const { return sent_; }
  size_t in_flight() const { return pending_.size(); }

 private:
  struct Pending {
    std::string url;
    Done done;
  };
  std::vector<Sent> sent_;
  std::deque<Pending> pending_;
};

std::string Fixture(std::string_view name) {
  absl::StatusOr<std::string> text =
      testing::ReadFileToString(testing::TestdataPath(std::string("ecs/") + std::string(name)));
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

// The Fargate task document with `edit` applied.
std::string EditedTask(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json task = nlohmann::json::parse(Fixture("fargate_task.json"));
  edit(task);
  return task.dump();
}

struct Published {
  std::string task;
  std::string container;
};

class EcsMetadataClientTest : public ::testing::Test {
 protected:
  EcsMetadataClientOptions Options() {
    EcsMetadataClientOptions options;
    options.endpoint = MetadataEndpoint{MetadataVersion::kV4, std::string(kBase)};
    return options;
  }

  // `uniform` 1.0 picks the top of each backoff interval: 1 s, 2 s, 4 s, 8 s, then 10 s.
  void Make(EcsMetadataClientOptions options, double uniform = 1.0) {
    EcsMetadataCallbacks callbacks;
    callbacks.on_task_document = [this](std::string task, std::string container) {
      published_.push_back(Published{std::move(task), std::move(container)});
    };
    callbacks.on_task_stats = [this](absl::StatusOr<TaskStatsSample> sample) {
      stats_.push_back(std::move(sample));
    };
    client_.emplace(std::move(options), std::move(callbacks), http_, clock_, registry_,
                    [uniform] { return uniform; });
  }
  void Make() { Make(Options()); }

  // Answers the pending task/container pair with the Fargate fixtures (or `task`).
  void AnswerPair(std::string task = Fixture("fargate_task.json")) {
    EXPECT_TRUE(http_.Ok(kContainerUrl, Fixture("fargate_container.json")));
    EXPECT_TRUE(http_.Ok(kTaskUrl, std::move(task)));
  }

  // Start, succeed at once: kReady at t0.
  void StartReady() {
    client_->Tick();
    AnswerPair();
    ASSERT_EQ(client_->health().state, MetadataState::kReady);
  }

  int64_t Requests(std::string_view path, std::string_view result) const {
    return registry_.ValueOf(kMetadataRequests,
                             {{"path", std::string(path)}, {"result", std::string(result)}});
  }

  testing::ManualClock clock_;
  telemetry::Registry registry_;
  ScriptedHttpClient http_;
  std::vector<Published> published_;
  std::vector<absl::StatusOr<TaskStatsSample>> stats_;
  std::optional<EcsMetadataClient> client_;
};

// --- Discovery (A1.1) ----------------------------------------------------------------------------

TEST(DiscoverEndpointTest, PrefersV4OverV3AndTrimsTheTrailingSlash) {
  config::MapEnvironment env({{"ECS_CONTAINER_METADATA_URI_V4", "http://169.254.170.2/v4/abc/"},
                              {"ECS_CONTAINER_METADATA_URI", "http://169.254.170.2/v3/abc"}});
  absl::StatusOr<std::optional<MetadataEndpoint>> endpoint = DiscoverEndpoint(env);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  ASSERT_TRUE(endpoint->has_value());
  EXPECT_EQ((*endpoint)->version, MetadataVersion::kV4);
  EXPECT_EQ((*endpoint)->TaskUrl(), "http://169.254.170.2/v4/abc/task");
  EXPECT_EQ((*endpoint)->ContainerUrl(), "http://169.254.170.2/v4/abc");
  EXPECT_EQ((*endpoint)->TaskStatsUrl(), "http://169.254.170.2/v4/abc/task/stats");
}

TEST(DiscoverEndpointTest, FallsBackToV3) {
  config::MapEnvironment env({{"ECS_CONTAINER_METADATA_URI", "http://169.254.170.2/v3/abc"},
                              {"ECS_CONTAINER_METADATA_URI_V4", ""}});
  absl::StatusOr<std::optional<MetadataEndpoint>> endpoint = DiscoverEndpoint(env);
  ASSERT_TRUE(endpoint.ok() && endpoint->has_value());
  EXPECT_EQ((*endpoint)->version, MetadataVersion::kV3);
  EXPECT_EQ((*endpoint)->TaskStatsUrl(), "http://169.254.170.2/v3/abc/task/stats");
}

TEST(DiscoverEndpointTest, NothingOffEcs) {
  config::MapEnvironment env({{"HOME", "/root"}, {"AWS_EXECUTION_ENV", "AWS_Lambda_python3.12"}});
  absl::StatusOr<std::optional<MetadataEndpoint>> endpoint = DiscoverEndpoint(env);
  ASSERT_TRUE(endpoint.ok());
  EXPECT_FALSE(endpoint->has_value());
}

TEST(DiscoverEndpointTest, V2OnlyWhenToldItIsOnEcs) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"ECS_FARGATE", "true"}, {"AWS_EXECUTION_ENV", "AWS_ECS_EC2"}}) {
    config::MapEnvironment env;
    env.Set(name, value);
    absl::StatusOr<std::optional<MetadataEndpoint>> endpoint = DiscoverEndpoint(env);
    ASSERT_TRUE(endpoint.ok() && endpoint->has_value()) << name;
    EXPECT_EQ((*endpoint)->version, MetadataVersion::kV2);
    EXPECT_EQ((*endpoint)->TaskUrl(), "http://169.254.170.2/v2/metadata");
    EXPECT_EQ((*endpoint)->TaskStatsUrl(), "http://169.254.170.2/v2/stats");
    EXPECT_EQ((*endpoint)->ContainerUrl(), "");
  }
}

TEST(DiscoverEndpointTest, RejectsANonHttpUriNamingTheVariable) {
  config::MapEnvironment env;
  env.Set("ECS_CONTAINER_METADATA_URI_V4", "169.254.170.2/v4/abc");
  EXPECT_THAT(DiscoverEndpoint(env), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("ECS_CONTAINER_METADATA_URI_V4")));
}

// --- Start-up ------------------------------------------------------------------------------------

TEST_F(EcsMetadataClientTest, FirstTickGetsTaskAndContainerWithATwoSecondDeadline) {
  Make();
  const steady_clock::time_point t0 = clock_.SteadyNow();
  client_->Tick();
  ASSERT_EQ(http_.sent().size(), 2u);
  for (const ScriptedHttpClient::Sent& sent : http_.sent()) {
    EXPECT_EQ(sent.method, "GET");
    EXPECT_EQ(sent.deadline, t0 + seconds(2));
  }
  EXPECT_EQ(http_.SentTo(kTaskUrl), 1);
  EXPECT_EQ(http_.SentTo(kContainerUrl), 1);
  client_->Tick();  // In flight: nothing new.
  EXPECT_EQ(http_.sent().size(), 2u);
  EXPECT_EQ(client_->health().state, MetadataState::kStarting);
}

TEST_F(EcsMetadataClientTest, RetriesServerErrorsWithExponentialBackoffThenPublishes) {
  Make();
  const steady_clock::time_point t0 = clock_.SteadyNow();
  client_->Tick();
  ASSERT_TRUE(http_.Status(kTaskUrl, 500));
  ASSERT_TRUE(http_.Ok(kContainerUrl, Fixture("fargate_container.json")));
  EXPECT_EQ(client_->next_task_fetch(), t0 + seconds(1));  // 1 error: [0.5 s, 1 s].
  EXPECT_THAT(client_->health().last_error, HasSubstr("HTTP 500"));
  EXPECT_TRUE(published_.empty());

  clock_.Advance(milliseconds(999));
  client_->Tick();
  EXPECT_EQ(http_.SentTo(kTaskUrl), 1);  // Not yet.
  clock_.Advance(milliseconds(1));
  client_->Tick();
  EXPECT_EQ(http_.SentTo(kTaskUrl), 2);
  ASSERT_TRUE(http_.Status(kTaskUrl, 404));
  ASSERT_TRUE(http_.Ok(kContainerUrl, Fixture("fargate_container.json")));
  EXPECT_EQ(client_->next_task_fetch(), t0 + seconds(1) + seconds(2));  // 2 errors: [1 s, 2 s].
  EXPECT_EQ(client_->health().consecutive_failures, 2);

  clock_.Advance(seconds(2));
  client_->Tick();
  EXPECT_EQ(http_.SentTo(kTaskUrl), 3);
  AnswerPair();
  EXPECT_EQ(client_->health().state, MetadataState::kReady);
  EXPECT_EQ(client_->health().last_error, "");
  EXPECT_EQ(client_->health().consecutive_failures, 0);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].task, Fixture("fargate_task.json"));
  EXPECT_EQ(published_[0].container, Fixture("fargate_container.json"));
  EXPECT_EQ(Requests(kPathTask, kResultHttpError), 2);
  EXPECT_EQ(Requests(kPathTask, kResultOk), 1);
  EXPECT_EQ(Requests(kPathContainer, kResultOk), 3);
}

TEST_F(EcsMetadataClientTest, BackoffKeepsAtLeastOneSecondBetweenRequestsToAPath) {
  Make(Options(), /*uniform=*/0.0);  // Bottom of each interval: 0.5 s for the first error.
  const steady_clock::time_point t0 = clock_.SteadyNow();
  client_->Tick();
  ASSERT_TRUE(http_.Status(kTaskUrl, 500));
  ASSERT_TRUE(http_.Status(kContainerUrl, 500));
  // A1-4: never more than one request per second per path, whatever the backoff says.
  EXPECT_EQ(client_->next_task_fetch(), t0 + seconds(1));
  clock_.Advance(milliseconds(600));
  client_->Tick();
  EXPECT_EQ(http_.SentTo(kTaskUrl), 1);
  clock_.Advance(milliseconds(400));
  client_->Tick();
  EXPECT_EQ(http_.SentTo(kTaskUrl), 2);
}

TEST_F(EcsMetadataClientTest, TimeoutsAreCountedAndRetried) {
  Make();
  const steady_clock::time_point t0 = clock_.SteadyNow();
  client_->Tick();
  ASSERT_TRUE(http_.Transport(kTaskUrl, absl::DeadlineExceededError("timed out after 2000 ms")));
  ASSERT_TRUE(http_.Transport(kContainerUrl, absl::UnavailableError("connection refused")));
  EXPECT_EQ(Requests(kPathTask, kResultTimeout), 1);
  EXPECT_EQ(Requests(kPathContainer, kResultTransportError), 1);
  EXPECT_THAT(client_->health().last_error, HasSubstr("timed out"));
  EXPECT_EQ(client_->next_task_fetch(), t0 + seconds(1));
  EXPECT_EQ(client_->health().state, MetadataState::kStarting);
}

TEST_F(EcsMetadataClientTest, MalformedDocumentIsCountedAndRetried) {
  Make();
  client_->Tick();
  const std::string task = Fixture("fargate_task.json");
  ASSERT_TRUE(http_.Ok(kTaskUrl, task.substr(0, task.size() / 2)));
  ASSERT_TRUE(http_.Ok(kContainerUrl, Fixture("fargate_container.json")));
  EXPECT_EQ(Requests(kPathTask, kResultMalformed), 1);
  EXPECT_TRUE(published_.empty());
  EXPECT_EQ(client_->health().consecutive_failures, 1);
}

// A1.4, A1-1: a starting task is not an error, but the client keeps polling at the retry cadence.
TEST_F(EcsMetadataClientTest, KnownStatusNoneKeepsPollingAndPublishesTheEarlyDocument) {
  Make();
  const steady_clock::time_point t0 = clock_.SteadyNow();
  client_->Tick();
  AnswerPair(EditedTask([](nlohmann::json& task) { task["KnownStatus"] = "NONE"; }));
  EXPECT_EQ(client_->health().state, MetadataState::kStarting);
  EXPECT_THAT(client_->health().last_error, HasSubstr("KnownStatus is NONE"));
  ASSERT_EQ(published_.size(), 1u);  // Task-level tags are usable already.
  EXPECT_EQ(client_->next_task_fetch(), t0 + seconds(1));

  clock_.Advance(seconds(1));
  client_->Tick();
  AnswerPair(EditedTask([](nlohmann::json& task) { task["KnownStatus"] = "NONE"; }));
  EXPECT_EQ(published_.size(), 1u);  // Unchanged: not published again.
  EXPECT_EQ(client_->next_task_fetch(), t0 + seconds(1) + seconds(2));

  clock_.Advance(seconds(2));
  client_->Tick();
  AnswerPair();
  EXPECT_EQ(client_->health().state, MetadataState::kReady);
  EXPECT_EQ(published_.size(), 2u);
  EXPECT_EQ(client_->next_task_fetch(), t0 + seconds(3) + seconds(10));
}

TEST_F(EcsMetadataClientTest, KeepsPollingUntilThisContainerIsListed) {
  Make();
  client_->Tick();
  // Only `web` has been created so far; this container (dd-agent) is not in the list yet.
  AnswerPair(EditedTask(
      [](nlohmann::json& task) { task["Containers"].erase(task["Containers"].begin()); }));
  EXPECT_EQ(client_->health().state, MetadataState::kStarting);
  EXPECT_THAT(client_->health().last_error, HasSubstr("not listed"));

  clock_.Advance(seconds(1));
  client_->Tick();
  AnswerPair(
      EditedTask([](nlohmann::json& task) { task["Containers"] = nlohmann::json::array(); }));
  EXPECT_THAT(client_->health().last_error, HasSubstr("no containers"));
}

TEST_F(EcsMetadataClientTest, StartupLongerThanTheGraceIsDegraded) {
  EcsMetadataClientOptions options = Options();
  options.startup_grace = seconds(5);
  Make(options);
  client_->Tick();
  ASSERT_TRUE(http_.Status(kTaskUrl, 500));
  ASSERT_TRUE(http_.Status(kContainerUrl, 500));
  clock_.Advance(seconds(4));
  client_->Tick();
  EXPECT_EQ(client_->health().state, MetadataState::kStarting);
  clock_.Advance(seconds(1));
  client_->Tick();
  EXPECT_EQ(client_->health().state, MetadataState::kDegraded);
  ASSERT_TRUE(http_.Status(kTaskUrl, 500));
  ASSERT_TRUE(http_.Status(kContainerUrl, 500));
  EXPECT_EQ(client_->health().state, MetadataState::kDegraded);
}

// --- Refresh -------------------------------------------------------------------------------------

TEST_F(EcsMetadataClientTest, RefreshesEveryTenSecondsForAMinuteThenEveryMinute) {
  Make();
  const steady_clock::time_point t0 = clock_.SteadyNow();
  StartReady();
  std::vector<int64_t> fetch_offsets_s;
  for (int i = 0; i < 200 && fetch_offsets_s.size() < 8; ++i) {
    clock_.Advance(seconds(1));
    const int before = http_.SentTo(kTaskUrl);
    client_->Tick();
    if (http_.SentTo(kTaskUrl) > before) {
      fetch_offsets_s.push_back(
          std::chrono::duration_cast<seconds>(clock_.SteadyNow() - t0).count());
      AnswerPair();
    }
    http_.Ok(kStatsUrl, Fixture("fargate_task_stats.json"));
  }
  EXPECT_THAT(fetch_offsets_s, ElementsAre(10, 20, 30, 40, 50, 60, 120, 180));
  EXPECT_EQ(published_.size(), 1u);  // Same documents every time.
}

TEST_F(EcsMetadataClientTest, PublishesOnlyWhenTheDocumentsChange) {
  Make();
  StartReady();
  ASSERT_EQ(published_.size(), 1u);

  // ClockDrift and EphemeralStorageMetrics change on every read: not a change.
  clock_.Advance(seconds(10));
  client_->Tick();
  AnswerPair(EditedTask([](nlohmann::json& task) {
    task["ClockDrift"]["ReferenceTimestamp"] = "2023-06-20T01:19:13Z";
    task["EphemeralStorageMetrics"]["Utilized"] = 2930;
  }));
  EXPECT_EQ(published_.size(), 1u);
  EXPECT_EQ(registry_.ValueOf(kMetadataDocumentsPublished), 1);

  // A container that appeared later is a change.
  clock_.Advance(seconds(10));
  client_->Tick();
  const std::string grown = EditedTask([](nlohmann::json& task) {
    nlohmann::json late = task["Containers"][1];
    late["DockerId"] = "67cd8a22b533459696d4ccab5278e009-1111111111";
    late["Name"] = "worker";
    task["Containers"].push_back(late);
  });
  AnswerPair(grown);
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[1].task, grown);
  EXPECT_EQ(registry_.ValueOf(kMetadataDocumentsPublished), 2);
}

TEST_F(EcsMetadataClientTest, RefreshFailureDegradesKeepsDocumentsAndRecovers) {
  Make();
  StartReady();
  const steady_clock::time_point ready_at = clock_.SteadyNow();
  clock_.Advance(seconds(10));
  client_->Tick();
  ASSERT_TRUE(http_.Status(kTaskUrl, 503));
  ASSERT_TRUE(http_.Ok(kContainerUrl, Fixture("fargate_container.json")));
  EXPECT_EQ(client_->health().state, MetadataState::kDegraded);
  EXPECT_THAT(client_->health().last_error, HasSubstr("HTTP 503"));
  EXPECT_EQ(client_->next_task_fetch(), ready_at + seconds(11));  // Backoff, not the refresh.
  EXPECT_EQ(published_.size(), 1u);

  clock_.Advance(seconds(1));
  client_->Tick();
  AnswerPair();
  EXPECT_EQ(client_->health().state, MetadataState::kReady);
  EXPECT_EQ(published_.size(), 1u);  // Same documents as before the failure.
}

// --- Stats ---------------------------------------------------------------------------------------

TEST_F(EcsMetadataClientTest, StatsStartOnceReadyThenEveryTwentySeconds) {
  Make();
  client_->Tick();
  EXPECT_EQ(http_.SentTo(kStatsUrl), 0);  // Not before the task is known.
  AnswerPair();
  const steady_clock::time_point ready_at = clock_.SteadyNow();
  client_->Tick();
  ASSERT_EQ(http_.SentTo(kStatsUrl), 1);
  ASSERT_TRUE(http_.Ok(kStatsUrl, Fixture("fargate_task_stats.json")));
  ASSERT_EQ(stats_.size(), 1u);
  ASSERT_TRUE(stats_[0].ok());
  EXPECT_EQ(stats_[0]->stats_json, Fixture("fargate_task_stats.json"));
  EXPECT_EQ(stats_[0]->task_json, Fixture("fargate_task.json"));
  EXPECT_EQ(stats_[0]->fetched_at, clock_.SystemNow());
  EXPECT_EQ(client_->next_stats_fetch(), ready_at + seconds(20));

  clock_.Advance(seconds(19));
  client_->Tick();
  http_.Ok(kTaskUrl, Fixture("fargate_task.json"));  // The 10 s refresh, if any.
  http_.Ok(kContainerUrl, Fixture("fargate_container.json"));
  EXPECT_EQ(http_.SentTo(kStatsUrl), 1);
  clock_.Advance(seconds(1));
  client_->Tick();
  EXPECT_EQ(http_.SentTo(kStatsUrl), 2);
  ASSERT_TRUE(http_.Status(kStatsUrl, 500));
  ASSERT_EQ(stats_.size(), 2u);
  EXPECT_THAT(stats_[1], StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 500")));
  EXPECT_EQ(Requests(kPathTaskStats, kResultOk), 1);
  EXPECT_EQ(Requests(kPathTaskStats, kResultHttpError), 1);
  EXPECT_EQ(client_->health().state, MetadataState::kReady);  // Stats do not change health.
}

TEST_F(EcsMetadataClientTest, ZeroStatsIntervalDisablesStats) {
  EcsMetadataClientOptions options = Options();
  options.stats_interval = milliseconds(0);
  Make(options);
  StartReady();
  for (int i = 0; i < 30; ++i) {
    clock_.Advance(seconds(1));
    client_->Tick();
    http_.Ok(kTaskUrl, Fixture("fargate_task.json"));
    http_.Ok(kContainerUrl, Fixture("fargate_container.json"));
  }
  EXPECT_EQ(http_.SentTo(kStatsUrl), 0);
  EXPECT_GT(http_.SentTo(kTaskUrl), 1);
}

// --- Lifecycle -----------------------------------------------------------------------------------

TEST_F(EcsMetadataClientTest, OffEcsNeverTouchesTheNetwork) {
  EcsMetadataClientOptions options;  // No endpoint.
  Make(options);
  for (int i = 0; i < 5; ++i) {
    client_->Tick();
    clock_.Advance(seconds(60));
  }
  EXPECT_TRUE(http_.sent().empty());
  EXPECT_EQ(client_->health().state, MetadataState::kNotOnEcs);
  EXPECT_EQ(client_->health().last_error, "not on ECS");
}

TEST_F(EcsMetadataClientTest, CompletionsAfterStopOrDestructionAreIgnored) {
  Make();
  client_->Tick();
  client_->Stop();
  AnswerPair();
  EXPECT_TRUE(published_.empty());
  clock_.Advance(seconds(5));
  client_->Tick();
  EXPECT_EQ(http_.sent().size(), 2u);

  Make();  // A new client; the old one is destroyed with nothing in flight.
  client_->Tick();
  client_.reset();
  AnswerPair();  // Must not touch the destroyed client.
  EXPECT_TRUE(published_.empty());
}

TEST_F(EcsMetadataClientTest, V2FetchesTheTaskDocumentOnly) {
  EcsMetadataClientOptions options;
  options.endpoint = MetadataEndpoint{MetadataVersion::kV2, std::string(kV2BaseUrl)};
  Make(options);
  client_->Tick();
  ASSERT_EQ(http_.sent().size(), 1u);
  EXPECT_EQ(http_.sent()[0].url, "http://169.254.170.2/v2/metadata");
  ASSERT_TRUE(http_.Ok("http://169.254.170.2/v2/metadata", Fixture("fargate_task.json")));
  EXPECT_EQ(client_->health().state, MetadataState::kReady);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].container, "");
}

}  // namespace
}  // namespace sidecar::container
