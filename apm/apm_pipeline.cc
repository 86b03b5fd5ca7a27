#include "apm/apm_pipeline.h"

#include <future>
#include <utility>

#include "agent/common/version.h"
#include "apm/client_stats.h"
#include "apm/normalize_tag.h"
#include "apm/stats_codec.h"
#include "container/origin.h"
#include "spdlog/spdlog.h"

namespace sidecar::apm {
namespace {

namespace asio = boost::asio;

std::string TraceAgentUserAgent() {
  return "Datadog Trace Agent/" + std::string(common::kAgentCompatibleVersion) + "/sidecar-agent-" +
         std::string(common::kSidecarVersion);
}

SamplerConfig ToSamplerConfig(const ApmConfig& config, const std::string& env) {
  SamplerConfig sampler;
  sampler.target_tps = config.target_tps;
  sampler.error_tps = config.error_tps;
  sampler.max_eps = config.max_eps;
  sampler.rare_sampler_enabled = config.rare_sampler_enabled;
  sampler.probabilistic_enabled = config.probabilistic_sampler_enabled;
  sampler.probabilistic_percentage = config.probabilistic_sampling_percentage;
  sampler.probabilistic_seed = config.probabilistic_hash_seed;
  sampler.error_tracking_standalone = config.error_tracking_standalone;
  sampler.default_env = env;
  return sampler;
}

ObfuscationConfig ToObfuscationConfig(const ApmConfig& config) {
  ObfuscationConfig obfuscation;
  obfuscation.http_remove_query_string = config.obfuscation_http_remove_query_string;
  obfuscation.http_remove_paths_with_digits = config.obfuscation_http_remove_paths_with_digits;
  obfuscation.redis_enabled = config.obfuscation_redis_enabled;
  obfuscation.redis_remove_all_args = config.obfuscation_redis_remove_all_args;
  obfuscation.memcached_enabled = config.obfuscation_memcached_enabled;
  obfuscation.memcached_keep_command = config.obfuscation_memcached_keep_command;
  obfuscation.credit_cards_enabled = config.obfuscation_credit_cards_enabled;
  obfuscation.credit_cards_luhn = config.obfuscation_credit_cards_luhn;
  obfuscation.remove_stack_traces = config.obfuscation_remove_stack_traces;
  obfuscation.sql_keep_alias = config.HasFeature("keep_sql_alias");
  obfuscation.sql_dollar_quoted_func = config.HasFeature("dollar_quoted_func");
  return obfuscation;
}

std::vector<std::string> PeerTagKeys(const ApmConfig& config) {
  std::vector<std::string> keys = DefaultPeerTagKeys();
  keys.insert(keys.end(), config.extra_peer_tags.begin(), config.extra_peer_tags.end());
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ApmPipeline>> ApmPipeline::Create(
    asio::io_context& ingress, asio::thread_pool& compute, ApmPipelineOptions options,
    const common::Snapshot<container::TagStore>* tags, Submit submit, const common::Clock& clock,
    telemetry::Registry& registry) {
  std::unique_ptr<ApmPipeline> pipeline(new ApmPipeline(ingress, compute, std::move(options), tags,
                                                        std::move(submit), clock, registry));
  const ApmConfig& config = pipeline->options_.config;
  pipeline->obfuscator_ = std::make_unique<Obfuscator>(ToObfuscationConfig(config));
  pipeline->sampler_ =
      std::make_unique<TraceSampler>(ToSamplerConfig(config, pipeline->default_env_), clock);
  ConcentratorConfig concentrator;
  concentrator.agent_hostname = config.hostname;
  concentrator.agent_env = pipeline->default_env_;
  concentrator.agent_version = std::string(common::kAgentCompatibleVersion);
  concentrator.compute_stats_by_span_kind = config.compute_stats_by_span_kind;
  concentrator.peer_tag_keys = PeerTagKeys(config);
  pipeline->concentrator_ = std::make_unique<Concentrator>(std::move(concentrator), clock);
  ApmPipeline* raw = pipeline.get();
  auto processor = Processor::Create(
      config, clock, *pipeline->concentrator_, *pipeline->sampler_, *pipeline->obfuscator_,
      [raw](std::string_view id) { return raw->ResolveContainer(id); }, registry);
  if (!processor.ok()) {
    return processor.status();
  }
  pipeline->processor_ = std::move(*processor);

  TraceWriterOptions writer;
  writer.hostname = config.hostname;
  writer.env = pipeline->default_env_;
  writer.agent_version = std::string(common::kAgentCompatibleVersion);
  writer.user_agent = TraceAgentUserAgent();
  writer.target_tps = config.target_tps;
  writer.error_tps = config.error_tps;
  writer.rare_sampler_enabled = config.rare_sampler_enabled;
  writer.flush_bytes = config.trace_flush_bytes;
  writer.compression = pipeline->options_.compression;
  writer.zstd_level = pipeline->options_.zstd_level;
  pipeline->writer_ = std::make_unique<TraceWriter>(std::move(writer), pipeline->submit_, registry);

  ReceiverOptions receiver;
  receiver.bind_address = config.bind_address;
  receiver.tcp_enabled = config.receiver_port != 0;
  receiver.port = config.receiver_port;
  receiver.socket_path = config.receiver_socket;
  receiver.max_request_bytes = config.max_request_bytes;
  receiver.read_timeout = config.receiver_timeout;
  receiver.decoders = config.decoders;
  receiver.decoder_timeout = config.decoder_timeout;
  receiver.max_connections = config.max_connections;
  receiver.max_inflight_bytes = pipeline->options_.max_inflight_bytes;
  receiver.inflight_share = pipeline->options_.inflight_share;
  receiver.under_memory_pressure = pipeline->options_.under_memory_pressure;
  pipeline->receiver_ = std::make_unique<Receiver>(
      ingress, compute, std::move(receiver),
      BuildInfoDocument(config, pipeline->options_.statsd_port, PeerTagKeys(config)), *raw,
      registry);
  return pipeline;
}

ApmPipeline::ApmPipeline(asio::io_context& ingress, asio::thread_pool& compute,
                         ApmPipelineOptions options,
                         const common::Snapshot<container::TagStore>* tags, Submit submit,
                         const common::Clock& clock, telemetry::Registry& registry)
    : ingress_(ingress),
      compute_(compute),
      options_(std::move(options)),
      tags_(tags),
      submit_(std::move(submit)),
      clock_(clock),
      registry_(registry),
      default_env_(NormalizeTagValue(options_.config.default_env)),
      strand_(asio::make_strand(compute.get_executor())),
      trace_timer_(strand_),
      stats_timer_(strand_),
      stats_payloads_(registry.GetCounter("datadog.trace_agent.stats_writer.payloads")) {
  if (default_env_.empty()) {
    default_env_ = "none";
  }
}

ApmPipeline::~ApmPipeline() = default;

absl::Status ApmPipeline::Start() {
  if (absl::Status started = receiver_->Start(); !started.ok()) {
    return started;
  }
  asio::post(strand_, [this] {
    ArmTraceTimer();
    ArmStatsTimer();
  });
  return absl::OkStatus();
}

void ApmPipeline::StopReceiver() { receiver_->Close(); }

void ApmPipeline::FinalFlush() {
  std::promise<void> done;
  asio::post(strand_, [this, &done] {
    stopped_ = true;
    trace_timer_.cancel();
    stats_timer_.cancel();
    writer_->Flush();
    FlushStats(/*force=*/true);
    done.set_value();
  });
  done.get_future().wait();
}

ContainerIdentity ApmPipeline::ResolveContainer(std::string_view raw_container_id) const {
  ContainerIdentity identity;
  if (tags_ == nullptr) {
    return identity;
  }
  const std::shared_ptr<const container::TagStore> store = tags_->Get();
  if (store == nullptr) {
    return identity;
  }
  identity.container_id = std::string(container::ResolveContainerId(*store, raw_container_id));
  // §8: high cardinality for the container; the task's tags when the id is unknown or absent.
  const container::TagStore::TagList tags =
      container::TagsForOrigin(*store, raw_container_id, container::Cardinality::kHigh);
  if (tags != nullptr) {
    for (const std::string& tag : *tags) {
      if (!identity.tags.empty()) identity.tags += ',';
      identity.tags += tag;
    }
  }
  return identity;
}

void ApmPipeline::ConsumeTraces(ArenaPayload payload, TracerInfo info, std::function<void()> done) {
  asio::post(strand_, [this, payload = std::move(payload), info = std::move(info),
                       done = std::move(done)]() mutable {
    // The slot is freed once the payload left the queue, as the Agent's unbuffered channel does.
    done();
    if (processor_->Process(*payload, info)) {
      writer_->Add(*payload);
    }
    if (stopped_) {
      // Decoded while the final flush ran (shutdown joins the compute pool after it): send now.
      writer_->Flush();
      FlushStats(/*force=*/true);
    }
  });
}

absl::Status ApmPipeline::ConsumeClientStats(std::string_view body, const TracerInfo& info) {
  absl::StatusOr<ClientStatsPayload> decoded = DecodeClientStatsPayload(body);
  if (!decoded.ok()) {
    return decoded.status();
  }
  asio::post(strand_, [this, stats = std::move(*decoded), info]() mutable {
    const ContainerIdentity identity = ResolveContainer(info.container_id);
    stats.env = NormalizeTagValue(stats.env.empty() ? default_env_ : stats.env);
    ClientStatsRequest request;
    request.lang = info.lang;
    request.tracer_version = info.tracer_version;
    request.container_id =
        identity.container_id.empty() ? info.container_id : identity.container_id;
    request.tracer_obfuscated = !info.obfuscation_version.empty();
    ClientStatsHooks hooks;
    hooks.normalize_name = [](std::string_view name) { return NormalizeName(name); };
    hooks.normalize_service = [](std::string_view service, std::string_view lang) {
      return NormalizeService(service, lang);
    };
    hooks.resource_ignored = [this](std::string_view resource) {
      return processor_->IgnoresResource(resource);
    };
    hooks.obfuscate = [this](ClientGroupedStats& group) {
      group.resource = obfuscator_->ObfuscateStatsResource(group.type, group.resource);
    };
    NormalizeClientStats(stats, request, hooks);
    SubmitStats(WrapClientStats(std::move(stats), options_.config.hostname, default_env_,
                                std::string(common::kAgentCompatibleVersion)));
  });
  return absl::OkStatus();
}

std::shared_ptr<const RatesBody> ApmPipeline::Rates() const { return sampler_->CurrentRates(); }

void ApmPipeline::ArmTraceTimer() {
  trace_timer_.expires_after(options_.config.trace_flush_period);
  trace_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) {
      return;
    }
    writer_->Flush();
    ArmTraceTimer();
  });
}

