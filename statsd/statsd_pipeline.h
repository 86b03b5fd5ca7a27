// StatsdPipeline: the whole DogStatsD path, wired. DatagramSource and StreamSource (ingress
// thread) hand packet batches to one strand of the compute pool, which frames, parses, enriches and
// aggregates them; a timer on the same strand flushes closed buckets through the encoders into
// `submit` (the forwarder), in steps of one piece of series that batches arriving meanwhile are
// processed between. All aggregation state is owned by that strand, so none of it is locked.
//
// Shutdown (architecture.md): StopSources() closes the sockets; once the ingress thread has
// stopped, FinalFlush() processes every batch still queued and flushes the open bucket too, so
// nothing accepted is lost at SIGTERM.
//
// UDS origin detection (source.origin_detection, DD_DOGSTATSD_ORIGIN_DETECTION): each Unix
// datagram's sender pid is mapped to its container through /proc/<pid>/cgroup
// (container/cgroup_reader.h) and becomes the origin of the packet's lines that name none
// themselves. Failed lookups are counted in `dogstatsd.origin_detection.failures{reason}` and the
// lines keep the task-level tags.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <span>

#include "absl/status/status.h"
#include "agent/common/asio.h"
#include "agent/common/clock.h"
#include "agent/forwarder/payload.h"
#include "agent/telemetry/registry.h"
#include "container/cgroup_reader.h"
#include "statsd/datagram_source.h"
#include "statsd/enricher.h"
#include "statsd/framer.h"
#include "statsd/parser.h"
#include "statsd/payload_builder.h"
#include "statsd/statsd_stats.h"
#include "statsd/stream_source.h"
#include "statsd/time_sampler.h"

namespace sidecar::statsd {

struct StatsdPipelineOptions {
  DatagramSourceOptions source;
  StreamSourceOptions stream_source;  // Off unless DD_DOGSTATSD_STREAM_SOCKET is set.
  ParserOptions parser;
  FramerOptions udp_framer;
  FramerOptions uds_framer;
  EnricherConfig enricher;
  TimeSamplerConfig sampler;
  EncoderOptions encoder;
  // Series to /api/v2/series (protobuf) or, when false, /api/v1/series (JSON). Agent
  // `use_v2_api.series`, env DD_USE_V2_API_SERIES. Default true.
  bool use_v2_series = true;
  std::chrono::milliseconds flush_interval{1000};
  // Used when source.origin_detection is on: the /proc root and the pid cache's TTLs.
  container::CgroupReaderOptions origin_cgroups;
};

class StatsdPipeline {
 public:
  using Submit = std::function<void(forwarder::Payload)>;

  StatsdPipeline(boost::asio::io_context& ingress, boost::asio::thread_pool& compute,
                 StatsdPipelineOptions options, OriginTags* origin_tags, Submit submit,
                 const common::Clock& clock, telemetry::Registry& registry);
  ~StatsdPipeline();
  StatsdPipeline(const StatsdPipeline&) = delete;
  StatsdPipeline& operator=(const StatsdPipeline&) = delete;

  absl::Status Start();
  uint16_t UdpPort() const { return source_.UdpPort(); }
  void StopSources() {
    source_.Stop();
    stream_source_.Stop();
  }
  // Processes everything already handed over, flushes every bucket (open ones included) and
  // submits the payloads. Blocks until done; call after the ingress thread stopped.
  void FinalFlush();

  // Lines the sidecar emits itself as a DogStatsD client would (the trace-agent's own metrics,
  // agent/app/self_metrics.h), separated by '\n': enriched and aggregated like received lines, but
  // not counted as received. Safe from any thread.
  void SubmitInternalLines(std::string lines);

 private:
  void RefreshOriginsIfChanged();
  void ProcessBatch(const PacketBatch& batch);
  void CountParseError(ParseError error);
  // Lines parsed successfully per MessageKind, within one batch.
  using ProcessedCounts = std::array<uint64_t, 3>;
  // `socket_origin`: the container of the datagram's sender (UDS origin detection), or "".
  void ProcessLine(std::string_view line, double now, std::string_view socket_origin,
                   ProcessedCounts& counts);
  // A flush runs in steps on the strand, one piece of series each, so that batches arriving
  // meanwhile are aggregated between pieces rather than queued behind the whole flush (5-10 ms
  // at 10k contexts: at 2.5 M lines/s that filled every receive batch and overflowed the socket).
  struct FlushInProgress;
  void BeginFlush(bool force);
  bool FlushStep();  // True when the flush has no more pieces.
  void EndFlush();
  void PostFlushStep();
  // A whole flush at once, after finishing one in progress (FinalFlush).
  void FlushNow(bool force);
  void ArmTimer();
  // Sketches, service checks and events of a flush (its series are encoded as they are made).
  void EncodeAllButSeries(const FlushResult& result);
  void Deliver(EncodeResult encoded);
  // Series made per piece of a flush (time_sampler.h) before they are encoded: 512 hold about
  // 200 KiB. Pieces go into one run of payloads, so their size does not change the payloads.
  static constexpr size_t kSeriesPerPiece = 512;

  StatsdPipelineOptions options_;
  const common::Clock& clock_;
  Submit submit_;
  StatsdStats stats_;
  OriginTags* origin_tags_;
  uint64_t origin_version_ = 0;
  Parser parser_;
  Enricher enricher_;
  TimeSampler sampler_;
  boost::asio::strand<boost::asio::thread_pool::executor_type> strand_;
  boost::asio::steady_timer timer_;
  DatagramSource source_;
  StreamSource stream_source_;
  telemetry::Counter& lines_;
  telemetry::Counter& unterminated_;
  telemetry::Counter& payloads_;
  telemetry::Counter& encode_dropped_;
  telemetry::Counter& encode_invalid_;
  std::vector<telemetry::Counter*> parse_errors_;
  std::unique_ptr<container::CgroupReader> cgroup_reader_;  // Null unless origin detection.
  // Indexed by container::PidContainer::Status (kFound unused).
  std::array<telemetry::Counter*, 4> origin_failures_{};
  telemetry::Registry& registry_;
  std::unique_ptr<FlushInProgress> flush_;  // Null between flushes.
  bool stopped_ = false;
};

}  // namespace sidecar::statsd
