// EcsMetadataClient: reads the ECS task metadata endpoint (TMDS, spec ecs-logs.md §A1) for the
// tagger and the `ecs_fargate` check (task_stats_check.h).
//
// Single-threaded core like forwarder::Forwarder: every method and every HttpClient completion
// runs on one thread (the egress io_context; AsioEcsMetadataClient adapts it). Tick() is called
// about once a second from outside and decides what to fetch; time comes from the injected Clock,
// so tests step it with a ManualClock and a scripted FakeHttpClient.
//
// Schedule (all intervals configurable, see EcsMetadataClientOptions):
//   start       GET {base}/task and GET {base} (this container) at the first Tick, each with a
//               2 s deadline. Until a *complete* task document arrives (HTTP 200, JSON object,
//               task KnownStatus not NONE, a non-empty Containers list that includes this
//               container: A1.4, A1-1) the pair is fetched again after a jittered exponential
//               backoff (0.5-1 s, 1-2 s, ... capped at 10 s). Incomplete documents are still
//               published, so task-level tags are known early.
//   refresh     every 10 s during the first minute after the first complete document (later
//               containers of the task appear then), then every 60 s.
//   stats       GET {base}/task/stats every 20 s once the task is known (A3
//               min_collection_interval), handed to `on_task_stats` (errors too, so the check can
//               report its service check).
// No path is ever requested more than once per `min_request_interval` (1 s, A1-4): the TMDS rate
// limit (40 req/s, burst 60) is shared with every other container of the task.
//
// Health: kStarting until the first complete task document, kReady after it, kDegraded when the
// start takes longer than `startup_grace` or a refresh fails after being ready (the last good
// documents stay published). Off ECS (no endpoint) the client is kNotOnEcs, logs that once and
// never touches the network.
//
// Telemetry: ecs_metadata.requests{path:container|task|task_stats,
// result:ok|http_error|timeout|transport_error|malformed} and ecs_metadata.documents_published.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/common/clock.h"
#include "agent/config/environment.h"
#include "agent/forwarder/backoff.h"
#include "agent/forwarder/http_client.h"
#include "agent/telemetry/registry.h"

namespace spdlog {
class logger;
}

namespace sidecar::container {

// --- Endpoint discovery (A1.1) -------------------------------------------------------------------

inline constexpr std::string_view kEnvMetadataUriV4 = "ECS_CONTAINER_METADATA_URI_V4";
inline constexpr std::string_view kEnvMetadataUriV3 = "ECS_CONTAINER_METADATA_URI";
// Markers that the process runs in an ECS task even though neither URI is set (very old agents or
// platform versions, where only v2 exists). ECS_FARGATE=true is the Datadog Agent's own switch;
// AWS_EXECUTION_ENV=AWS_ECS_FARGATE / AWS_ECS_EC2 is set by ECS itself.
inline constexpr std::string_view kEnvEcsFargate = "ECS_FARGATE";
inline constexpr std::string_view kEnvAwsExecutionEnv = "AWS_EXECUTION_ENV";
// v2 has a fixed address; the caller is identified by its source IP (awsvpc tasks only).
inline constexpr std::string_view kV2BaseUrl = "http://169.254.170.2/v2";

enum class MetadataVersion { kV2, kV3, kV4 };
std::string_view MetadataVersionName(MetadataVersion version);

struct MetadataEndpoint {
  MetadataVersion version = MetadataVersion::kV4;
  // v4/v3: the environment value without a trailing '/'; v2: kV2BaseUrl.
  std::string base_url;

  // v4/v3: {base} (this container's document). v2: "" (v2 needs our DockerId, which we do not
  // know; the client then fetches the task document only).
  std::string ContainerUrl() const;
  // v4/v3: {base}/task; v2: {base}/metadata.
  std::string TaskUrl() const;
  // v4/v3: {base}/task/stats; v2: {base}/stats (the same map keyed by DockerId).
  std::string TaskStatsUrl() const;

