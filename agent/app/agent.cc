#include "agent/app/agent.h"

#include <malloc.h>

#include <csignal>
#include <future>

#include "agent/common/absl_fmt.h"
#include "agent/common/status_macros.h"
#include "agent/common/version.h"
#include "agent/forwarder/forwarder_stats.h"
#include "container/task_metadata.h"
#include "spdlog/spdlog.h"
#include "statsd/check_run_encoder.h"
#include "statsd/series_encoder.h"

namespace sidecar::app {
namespace {

constexpr std::string_view kForwarderComponent = "dd_out";
constexpr std::string_view kStatusComponent = "status";
constexpr std::string_view kDogstatsdComponent = "dsd_in";
constexpr std::string_view kApmComponent = "apm_in";
constexpr std::string_view kLogsComponent = "logs_in";

}  // namespace

Agent::Agent(Settings settings) : settings_(std::move(settings)) {}

Agent::~Agent() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Agent>> Agent::Create(Settings settings) {
  std::unique_ptr<Agent> agent(new Agent(std::move(settings)));
  return agent;
}

absl::Status Agent::Start() {
  started_at_ = std::chrono::steady_clock::now();
  // Every enabled component is registered as starting before the status port opens, so /health
  // cannot answer 200 while a listener is still unbound.
  const statsd::DatagramSourceOptions& dogstatsd = settings_.statsd.source;
  const bool dogstatsd_enabled = dogstatsd.udp_port != 0 || !dogstatsd.socket_path.empty() ||
                                 !settings_.statsd.stream_source.socket_path.empty();
  registry_.SetHealth(kStatusComponent, telemetry::HealthState::kStarting);
  registry_.SetHealth(kForwarderComponent, telemetry::HealthState::kStarting);
  if (dogstatsd_enabled) {
    registry_.SetHealth(kDogstatsdComponent, telemetry::HealthState::kStarting);
  }
  const apm::ApmConfig& apm_config = settings_.apm;
  const bool apm_enabled =
      apm_config.enabled && (apm_config.receiver_port != 0 || !apm_config.receiver_socket.empty());
  if (apm_enabled) {
    registry_.SetHealth(kApmComponent, telemetry::HealthState::kStarting);
  }
  const logs::LogsConfig& logs_config = settings_.logs;
  if (logs_config.enabled) {
    registry_.SetHealth(kLogsComponent, telemetry::HealthState::kStarting);
  }

  forwarder::CurlHttpClientOptions http_options;
  http_options.verify_tls = !config_.SkipSslValidation();
  http_options.proxy = config_.ProxyHttps();
  http_options.libcurl_unavailable = &registry_.GetCounter("forwarder.libcurl_unavailable");
  boost::asio::io_context& egress = runtime_.Egress();
  auto http_client = forwarder::CurlHttpClient::Create(
      http_options,
      [&egress](absl::AnyInvocable<void()> task) { boost::asio::post(egress, std::move(task)); });
  if (!http_client.ok()) {
    registry_.SetHealth(kForwarderComponent, telemetry::HealthState::kFailed,
                        std::string(http_client.status().message()));
    return http_client.status();
  }
  http_client_ = std::move(*http_client);
  CreateMemoryAccount();
  forwarder::AsioForwarderOptions forwarder_options;
  forwarder_options.forwarder.endpoints = config_.Endpoints();
  forwarder_options.forwarder.retry_queue_max_bytes =
      settings_.memory.RetryQueueBytes(config_.RetryQueueMaxBytes());
  forwarder_options.forwarder.retry_queue_share = &memory_account_->AddShare(
      "forwarder.retry_queue", ShareCap(forwarder_options.forwarder.retry_queue_max_bytes));
  forwarder_options.forwarder.pending_share = &memory_account_->AddShare(
      "forwarder.pending",
      ShareCap(settings_.memory.RetryQueueBytes(config_.RetryQueueMaxBytes())));
  forwarder_options.forwarder.metrics_timeout = config_.ForwarderTimeout();
  if (config_.StorageMaxBytes() > 0) {
    forwarder::SpillOptions spill;
    spill.directory = config_.StoragePath();
    spill.max_bytes = config_.StorageMaxBytes();
    spill.max_disk_ratio = config_.StorageMaxDiskRatio();
    spill.max_age = std::chrono::hours(24) * config_.OutdatedFileInDays();
    forwarder_options.forwarder.spill = std::move(spill);
  }
  forwarder_ = std::make_unique<forwarder::AsioForwarder>(egress, std::move(forwarder_options),
                                                          *http_client_, clock_, registry_,
                                                          forwarder::DefaultUniformSource());
  forwarder_->Start();
  // Threads run before any listener binds, so a failed bind still shuts down through the normal
  // drain path instead of waiting on loops that never started.
  runtime_.Start();
  registry_.SetHealth(kForwarderComponent, telemetry::HealthState::kReady);

  if (config_.HealthPort() != 0) {
    status_server_ = std::make_unique<status::StatusServer>(runtime_.Ingress(), registry_,
                                                            [this] { return StatusDetails(); });
    if (absl::Status listening = status_server_->Listen("127.0.0.1", config_.HealthPort());
        !listening.ok()) {
      registry_.SetHealth(kStatusComponent, telemetry::HealthState::kFailed,
                          std::string(listening.message()));
      return listening;
    }
  }
  registry_.SetHealth(kStatusComponent, telemetry::HealthState::kReady);

  StartMetadataClient();
  StartMemoryGuard();

  if (dogstatsd_enabled) {
    settings_.statsd.source.under_memory_pressure = memory_guard_->Probe();
    settings_.statsd.sampler.contexts_share =
        &memory_account_->AddShare("dogstatsd.contexts", settings_.memory.StatsdContextBytes());
    settings_.statsd.sampler.values_share =
        &memory_account_->AddShare("dogstatsd.values", settings_.memory.StatsdValueBytes());
    runtime::MemoryShare& batches =
        memory_account_->AddShare("dogstatsd.batches", settings_.memory.StatsdBatchBytes());
    settings_.statsd.source.batch_share = &batches;
    settings_.statsd.stream_source.batch_share = &batches;
    statsd_ = std::make_unique<statsd::StatsdPipeline>(
        runtime_.Ingress(), runtime_.Compute(), settings_.statsd, &origin_tags_,
        [this](forwarder::Payload payload) { forwarder_->Submit(std::move(payload)); }, clock_,
        registry_);
    if (absl::Status started = statsd_->Start(); !started.ok()) {
      registry_.SetHealth(kDogstatsdComponent, telemetry::HealthState::kFailed,
                          std::string(started.message()));
      return started;
    }
    registry_.SetHealth(kDogstatsdComponent, telemetry::HealthState::kReady);
  }

  if (apm_enabled) {
    SIDECAR_RETURN_IF_ERROR(StartApm());
  }
  if (logs_config.enabled) {
    SIDECAR_RETURN_IF_ERROR(StartLogs());
  }

  if (settings_.self_metrics) {
    StartSelfMetrics();
  }
  memory_account_telemetry_->Publish();  // Every share is known now; `status` shows them at once.

  signals_ = std::make_unique<boost::asio::signal_set>(runtime_.Ingress(), SIGTERM, SIGINT);
  signals_->async_wait([this](const boost::system::error_code& ec, int signal_number) {
    if (!ec) {
      spdlog::info("Received {}; stopping.", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
      RequestStop();
    }
  });
  spdlog::info(
      "sidecar-agent {} started in {} ms. site={} health_port={} endpoints(metrics={}, traces={}, "
      "logs={})",
      common::kSidecarVersion,
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                            started_at_)
          .count(),
      config_.Site(), StatusPort(), config_.Endpoints().metrics.size(),
      config_.Endpoints().traces.size(), config_.Endpoints().logs.size());
  return absl::OkStatus();
}

absl::Status Agent::StartApm() {
  apm::ApmPipelineOptions apm_options;
  apm_options.config = settings_.apm;
  apm_options.statsd_port = config_.DogstatsdPort();
  // The trace intake takes zstd or gzip; deflate is a metrics-only encoding.
  apm_options.compression = config_.Compressor() == config::CompressorKind::kZstd
                                ? forwarder::CompressionKind::kZstd
                                : forwarder::CompressionKind::kGzip;
  apm_options.zstd_level = config_.ZstdLevel();
  apm_options.max_inflight_bytes =
      settings_.memory.ApmInflightBytes(apm_options.max_inflight_bytes);
  apm_options.inflight_share =
      &memory_account_->AddShare("apm.inflight", ShareCap(apm_options.max_inflight_bytes));
  apm_options.under_memory_pressure = memory_guard_->Probe();
  auto pipeline = apm::ApmPipeline::Create(
      runtime_.Ingress(), runtime_.Compute(), std::move(apm_options), &tag_snapshot_,
      [this](forwarder::Payload payload) { forwarder_->Submit(std::move(payload)); }, clock_,
      registry_);
  if (!pipeline.ok()) {
    registry_.SetHealth(kApmComponent, telemetry::HealthState::kFailed,
                        std::string(pipeline.status().message()));
    return pipeline.status();
  }
  apm_ = std::move(*pipeline);
  if (absl::Status started = apm_->Start(); !started.ok()) {
    registry_.SetHealth(kApmComponent, telemetry::HealthState::kFailed,
                        std::string(started.message()));
    return started;
  }
  registry_.SetHealth(kApmComponent, telemetry::HealthState::kReady);
  return absl::OkStatus();
}

absl::Status Agent::StartLogs() {
  logs::LogsPipelineOptions logs_options;
  logs_options.config = settings_.logs;
  logs_options.mapper.service = config_.Service();
  logs_options.mapper.env = config_.Env();
  logs_options.mapper.version = config_.Version();
  logs_options.mapper.dd_tags = config_.StaticTags();
  logs_options.mapper.hostname = config_.Hostname();
  logs_options.max_pending_bytes =
      settings_.memory.LogsPendingBytes(logs_options.max_pending_bytes);
  logs_options.pending_share =
      &memory_account_->AddShare("logs.pending", ShareCap(logs_options.max_pending_bytes));
  // Past half the retry queue the intake is not keeping up: stop acking FireLens (it buffers)
  // rather than let the queue drop the oldest logs.
  const int64_t congestion_bytes = static_cast<int64_t>(config_.RetryQueueMaxBytes() / 2);
  telemetry::Gauge& retry_queue_bytes = registry_.GetGauge(forwarder::kRetryQueueBytes);
  auto pipeline = logs::LogsPipeline::Create(
      runtime_.Ingress(), runtime_.Compute(), std::move(logs_options), logs_mapping_,
      [this](forwarder::Payload payload) { forwarder_->Submit(std::move(payload)); },
      [&retry_queue_bytes, congestion_bytes, guard = memory_guard_.get(),
       &memory_refusals = registry_.GetCounter("memory.pressure_refusals", {{"signal", "logs"}})] {
        if (guard->UnderPressure()) {
          memory_refusals.Add();
          return true;
        }
        return retry_queue_bytes.Value() > congestion_bytes;
      },
      clock_, registry_);
  if (!pipeline.ok()) {
    registry_.SetHealth(kLogsComponent, telemetry::HealthState::kFailed,
                        std::string(pipeline.status().message()));
    return pipeline.status();
  }
  logs_ = std::move(*pipeline);
  if (absl::Status started = logs_->Start(); !started.ok()) {
    registry_.SetHealth(kLogsComponent, telemetry::HealthState::kFailed,
                        std::string(started.message()));
    return started;
  }
  registry_.SetHealth(kLogsComponent, telemetry::HealthState::kReady);
  return absl::OkStatus();
}

void Agent::WaitForStopRequest() {
  std::unique_lock lock(stop_mutex_);
  stop_requested_cv_.wait(lock, [this] { return stop_requested_; });
}

void Agent::RequestStop() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_requested_ = true;
  }
  stop_requested_cv_.notify_all();
}

