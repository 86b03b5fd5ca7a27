#include "agent/app/agent.h"

#include <csignal>

#include "agent/common/version.h"
#include "spdlog/spdlog.h"

namespace sidecar::app {
namespace {

constexpr char kForwarderComponent[] = "dd_out";
constexpr char kStatusComponent[] = "status";
constexpr char kDogstatsdComponent[] = "dsd_in";

}  // namespace

Agent::Agent(Settings settings) : settings_(std::move(settings)) {}

Agent::~Agent() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Agent>> Agent::Create(Settings settings) {
  std::unique_ptr<Agent> agent(new Agent(std::move(settings)));
  return agent;
}

absl::Status Agent::Start() {
  started_at_ = std::chrono::steady_clock::now();
  registry_.SetHealth(kStatusComponent, telemetry::HealthState::kStarting);
  registry_.SetHealth(kForwarderComponent, telemetry::HealthState::kStarting);

  forwarder::CurlHttpClientOptions http_options;
  http_options.verify_tls = !config_.SkipSslValidation();
  http_options.proxy = config_.ProxyHttps();
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
  forwarder::AsioForwarderOptions forwarder_options;
  forwarder_options.forwarder.endpoints = config_.Endpoints();
  forwarder_options.forwarder.retry_queue_max_bytes = config_.RetryQueueMaxBytes();
  forwarder_options.forwarder.metrics_timeout = config_.ForwarderTimeout();
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

  const statsd::DatagramSourceOptions& dogstatsd = settings_.statsd.source;
  if (dogstatsd.udp_port != 0 || !dogstatsd.socket_path.empty()) {
    registry_.SetHealth(kDogstatsdComponent, telemetry::HealthState::kStarting);
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
  // 1. Stop accepting: listeners close on the ingress thread, then it stops.
  if (statsd_ != nullptr) {
    statsd_->StopSources();
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
  runtime_.JoinCompute();
  // 3. The forwarder delivers what it holds until the deadline.
  ShutdownSummary summary;
  if (forwarder_ != nullptr) {
    const forwarder::ShutdownReport report = forwarder_->Drain(deadline);
    summary.transactions_sent = report.transactions_sent;
    summary.transactions_undelivered = report.transactions_failed_at_stop;
    summary.bytes_undelivered = report.bytes_undelivered;
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
    spdlog::info("Stopped cleanly in {} ms. transactions_sent={} undelivered=0",
                 summary.duration.count(), summary.transactions_sent);
  } else {
    spdlog::error(
        "Stopped with data not delivered in {} ms. transactions_sent={} "
        "transactions_undelivered={} "
        "bytes_undelivered={}",
        summary.duration.count(), summary.transactions_sent, summary.transactions_undelivered,
        summary.bytes_undelivered);
  }
  summary_ = summary;
  return summary;
}

nlohmann::json Agent::StatusDetails() const {
  return nlohmann::json{
      {"site", config_.Site()},
      {"env", config_.Env()},
      {"service", config_.Service()},
      {"version", config_.Version()},
      {"uptime_seconds", std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::steady_clock::now() - started_at_)
                             .count()},
  };
}

}  // namespace sidecar::app
