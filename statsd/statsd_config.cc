#include "statsd/statsd_config.h"

#include <sys/stat.h>

#include <string>

#include "agent/common/status_macros.h"
#include "agent/common/strings.h"
#include "agent/config/value_parsing.h"
#include "fmt/format.h"
#include "statsd/mapper.h"

namespace sidecar::statsd {
namespace {

forwarder::CompressionKind ToCompression(config::CompressorKind kind) {
  switch (kind) {
    case config::CompressorKind::kZstd:
      return forwarder::CompressionKind::kZstd;
    case config::CompressorKind::kZlib:
      return forwarder::CompressionKind::kDeflate;
    case config::CompressorKind::kGzip:
      return forwarder::CompressionKind::kGzip;
    case config::CompressorKind::kNone:
      return forwarder::CompressionKind::kNone;
  }
  return forwarder::CompressionKind::kZstd;
}

bool ParentDirectoryExists(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash);
  struct stat info {};
  return ::stat(directory.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

}  // namespace

absl::StatusOr<StatsdPipelineOptions> FinalizeStatsdOptions(const config::Environment& environment,
                                                            const config::FinalizedConfig& agent) {
  StatsdPipelineOptions options;

  options.source.udp_port = agent.DogstatsdPort();
  SIDECAR_ASSIGN_OR_RETURN(const bool non_local,
                           config::ParseBool(environment.Get("DD_DOGSTATSD_NON_LOCAL_TRAFFIC"),
                                             "DD_DOGSTATSD_NON_LOCAL_TRAFFIC", false));
  options.source.bind_address = non_local ? "0.0.0.0" : "127.0.0.1";
  SIDECAR_ASSIGN_OR_RETURN(const int64_t buffer_size,
                           config::ParseInteger(environment.Get("DD_DOGSTATSD_BUFFER_SIZE"),
                                                "DD_DOGSTATSD_BUFFER_SIZE", 8192, 512, 65536));
  options.source.buffer_size = static_cast<size_t>(buffer_size);
  SIDECAR_ASSIGN_OR_RETURN(
      const int64_t so_rcvbuf,
      config::ParseInteger(environment.Get("DD_DOGSTATSD_SO_RCVBUF"), "DD_DOGSTATSD_SO_RCVBUF", 0,
                           0, 256LL * 1024 * 1024));
  options.source.so_rcvbuf = static_cast<int>(so_rcvbuf);
  if (auto socket = environment.Get("DD_DOGSTATSD_SOCKET")) {
    options.source.socket_path = *socket;  // Set, possibly to "" (disabled).
  } else if (ParentDirectoryExists(kDefaultDogstatsdSocket)) {
    options.source.socket_path = kDefaultDogstatsdSocket;
  }
  // The Agent's experimental stream socket (B10): off unless set.
  options.stream_source.socket_path = environment.Get("DD_DOGSTATSD_STREAM_SOCKET").value_or("");
  // UDS only: the sender pid of each datagram → its container (statsd/statsd_pipeline.h).
  SIDECAR_ASSIGN_OR_RETURN(options.source.origin_detection,
                           config::ParseBool(environment.Get("DD_DOGSTATSD_ORIGIN_DETECTION"),
                                             "DD_DOGSTATSD_ORIGIN_DETECTION", false));
  options.stream_source.buffer_size = options.source.buffer_size;
  options.stream_source.so_rcvbuf = options.source.so_rcvbuf;

  SIDECAR_ASSIGN_OR_RETURN(
      const auto eol_required,
      config::ParseTags(environment.Get("DD_DOGSTATSD_EOL_REQUIRED"), "DD_DOGSTATSD_EOL_REQUIRED"));
  for (const std::string& transport : eol_required) {
    if (transport == "udp") {
      options.udp_framer.eol_required = true;
    } else if (transport == "uds") {
      options.uds_framer.eol_required = true;
    } else if (transport != "named_pipe") {
      return config::InvalidValue("DD_DOGSTATSD_EOL_REQUIRED", transport,
                                  "a list of udp, uds (and named_pipe, ignored)");
    }
  }
  SIDECAR_ASSIGN_OR_RETURN(
      options.parser.origin_detection_client,
      config::ParseBool(environment.Get("DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT"),
                        "DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT", false));

  EnricherConfig& enricher = options.enricher;
  enricher.default_host = agent.Hostname();
  enricher.namespace_prefix = environment.Get("DD_STATSD_METRIC_NAMESPACE").value_or("");
  if (!enricher.namespace_prefix.empty() && enricher.namespace_prefix.back() != '.') {
    enricher.namespace_prefix += '.';
  }
  SIDECAR_ASSIGN_OR_RETURN(enricher.name_blocklist,
                           config::ParseTags(environment.Get("DD_STATSD_METRIC_BLOCKLIST"),
                                             "DD_STATSD_METRIC_BLOCKLIST"));
  SIDECAR_ASSIGN_OR_RETURN(
      enricher.name_blocklist_match_prefix,
      config::ParseBool(environment.Get("DD_STATSD_METRIC_BLOCKLIST_MATCH_PREFIX"),
                        "DD_STATSD_METRIC_BLOCKLIST_MATCH_PREFIX", false));
  SIDECAR_ASSIGN_OR_RETURN(
      enricher.dogstatsd_tags,
      config::ParseTags(environment.Get("DD_DOGSTATSD_TAGS"), "DD_DOGSTATSD_TAGS"));
  enricher.static_tags = agent.StaticTags();
  enricher.env = agent.Env();
  enricher.service = agent.Service();
  enricher.version = agent.Version();
  SIDECAR_ASSIGN_OR_RETURN(enricher.histogram_copy_to_distribution,
                           config::ParseBool(environment.Get("DD_HISTOGRAM_COPY_TO_DISTRIBUTION"),
                                             "DD_HISTOGRAM_COPY_TO_DISTRIBUTION", false));
  enricher.histogram_copy_to_distribution_prefix =
      environment.Get("DD_HISTOGRAM_COPY_TO_DISTRIBUTION_PREFIX").value_or("");
  if (auto profiles = environment.Get("DD_DOGSTATSD_MAPPER_PROFILES");
      profiles.has_value() && !common::TrimAsciiSpace(*profiles).empty()) {
    auto compiled = MapperProfiles::FromJson(*profiles);
    if (!compiled.ok()) {
      return absl::InvalidArgumentError(fmt::format(
          "DD_DOGSTATSD_MAPPER_PROFILES: {}. Expected a JSON array of profiles "
          "[{{\"name\": ..., \"prefix\": ..., \"mappings\": [{{\"match\": ..., \"name\": ..., "
          "\"tags\": {{...}}}}]}}].",
          std::string(compiled.status().message())));
    }
    enricher.mapper_profiles = std::move(*compiled);
  }
  SIDECAR_ASSIGN_OR_RETURN(
      const int64_t mapper_cache_size,
      config::ParseInteger(environment.Get("DD_DOGSTATSD_MAPPER_CACHE_SIZE"),
                           "DD_DOGSTATSD_MAPPER_CACHE_SIZE", 1000, 1, 10000000));
  enricher.mapper_cache_size = static_cast<size_t>(mapper_cache_size);

  TimeSamplerConfig& sampler = options.sampler;
  if (auto aggregates = environment.Get("DD_HISTOGRAM_AGGREGATES")) {
    SIDECAR_ASSIGN_OR_RETURN(sampler.histogram_aggregates,
                             config::ParseTags(aggregates, "DD_HISTOGRAM_AGGREGATES"));
  }
  if (auto percentiles = environment.Get("DD_HISTOGRAM_PERCENTILES")) {
    SIDECAR_ASSIGN_OR_RETURN(sampler.histogram_percentiles,
                             config::ParseTags(percentiles, "DD_HISTOGRAM_PERCENTILES"));
  }
  SIDECAR_ASSIGN_OR_RETURN(sampler.counter_expiry_seconds,
                           config::ParseInteger(environment.Get("DD_DOGSTATSD_EXPIRY_SECONDS"),
                                                "DD_DOGSTATSD_EXPIRY_SECONDS", 300, 0, 86400));
  SIDECAR_ASSIGN_OR_RETURN(
      sampler.context_expiry_seconds,
      config::ParseInteger(environment.Get("DD_DOGSTATSD_CONTEXT_EXPIRY_SECONDS"),
                           "DD_DOGSTATSD_CONTEXT_EXPIRY_SECONDS", 20, 1, 86400));
  SIDECAR_ASSIGN_OR_RETURN(const int64_t max_contexts,
                           config::ParseInteger(environment.Get("DD_DOGSTATSD_MAX_CONTEXTS"),
                                                "DD_DOGSTATSD_MAX_CONTEXTS", 200000, 1, 100000000));
  sampler.max_contexts = static_cast<size_t>(max_contexts);

  options.encoder.compression = ToCompression(agent.Compressor());
  options.encoder.zstd_level = agent.ZstdLevel();
  SIDECAR_ASSIGN_OR_RETURN(
      options.use_v2_series,
      config::ParseBool(environment.Get("DD_USE_V2_API_SERIES"), "DD_USE_V2_API_SERIES", true));
  return options;
}

}  // namespace sidecar::statsd