ShutdownSummary Agent::Shutdown() {
  if (summary_.has_value()) {
    return *summary_;
  }
  const auto begin = std::chrono::steady_clock::now();
  const auto deadline = begin + config_.ShutdownTimeout();
  if (status_server_ != nullptr) {
    status_server_->SetStopping();
  }
  registry_.SetHealth(kForwarderComponent, telemetry::HealthState::kStopping);
  if (metadata_client_ != nullptr) {
    metadata_client_->Stop();
  }
  if (self_metrics_timer_ != nullptr) {
    // On the egress thread, so no tick already queued there can run after it. The last report
    // reaches the DogStatsD pipeline before its final flush below.
    std::promise<void> stopped;
    boost::asio::post(runtime_.Egress(), [this, &stopped] {
      self_metrics_stopped_ = true;
      self_metrics_timer_->cancel();
      if (statsd_ != nullptr && apm_ != nullptr) {
        statsd_->SubmitInternalLines(trace_agent_reporter_.Report(registry_.Collect()));
      }
      stopped.set_value();
    });
    stopped.get_future().wait();
  }
  // 1. Stop accepting: listeners close on the ingress thread, then it stops.
  if (statsd_ != nullptr) {
    statsd_->StopSources();
  }
  if (apm_ != nullptr) {
    apm_->StopReceiver();
  }
  if (logs_ != nullptr) {
    logs_->StopReceivers();
  }
  if (signals_ != nullptr) {
    boost::asio::post(runtime_.Ingress(), [this] {
      boost::system::error_code ignored;
      signals_->cancel(ignored);
    });
  }
  if (status_server_ != nullptr) {
    status_server_->Close();
  }
  runtime_.StopIngress();
  // 2. Every pipeline finishes its posted work and flushes, open buckets included (compute).
  if (statsd_ != nullptr) {
    statsd_->FinalFlush();
  }
  if (apm_ != nullptr) {
    apm_->FinalFlush();
  }
  if (logs_ != nullptr) {
    logs_->FinalFlush();
  }
  runtime_.JoinCompute();
  // 3. The forwarder delivers what it holds until the deadline.
  ShutdownSummary summary;
  if (forwarder_ != nullptr) {
    const forwarder::ShutdownReport report = forwarder_->Drain(deadline);
    summary.transactions_sent = report.transactions_sent;
    summary.transactions_undelivered = report.transactions_failed_at_stop;
    summary.bytes_undelivered = report.bytes_undelivered;
    summary.transactions_spilled = report.transactions_spilled;
    summary.clean = report.idle && report.transactions_failed_at_stop == 0;
  } else {
    summary.clean = true;
  }
  if (http_client_ != nullptr) {
    http_client_->Drain(deadline);
  }
  runtime_.StopEgress();
  summary.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - begin);
  if (summary.clean) {
    spdlog::info("Stopped cleanly in {} ms. transactions_sent={} undelivered=0 spilled_to_disk={}",
                 summary.duration.count(), summary.transactions_sent, summary.transactions_spilled);
  } else {
    spdlog::error(
        "Stopped with data not delivered in {} ms. transactions_sent={} "
        "transactions_undelivered={} bytes_undelivered={} spilled_to_disk={}",
        summary.duration.count(), summary.transactions_sent, summary.transactions_undelivered,
        summary.bytes_undelivered, summary.transactions_spilled);
  }
  summary_ = summary;
  return summary;
}

