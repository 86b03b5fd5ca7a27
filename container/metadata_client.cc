#include "container/metadata_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "agent/common/absl_fmt.h"
#include "agent/common/logging.h"
#include "agent/common/strings.h"

namespace sidecar::container {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::string_view kLoggerName = "ecs_metadata";

// Strips the trailing slashes of a base URL so paths can be appended.
std::string TrimTrailingSlashes(std::string_view url) {
  while (!url.empty() && url.back() == '/') {
    url.remove_suffix(1);
  }
  return std::string(url);
}

absl::StatusOr<std::optional<MetadataEndpoint>> EndpointFromVariable(const config::Environment& env,
                                                                     std::string_view name,
                                                                     MetadataVersion version) {
  std::optional<std::string> value = env.Get(name);
  if (!value.has_value()) {
    return std::optional<MetadataEndpoint>();
  }
  const std::string_view trimmed = common::TrimAsciiSpace(*value);
  if (trimmed.empty()) {
    return std::optional<MetadataEndpoint>();
  }
  if (!trimmed.starts_with("http://") && !trimmed.starts_with("https://")) {
    return absl::InvalidArgumentError(fmt::format(
        "{} must be an http:// URL (ECS sets it, e.g. http://169.254.170.2/v4/<id>); got '{}'.",
        name, trimmed));
  }
  return std::optional<MetadataEndpoint>(MetadataEndpoint{version, TrimTrailingSlashes(trimmed)});
}

bool ToldOnEcs(const config::Environment& env) {
  if (std::optional<std::string> fargate = env.Get(kEnvEcsFargate); fargate.has_value()) {
    const std::string value = common::AsciiToLower(common::TrimAsciiSpace(*fargate));
    if (value == "true" || value == "1" || value == "yes") {
      return true;
    }
  }
  if (std::optional<std::string> execution = env.Get(kEnvAwsExecutionEnv); execution.has_value()) {
    return execution->starts_with("AWS_ECS");
  }
  return false;
}

// Fields that change on (almost) every read and must not make a document count as changed.
constexpr std::string_view kVolatileTaskFields[] = {"ClockDrift", "EphemeralStorageMetrics"};

nlohmann::json Significant(nlohmann::json document) {
  if (document.is_object()) {
    for (std::string_view field : kVolatileTaskFields) {
      document.erase(std::string(field));
    }
  }
  return document;
}

// Why a parsed task document is not complete yet (A1.4), or "" when it is.
std::string IncompleteReason(const nlohmann::json& task, const nlohmann::json& container) {
  const auto known = task.find("KnownStatus");
  if (known != task.end() && known->is_string() && known->get<std::string>() == "NONE") {
    return "task KnownStatus is NONE";
  }
  const auto containers = task.find("Containers");
  if (containers == task.end() || !containers->is_array() || containers->empty()) {
    return "task document lists no containers yet";
  }
  if (!container.is_object()) {
    return "";  // v2: no container document to look for.
  }
  const auto own_id = container.find("DockerId");
  if (own_id == container.end() || !own_id->is_string()) {
    return "";  // Nothing to match; accept the task as it is.
  }
  for (const nlohmann::json& entry : *containers) {
    if (entry.is_object()) {
      const auto id = entry.find("DockerId");
      if (id != entry.end() && *id == *own_id) {
        return "";
      }
    }
  }
  return fmt::format("this container ({}) is not listed in the task yet",
                     own_id->get<std::string>());
}

}  // namespace

std::string_view MetadataVersionName(MetadataVersion version) {
  switch (version) {
    case MetadataVersion::kV2:
      return "v2";
    case MetadataVersion::kV3:
      return "v3";
    case MetadataVersion::kV4:
      return "v4";
  }
  return "unknown";
}

std::string_view MetadataStateName(MetadataState state) {
  switch (state) {
    case MetadataState::kNotOnEcs:
      return "not_on_ecs";
    case MetadataState::kStarting:
      return "starting";
    case MetadataState::kReady:
      return "ready";
    case MetadataState::kDegraded:
      return "degraded";
  }
  return "unknown";
}

std::string MetadataEndpoint::ContainerUrl() const {
  return version == MetadataVersion::kV2 ? std::string() : base_url;
}