void ApmPipeline::ArmStatsTimer() {
  stats_timer_.expires_after(options_.config.stats_flush_period);
  stats_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) {
      return;
    }
    FlushStats(/*force=*/false);
    ArmStatsTimer();
  });
}

void ApmPipeline::FlushStats(bool force) {
  std::optional<StatsPayload> stats = concentrator_->Flush(force);
  if (stats.has_value()) {
    SubmitStats(*stats);
  }
}

void ApmPipeline::SubmitStats(const StatsPayload& stats) {
  absl::StatusOr<std::string> compressed =
      forwarder::Compress(forwarder::CompressionKind::kGzip, EncodeStatsPayload(stats));
  if (!compressed.ok()) {
    spdlog::error("Dropped an APM stats payload: {}", std::string(compressed.status().message()));
    return;
  }
  forwarder::Payload payload;
  payload.intake = forwarder::Intake::kTraces;
  payload.route = "/api/v0.2/stats";
  payload.kind = "stats";
  payload.body = std::move(*compressed);
  payload.content_type = "application/msgpack";
  payload.content_encoding = "gzip";
  payload.extra_headers.emplace_back("User-Agent", TraceAgentUserAgent());
  for (const ClientStatsPayload& client : stats.stats) {
    for (const ClientStatsBucket& bucket : client.stats) {
      payload.item_count += bucket.stats.size();
    }
  }
  stats_payloads_.Add();
  submit_(std::move(payload));
}

}  // namespace sidecar::apm