nlohmann::json Agent::StatusDetails() const {
  nlohmann::json task;
  {
    std::lock_guard lock(task_summary_mutex_);
    task = task_summary_;
  }
  nlohmann::json metadata = {{"endpoint", settings_.ecs_endpoint ? "configured" : "not on ECS"}};
  if (metadata_client_ != nullptr) {
    const container::MetadataHealth health = metadata_client_->Health();
    metadata["state"] = container::MetadataStateName(health.state);
    metadata["last_error"] = health.last_error;
    metadata["consecutive_failures"] = health.consecutive_failures;
  }
  // Hosts only (as the forwarder's endpoint tag), for the signals that run: the status page
  // lists configured endpoints before their first transaction. Never the API key.
  const auto hosts = [](const std::vector<forwarder::Endpoint>& endpoints, bool enabled) {
    nlohmann::json list = nlohmann::json::array();
    if (!enabled) {
      return list;
    }
    for (const auto& endpoint : endpoints) {
      list.push_back(forwarder::EndpointHost(endpoint.base_url));
    }
    return list;
  };
  const bool apm_enabled = settings_.apm.enabled && (settings_.apm.receiver_port != 0 ||
                                                     !settings_.apm.receiver_socket.empty());
  const forwarder::IntakeEndpoints& endpoints = config_.Endpoints();
  return nlohmann::json{
      {"task", task},
      {"ecs_metadata", metadata},
      {"endpoints",
       {{"metrics", hosts(endpoints.metrics, true)},
        {"traces", hosts(endpoints.traces, apm_enabled)},
        {"logs", hosts(endpoints.logs, settings_.logs.enabled)}}},
      {"dogstatsd_tag_cardinality", container::CardinalityName(settings_.dogstatsd_cardinality)},
      {"site", config_.Site()},
      {"env", config_.Env()},
      {"service", config_.Service()},
      {"version", config_.Version()},
      {"memory",
       {{"limit_bytes", settings_.memory.limit_bytes},
        {"limit_source", settings_.memory.source},
        {"soft_mark_bytes", settings_.memory.SoftMark()},
        {"pool_capacity_bytes", memory_account_ != nullptr ? memory_account_->capacity() : 0}}},
      {"uptime_seconds", std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::steady_clock::now() - started_at_)
                             .count()},
  };
}

}  // namespace sidecar::app