std::string MetadataEndpoint::TaskUrl() const {
  return base_url + (version == MetadataVersion::kV2 ? "/metadata" : "/task");
}

std::string MetadataEndpoint::TaskStatsUrl() const {
  return base_url + (version == MetadataVersion::kV2 ? "/stats" : "/task/stats");
}

absl::StatusOr<std::optional<MetadataEndpoint>> DiscoverEndpoint(const config::Environment& env) {
  absl::StatusOr<std::optional<MetadataEndpoint>> v4 =
      EndpointFromVariable(env, kEnvMetadataUriV4, MetadataVersion::kV4);
  if (!v4.ok() || v4->has_value()) {
    return v4;
  }
  absl::StatusOr<std::optional<MetadataEndpoint>> v3 =
      EndpointFromVariable(env, kEnvMetadataUriV3, MetadataVersion::kV3);
  if (!v3.ok() || v3->has_value()) {
    return v3;
  }
  if (ToldOnEcs(env)) {
    return std::optional<MetadataEndpoint>(
        MetadataEndpoint{MetadataVersion::kV2, std::string(kV2BaseUrl)});
  }
  return std::optional<MetadataEndpoint>();
}

// --- EcsMetadataClient ---------------------------------------------------------------------------

struct EcsMetadataClient::Fetch {
  std::string_view result = kResultOk;  // One of the kResult* values.
  std::string error;                    // "" when result is ok.
  std::string body;
  nlohmann::json json;  // Parsed body when result is ok.
};

struct EcsMetadataClient::TaskCycle {
  int outstanding = 0;
  std::optional<Fetch> task;
  std::optional<Fetch> container;  // Stays empty on v2.
};

struct EcsMetadataClient::Counters {
  explicit Counters(telemetry::Registry& registry)
      : documents_published(registry.GetCounter(kMetadataDocumentsPublished)) {
    for (std::string_view path : {kPathContainer, kPathTask, kPathTaskStats}) {
      for (std::string_view result :
           {kResultOk, kResultHttpError, kResultTimeout, kResultTransportError, kResultMalformed}) {
        requests.push_back(Entry{
            path, result,
            &registry.GetCounter(kMetadataRequests,
                                 {{"path", std::string(path)}, {"result", std::string(result)}})});
      }
    }
  }

  telemetry::Counter& Request(std::string_view path, std::string_view result) {
    for (Entry& entry : requests) {
      if (entry.path == path && entry.result == result) {
        return *entry.counter;
      }
    }
    return *requests.front().counter;  // Unreachable: paths and results are closed sets.
  }

  struct Entry {
    std::string_view path;
    std::string_view result;
    telemetry::Counter* counter;
  };
  std::vector<Entry> requests;
  telemetry::Counter& documents_published;
};

struct EcsMetadataClient::Published {
  nlohmann::json task;
  nlohmann::json container;
};

EcsMetadataClient::EcsMetadataClient(EcsMetadataClientOptions options,
                                     EcsMetadataCallbacks callbacks, forwarder::HttpClient& http,
                                     const common::Clock& clock, telemetry::Registry& registry,
                                     forwarder::UniformSource uniform)
    : options_([&] {
        // Every interval respects the per-path spacing (A1-4).
        const milliseconds floor = std::max(options.min_request_interval, milliseconds(0));
        options.fast_refresh_interval = std::max(options.fast_refresh_interval, floor);
        options.refresh_interval = std::max(options.refresh_interval, floor);
        if (options.stats_interval > milliseconds(0)) {
          options.stats_interval = std::max(options.stats_interval, floor);
        }
        return std::move(options);
      }()),
      callbacks_(std::move(callbacks)),
      http_(http),
      clock_(clock),
      backoff_(options_.retry_backoff, std::move(uniform)),
      counters_(std::make_unique<Counters>(registry)),
      logger_(common::Logger(std::string(kLoggerName))),
      alive_(std::make_shared<EcsMetadataClient*>(this)) {
  if (!options_.endpoint.has_value()) {
    health_.state = MetadataState::kNotOnEcs;
    health_.last_error = "not on ECS";
  }
}

EcsMetadataClient::~EcsMetadataClient() = default;

void EcsMetadataClient::Stop() { stopped_ = true; }