  bool operator==(const MetadataEndpoint&) const = default;
};

// ECS_CONTAINER_METADATA_URI_V4, else ECS_CONTAINER_METADATA_URI (v3), else v2 only when the
// process is told it runs on ECS (ECS_FARGATE=true or AWS_EXECUTION_ENV starting with "AWS_ECS"),
// else nullopt: not on ECS, and nothing is probed. An empty variable counts as unset. A URI that
// is not http:// or https:// is InvalidArgument naming the variable.
absl::StatusOr<std::optional<MetadataEndpoint>> DiscoverEndpoint(const config::Environment& env);

// --- Client -------------------------------------------------------------------------------------

struct EcsMetadataClientOptions {
  // nullopt: not on ECS. The client reports that once and never polls.
  std::optional<MetadataEndpoint> endpoint;
  // Deadline of each request. The Agent uses 1 s (ecs_metadata_timeout); 2 s leaves room for a
  // busy Fargate host while staying far below the TMDS server's own 5 s write timeout.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(2)};
  // Retry of the task/container pair while the task starts or after a failure:
  // for n failures a uniform delay in [base * 2^n / 2, base * 2^n], capped at max.
  forwarder::BackoffParams retry_backoff{.base = std::chrono::milliseconds(500),
                                         .max = std::chrono::seconds(10),
                                         .factor = 2,
                                         .recovery_interval = 1,
                                         .recovery_reset = true};
  // Minimum spacing between two requests to the same path (A1-4). Every interval is clamped to it.
  std::chrono::milliseconds min_request_interval{std::chrono::seconds(1)};
  // Task refresh: every fast_refresh_interval for fast_refresh_window after the first complete
  // document, then every refresh_interval.
  std::chrono::milliseconds fast_refresh_interval{std::chrono::seconds(10)};
  std::chrono::milliseconds fast_refresh_window{std::chrono::seconds(60)};
  std::chrono::milliseconds refresh_interval{std::chrono::seconds(60)};
  // /task/stats cadence (the ecs_fargate check's min_collection_interval); 0 disables stats.
  std::chrono::milliseconds stats_interval{std::chrono::seconds(20)};
  // Without a complete task document for this long after the first Tick, kStarting -> kDegraded.
  std::chrono::milliseconds startup_grace{std::chrono::seconds(30)};
};

enum class MetadataState { kNotOnEcs, kStarting, kReady, kDegraded };
std::string_view MetadataStateName(MetadataState state);

struct MetadataHealth {
  MetadataState state = MetadataState::kStarting;
  // Why the last task cycle was not a success ("" after a success): the HTTP status, transport
  // error or what is still missing from the document.
  std::string last_error;
  // Failed or incomplete task cycles since the last complete one.
  int consecutive_failures = 0;
  // Wall time of the last complete task document.
  std::optional<std::chrono::system_clock::time_point> last_success;
};

struct TaskStatsSample {
  std::string stats_json;  // The /task/stats body (a JSON object keyed by DockerId).
  std::string task_json;   // The latest task document, for limits and container types.
  std::chrono::system_clock::time_point fetched_at;
};

// Both run on the client's thread (the egress thread). Keep them short: hand the documents to
// the tagger / check thread by posting.
struct EcsMetadataCallbacks {
  // Called when the task document or this container's document changed, ignoring the fields that
  // change on every read (ClockDrift, EphemeralStorageMetrics). container_json is "" on v2.
  std::function<void(std::string task_json, std::string container_json)> on_task_document;
  // Called after every /task/stats fetch: the sample, or why it could not be read.
  std::function<void(absl::StatusOr<TaskStatsSample> sample)> on_task_stats;
};

// Self-telemetry names and tag values.
inline constexpr std::string_view kMetadataRequests = "ecs_metadata.requests";
inline constexpr std::string_view kMetadataDocumentsPublished = "ecs_metadata.documents_published";
inline constexpr std::string_view kPathContainer = "container";
inline constexpr std::string_view kPathTask = "task";
inline constexpr std::string_view kPathTaskStats = "task_stats";
inline constexpr std::string_view kResultOk = "ok";
inline constexpr std::string_view kResultHttpError = "http_error";
inline constexpr std::string_view kResultTimeout = "timeout";
inline constexpr std::string_view kResultTransportError = "transport_error";
inline constexpr std::string_view kResultMalformed = "malformed";

class EcsMetadataClient {
 public:
  // `http`, `clock` and `registry` must outlive the client. Completions arriving after the client
  // is destroyed are ignored.
  EcsMetadataClient(EcsMetadataClientOptions options, EcsMetadataCallbacks callbacks,
                    forwarder::HttpClient& http, const common::Clock& clock,
                    telemetry::Registry& registry, forwarder::UniformSource uniform);
  ~EcsMetadataClient();
  EcsMetadataClient(const EcsMetadataClient&) = delete;
  EcsMetadataClient& operator=(const EcsMetadataClient&) = delete;

  // Starts whatever is due. Cheap when nothing is.
  void Tick();
  // No new requests after this; completions of requests in flight are ignored.
  void Stop();

  const MetadataHealth& health() const { return health_; }
  // When the next task/container fetch may start (steady clock). For tests and status.
  std::chrono::steady_clock::time_point next_task_fetch() const { return next_task_at_; }
  std::chrono::steady_clock::time_point next_stats_fetch() const { return next_stats_at_; }

 private:
  struct Fetch;      // One finished request: classified result + body.
  struct TaskCycle;  // The task + container pair in flight.
  struct Counters;   // Registry references, taken once.
  struct Published;  // What was last handed to on_task_document.

  void StartTaskCycle(std::chrono::steady_clock::time_point now);
  void StartStats(std::chrono::steady_clock::time_point now);
  void Send(std::string url, std::string_view path_tag, std::function<void(Fetch)> on_done);
  void OnTaskCycleDone();
  void OnStatsDone(Fetch fetch);
  void ScheduleAfterFailure(std::chrono::steady_clock::time_point now, std::string error);
  std::chrono::milliseconds RefreshInterval(std::chrono::steady_clock::time_point now) const;
  void SetState(MetadataState state);

  const EcsMetadataClientOptions options_;
  const EcsMetadataCallbacks callbacks_;
  forwarder::HttpClient& http_;
  const common::Clock& clock_;
  forwarder::Backoff backoff_;
  std::unique_ptr<Counters> counters_;
  std::shared_ptr<spdlog::logger> logger_;
  // Completions hold a weak_ptr to this token, so they become no-ops once the client is gone.
  std::shared_ptr<EcsMetadataClient*> alive_;

  MetadataHealth health_;
  bool started_ = false;
  bool stopped_ = false;
  bool reported_not_on_ecs_ = false;
  std::chrono::steady_clock::time_point started_at_{};
  std::optional<std::chrono::steady_clock::time_point> first_ready_at_;
  std::chrono::steady_clock::time_point next_task_at_{};
  std::chrono::steady_clock::time_point next_stats_at_{};
  std::chrono::steady_clock::time_point last_task_send_{};
  std::unique_ptr<TaskCycle> task_cycle_;  // Non-null while the pair is in flight.
  bool stats_in_flight_ = false;
  std::unique_ptr<Published> published_;
  std::string latest_task_json_;
};

}  // namespace sidecar::container