namespace sidecar::app {

void Agent::StartMetadataClient() {
  if (!settings_.ecs_endpoint.has_value()) {
    spdlog::info(
        "Not running on ECS (no ECS_CONTAINER_METADATA_URI_V4 or ECS_CONTAINER_METADATA_URI): "
        "no task tags, no ecs.fargate metrics.");
    return;
  }
  container::TaskStatsCheckOptions check_options;
  stats_check_ = std::make_unique<container::TaskStatsCheck>(
      check_options,
      [this](std::string_view docker_id) {
        const auto store = tag_snapshot_.Get();
        auto tags = store->ContainerTags(docker_id, container::Cardinality::kHigh);
        std::vector<std::string> result = tags ? *tags : std::vector<std::string>{};
        result.insert(result.end(), config_.StaticTags().begin(), config_.StaticTags().end());
        return result;
      },
      [this] {
        const auto store = tag_snapshot_.Get();
        std::vector<std::string> result = *store->TaskTags(container::Cardinality::kOrchestrator);
        result.insert(result.end(), config_.StaticTags().begin(), config_.StaticTags().end());
        return result;
      });
  container::AsioEcsMetadataClientOptions options;
  options.client.endpoint = settings_.ecs_endpoint;
  container::EcsMetadataCallbacks callbacks;
  callbacks.on_task_document = [this](std::string task_json, std::string /*container_json*/) {
    OnTaskDocument(task_json);
  };
  callbacks.on_task_stats = [this](absl::StatusOr<container::TaskStatsSample> sample) {
    OnTaskStats(sample);
  };
  metadata_client_ = std::make_unique<container::AsioEcsMetadataClient>(
      runtime_.Egress(), std::move(options), std::move(callbacks), *http_client_, clock_, registry_,
      forwarder::DefaultUniformSource());
  metadata_client_->Start();
}

void Agent::OnTaskDocument(const std::string& task_json) {
  auto task = container::ParseTaskDocument(task_json);
  if (!task.ok()) {
    registry_.GetCounter("ecs_metadata.documents_rejected").Add();
    spdlog::warn(
        "Ignoring an ECS task document that does not parse; keeping the previous tags. "
        "error={}",
        task.status().message());
    return;
  }
  // DD_TAGS and unified service tags are added by each signal's enricher, so the tagger carries
  // only what the task metadata says.
  auto store = container::BuildTagStore(*task, container::TaggerConfig{});
  nlohmann::json summary = {
      {"cluster", task->cluster_name},
      {"task_arn", task->task_arn},
      {"family_revision", task->family + ":" + task->revision},
      {"launch_type", container::LaunchTypeName(container::DetectLaunchType(*task))},
      {"availability_zone", task->availability_zone},
      {"task_tags", *store->TaskTags(settings_.dogstatsd_cardinality)},
  };
  nlohmann::json containers = nlohmann::json::array();
  for (const auto& container : task->containers) {
    containers.push_back({{"name", container.name},
                          {"docker_id", container.docker_id},
                          {"known_status", container.known_status},
                          {"image", container.image}});
  }
  summary["containers"] = containers;
  // Logs carry container tags at high cardinality, as the Agent's container log sources; "" asks
  // for the task's tags (records from no known container).
  logs_mapping_.Publish(logs::BuildMappingSnapshot(*task, [&store](std::string_view docker_id) {
    auto tags = docker_id.empty() ? store->TaskTags(container::Cardinality::kHigh)
                                  : store->ContainerTags(docker_id, container::Cardinality::kHigh);
    return tags ? *tags : std::vector<std::string>{};
  }));
  tag_snapshot_.Publish(std::move(store));
  std::lock_guard lock(task_summary_mutex_);
  task_summary_ = std::move(summary);
}

void Agent::OnTaskStats(const absl::StatusOr<container::TaskStatsSample>& sample) {
  const auto now = clock_.SystemNow();
  container::TaskStatsCheckResult result;
  if (!sample.ok()) {
    result = stats_check_->RunFailed(sample.status(), now);
  } else {
    if (absl::Status status = stats_check_->SetTaskDocument(sample->task_json); !status.ok()) {
      registry_.GetCounter("ecs_metadata.documents_rejected").Add();
    }
    result = stats_check_->Run(sample->stats_json, sample->fetched_at);
  }
  const statsd::EncoderOptions& encoder = settings_.statsd.encoder;
  if (!result.series.empty()) {
    SubmitEncoded(statsd::SeriesEncoder(encoder).Encode(result.series));
  }
  if (!result.service_checks.empty()) {
    SubmitEncoded(statsd::CheckRunEncoder(encoder).Encode(result.service_checks));
  }
}

void Agent::StartMemoryGuard() {
  if (settings_.memory.limit_bytes != 0 &&
      settings_.memory.limit_bytes < runtime::MemoryBudget::kMinimumLimitBytes) {
    spdlog::warn(
        "Memory limit {} MiB (from {}) is under the {} MiB the sidecar needs to stay under it "
        "through a flood of every input; give the container at least {} MiB.",
        settings_.memory.limit_bytes >> 20, settings_.memory.source,
        runtime::MemoryBudget::kMinimumLimitBytes >> 20,
        runtime::MemoryBudget::kMinimumLimitBytes >> 20);
  }
  if (settings_.memory.limit_bytes != 0) {
    spdlog::info("Memory limit {} MiB (from {}): backpressure above {} MiB resident.",
                 settings_.memory.limit_bytes >> 20, settings_.memory.source,
                 settings_.memory.SoftMark() >> 20);
  }
  // Under pressure, free heap pages go back to the kernel, so what the guard reads is what is in
  // use.
  memory_guard_ = std::make_unique<runtime::MemoryGuard>(settings_.memory, runtime::ReadSelfRss,
                                                         registry_, [] { malloc_trim(0); });
  memory_guard_->Sample();
  memory_timer_ = std::make_unique<boost::asio::steady_timer>(runtime_.Egress());
  boost::asio::post(runtime_.Egress(), [this] { SampleMemory(); });
}

void Agent::CreateMemoryAccount() {
  // What the process holds before any buffer fills: the pool is what the soft mark leaves above it.
  const uint64_t idle = runtime::ReadSelfRss().value_or(0);
  memory_account_ =
      std::make_unique<runtime::MemoryAccount>(settings_.memory.AccountCapacity(idle));
  memory_account_telemetry_ =
      std::make_unique<runtime::MemoryAccountTelemetry>(*memory_account_, registry_);
  if (settings_.memory.limit_bytes != 0) {
    spdlog::info("Memory pool {} MiB for the buffers (resident at start {} MiB).",
                 memory_account_->capacity() >> 20, idle >> 20);
  }
}

uint64_t Agent::ShareCap(uint64_t cap) const { return settings_.memory.limit_bytes == 0 ? 0 : cap; }

void Agent::SampleMemory() {
  memory_guard_->Sample();
  memory_account_telemetry_->Publish();
  memory_timer_->expires_after(std::chrono::milliseconds(250));
  memory_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      SampleMemory();
    }
  });
}