void EcsMetadataClient::Tick() {
  if (!options_.endpoint.has_value()) {
    if (!reported_not_on_ecs_) {
      reported_not_on_ecs_ = true;
      logger_->info(
          "Not on ECS: neither {} nor {} is set; ECS metadata, task tags and ecs.fargate.* "
          "metrics are off.",
          kEnvMetadataUriV4, kEnvMetadataUriV3);
    }
    return;
  }
  if (stopped_) {
    return;
  }
  const steady_clock::time_point now = clock_.SteadyNow();
  if (!started_) {
    started_ = true;
    started_at_ = now;
    next_task_at_ = now;
    logger_->info("Reading ECS task metadata. version={} endpoint={}",
                  MetadataVersionName(options_.endpoint->version), options_.endpoint->base_url);
  }
  if (health_.state == MetadataState::kStarting && now - started_at_ >= options_.startup_grace) {
    SetState(MetadataState::kDegraded);
  }
  if (task_cycle_ == nullptr && now >= next_task_at_) {
    StartTaskCycle(now);
  }
  if (options_.stats_interval > milliseconds(0) && first_ready_at_.has_value() &&
      !stats_in_flight_ && now >= next_stats_at_) {
    StartStats(now);
  }
}

void EcsMetadataClient::StartTaskCycle(steady_clock::time_point now) {
  last_task_send_ = now;
  task_cycle_ = std::make_unique<TaskCycle>();
  const std::string container_url = options_.endpoint->ContainerUrl();
  task_cycle_->outstanding = container_url.empty() ? 1 : 2;
  Send(options_.endpoint->TaskUrl(), kPathTask, [this](Fetch fetch) {
    task_cycle_->task = std::move(fetch);
    if (--task_cycle_->outstanding == 0) {
      OnTaskCycleDone();
    }
  });
  if (!container_url.empty()) {
    Send(container_url, kPathContainer, [this](Fetch fetch) {
      task_cycle_->container = std::move(fetch);
      if (--task_cycle_->outstanding == 0) {
        OnTaskCycleDone();
      }
    });
  }
}

void EcsMetadataClient::StartStats(steady_clock::time_point now) {
  stats_in_flight_ = true;
  // Anchored to the send time, so the cadence does not drift by the response time.
  next_stats_at_ = now + options_.stats_interval;
  Send(options_.endpoint->TaskStatsUrl(), kPathTaskStats,
       [this](Fetch fetch) { OnStatsDone(std::move(fetch)); });
}

void EcsMetadataClient::Send(std::string url, std::string_view path_tag,
                             std::function<void(Fetch)> on_done) {
  forwarder::HttpRequest request;
  request.method = "GET";
  request.url = std::move(url);
  request.headers.emplace_back("Accept", "application/json");
  const steady_clock::time_point deadline = clock_.SteadyNow() + options_.request_timeout;
  http_.Send(
      std::move(request), deadline,
      [alive = std::weak_ptr<EcsMetadataClient*>(alive_), path_tag,
       on_done = std::move(on_done)](forwarder::HttpResult result) {
        std::shared_ptr<EcsMetadataClient*> self = alive.lock();
        if (self == nullptr || (*self)->stopped_) {
          return;
        }
        Fetch fetch;
        if (result.IsTransportError()) {
          const bool timeout = result.transport_error.code() == absl::StatusCode::kDeadlineExceeded;
          fetch.result = timeout ? kResultTimeout : kResultTransportError;
          fetch.error = fmt::format("GET {} failed: {}", path_tag, result.transport_error);
        } else if (result.response.status != 200) {
          fetch.result = kResultHttpError;
          fetch.error = fmt::format("GET {} answered HTTP {}", path_tag, result.response.status);
        } else {
          fetch.json = nlohmann::json::parse(result.response.body, nullptr, false);
          if (fetch.json.is_discarded() || !fetch.json.is_object()) {
            fetch.result = kResultMalformed;
            fetch.error = fmt::format("GET {} returned a body that is not a JSON object", path_tag);
            fetch.json = nullptr;
          } else {
            fetch.body = std::move(result.response.body);
          }
        }
        (*self)->counters_->Request(path_tag, fetch.result).Add();
        on_done(std::move(fetch));
      });
}

void EcsMetadataClient::OnTaskCycleDone() {
  std::unique_ptr<TaskCycle> cycle = std::move(task_cycle_);
  const steady_clock::time_point now = clock_.SteadyNow();

  for (const std::optional<Fetch>* fetch : {&cycle->task, &cycle->container}) {
    if (fetch->has_value() && (*fetch)->result != kResultOk) {
      ScheduleAfterFailure(now, (*fetch)->error);
      return;
    }
  }

  Fetch& task = *cycle->task;
  Fetch* container = cycle->container.has_value() ? &*cycle->container : nullptr;
  latest_task_json_ = task.body;

  // Publish when the significant content changed.
  nlohmann::json task_significant = Significant(task.json);
  nlohmann::json container_significant =
      container != nullptr ? Significant(container->json) : nlohmann::json();
  if (published_ == nullptr || published_->task != task_significant ||
      published_->container != container_significant) {
    published_ = std::make_unique<Published>(
        Published{std::move(task_significant), std::move(container_significant)});
    counters_->documents_published.Add();
    if (callbacks_.on_task_document) {
      callbacks_.on_task_document(task.body, container != nullptr ? container->body : "");
    }
  }

  const std::string incomplete =
      IncompleteReason(task.json, container != nullptr ? container->json : nlohmann::json());
  if (!incomplete.empty() && !first_ready_at_.has_value()) {
    // A starting task (A1.4, A1-1): not an error, but keep polling at the retry cadence.
    ScheduleAfterFailure(now, incomplete);
    return;
  }

  if (!first_ready_at_.has_value()) {
    first_ready_at_ = now;
    next_stats_at_ = now;  // First stats sample right away: its gauges need no history.
    logger_->info("ECS task metadata ready. retries={}", health_.consecutive_failures);
  }
  health_.consecutive_failures = 0;
  health_.last_error.clear();
  health_.last_success = clock_.SystemNow();
  SetState(MetadataState::kReady);
  next_task_at_ =
      std::max(now + RefreshInterval(now), last_task_send_ + options_.min_request_interval);
}

void EcsMetadataClient::ScheduleAfterFailure(steady_clock::time_point now, std::string error) {
  ++health_.consecutive_failures;
  milliseconds delay = backoff_.Delay(std::min(health_.consecutive_failures, backoff_.MaxErrors()));
  if (first_ready_at_.has_value()) {
    // Known documents stay valid; never poll slower than the regular refresh.
    delay = std::min(delay, RefreshInterval(now));
    if (health_.state == MetadataState::kReady) {
      logger_->warn("ECS task metadata refresh failed; keeping the last documents. error={}",
                    error);
    }
    SetState(MetadataState::kDegraded);
  } else if (now - started_at_ >= options_.startup_grace) {
    if (health_.state != MetadataState::kDegraded) {
      logger_->warn(
          "ECS task metadata still unavailable after {} s; tags and ecs.fargate.* metrics wait "
          "for it. error={}",
          std::chrono::duration_cast<std::chrono::seconds>(options_.startup_grace).count(), error);
    }
    SetState(MetadataState::kDegraded);
  }
  health_.last_error = std::move(error);
  next_task_at_ = std::max(now + delay, last_task_send_ + options_.min_request_interval);
}

void EcsMetadataClient::OnStatsDone(Fetch fetch) {
  stats_in_flight_ = false;
  if (!callbacks_.on_task_stats) {
    return;
  }
  if (fetch.result != kResultOk) {
    callbacks_.on_task_stats(absl::UnavailableError(fetch.error));
    return;
  }
  callbacks_.on_task_stats(
      TaskStatsSample{std::move(fetch.body), latest_task_json_, clock_.SystemNow()});
}

milliseconds EcsMetadataClient::RefreshInterval(steady_clock::time_point now) const {
  if (first_ready_at_.has_value() && now - *first_ready_at_ < options_.fast_refresh_window) {
    return options_.fast_refresh_interval;
  }
  return options_.refresh_interval;
}

void EcsMetadataClient::SetState(MetadataState state) {
  if (health_.state != state && state == MetadataState::kReady &&
      health_.state == MetadataState::kDegraded) {
    logger_->info("ECS task metadata recovered.");
  }
  health_.state = state;
}

}  // namespace sidecar::container