void Agent::StartSelfMetrics() {
  self_metrics_timer_ = std::make_unique<boost::asio::steady_timer>(runtime_.Egress());
  boost::asio::post(runtime_.Egress(), [this] { SelfMetricsTick(); });
}

// Every 5 s on the egress thread: the trace-agent's report every 10 s, the Agent heartbeat every
// 15 s (its aggregator flush interval), both at once at start so a task that lives only seconds
// still shows up (ecs-logs.md C7, datadog-agent #31002).
void Agent::SelfMetricsTick() {
  if (self_metrics_stopped_) {
    return;
  }
  if (self_metrics_ticks_ % 2 == 0 && statsd_ != nullptr && apm_ != nullptr) {
    statsd_->SubmitInternalLines(trace_agent_reporter_.Report(registry_.Collect()));
  }
  if (self_metrics_ticks_ % 3 == 0) {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.SystemNow().time_since_epoch())
            .count();
    const uint64_t dropped = static_cast<uint64_t>(
        registry_.ValueOf("dogstatsd.samples_dropped", {{"reason", "payload_item_too_big"}}));
    AgentHeartbeat heartbeat = BuildAgentHeartbeat(now, common::kAgentCompatibleVersion, dropped);
    const statsd::EncoderOptions& encoder = settings_.statsd.encoder;
    SubmitEncoded(statsd::SeriesEncoder(encoder).Encode(heartbeat.series));
    SubmitEncoded(statsd::CheckRunEncoder(encoder).Encode(heartbeat.service_checks));
  }
  ++self_metrics_ticks_;
  self_metrics_timer_->expires_after(std::chrono::seconds(5));
  self_metrics_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      SelfMetricsTick();
    }
  });
}

void Agent::SubmitEncoded(statsd::EncodeResult encoded) {
  for (auto& payload : encoded.payloads) {
    forwarder_->Submit(std::move(payload));
  }
}

}  // namespace sidecar::app
