#include "statsd/statsd_pipeline.h"

#include <future>
#include <variant>

#include "statsd/check_run_encoder.h"
#include "statsd/event_encoder.h"
#include "statsd/series_encoder.h"
#include "statsd/series_v1_encoder.h"
#include "statsd/sketch_encoder.h"

namespace sidecar::statsd {
namespace {

namespace asio = boost::asio;

double SecondsSinceEpoch(std::chrono::system_clock::time_point now) {
  return std::chrono::duration<double>(now.time_since_epoch()).count();
}

// The sender's container becomes the origin of a line that names none itself. The Agent tags such
// a line with the union of both containers' tags; with one origin per line here the client's `c:`
// wins (clients read it from their own cgroup, so both agree in practice). `card:none` opts the
// line out of origin tags (the Agent's dogstatsd_origin_optout_enabled, default true).
template <typename Message>
void ApplySocketOrigin(Message& message, std::string_view socket_origin) {
  if (!socket_origin.empty() && message.container_id.empty() && message.cardinality != "none") {
    message.container_id = socket_origin;
  }
}

std::string_view OriginFailureReason(container::PidContainer::Status status) {
  switch (status) {
    case container::PidContainer::Status::kNoPid:
      return "no_pid";
    case container::PidContainer::Status::kUnreadable:
      return "cgroup_unreadable";
    case container::PidContainer::Status::kNoContainer:
      return "no_container";
    case container::PidContainer::Status::kFound:
      break;
  }
  return "none";
}

}  // namespace

StatsdPipeline::StatsdPipeline(asio::io_context& ingress, asio::thread_pool& compute,
                               StatsdPipelineOptions options, OriginTags* origin_tags,
                               Submit submit, const common::Clock& clock,
                               telemetry::Registry& registry)
    : options_(std::move(options)),
      clock_(clock),
      submit_(std::move(submit)),
      stats_(registry),
      origin_tags_(origin_tags),
      parser_(options_.parser),
      enricher_(options_.enricher, origin_tags, stats_),
      sampler_(options_.sampler, stats_),
      strand_(asio::make_strand(compute.get_executor())),
      timer_(strand_),
      source_(
          ingress, options_.source,
          [this](BatchPool::Handle batch) {
            asio::post(strand_, [this, batch = std::shared_ptr<PacketBatch>(std::move(batch))]() {
              // The handle's deleter returns the batch to its pool; shared_ptr keeps it copyable
              // for the posted handler.
              ProcessBatch(*batch);
            });
          },
          registry),
      stream_source_(
          ingress, options_.stream_source,
          [this](BatchPool::Handle batch) {
            asio::post(strand_, [this, batch = std::shared_ptr<PacketBatch>(std::move(batch))]() {
              ProcessBatch(*batch);
            });
          },
          registry),
      lines_(registry.GetCounter("dogstatsd.lines_received")),
      unterminated_(registry.GetCounter("dogstatsd.unterminated_metric_errors")),
      payloads_(registry.GetCounter("dogstatsd.payloads_encoded")),
      encode_dropped_(
          registry.GetCounter("dogstatsd.samples_dropped", {{"reason", "payload_item_too_big"}})),
      encode_invalid_(
          registry.GetCounter("dogstatsd.samples_dropped", {{"reason", "payload_item_invalid"}})),
      registry_(registry) {
  if (options_.source.origin_detection) {
    cgroup_reader_ = std::make_unique<container::CgroupReader>(options_.origin_cgroups);
    for (const auto status :
         {container::PidContainer::Status::kNoPid, container::PidContainer::Status::kUnreadable,
          container::PidContainer::Status::kNoContainer}) {
      origin_failures_[static_cast<size_t>(status)] =
          &registry.GetCounter("dogstatsd.origin_detection.failures",
                               {{"reason", std::string(OriginFailureReason(status))}});
    }
  }
}

StatsdPipeline::~StatsdPipeline() = default;

absl::Status StatsdPipeline::Start() {
  if (absl::Status status = source_.Start(); !status.ok()) {
    return status;
  }
  if (absl::Status status = stream_source_.Start(); !status.ok()) {
    return status;
  }
  asio::post(strand_, [this] { ArmTimer(); });
  return absl::OkStatus();
}

void StatsdPipeline::RefreshOriginsIfChanged() {
  if (origin_tags_ != nullptr && origin_tags_->Version() != origin_version_) {
    origin_version_ = origin_tags_->Version();
    enricher_.RefreshOrigins();
  }
}

void StatsdPipeline::SubmitInternalLines(std::string lines) {
  asio::post(strand_, [this, lines = std::move(lines)]() {
    if (stopped_) {
      return;
    }
    const double now = SecondsSinceEpoch(clock_.SystemNow());
    RefreshOriginsIfChanged();
    ProcessedCounts ignored{};
    size_t start = 0;
    while (start < lines.size()) {
      size_t end = lines.find('\n', start);
      if (end == std::string::npos) {
        end = lines.size();
      }
      if (end > start) {
        ProcessLine(std::string_view(lines).substr(start, end - start), now, "", ignored);
      }
      start = end + 1;
    }
  });
}

void StatsdPipeline::ProcessBatch(const PacketBatch& batch) {
  const double now = SecondsSinceEpoch(clock_.SystemNow());
  RefreshOriginsIfChanged();
  const FramerOptions& framer =
      batch.transport() == Transport::kUdp ? options_.udp_framer : options_.uds_framer;
  // Counted locally and published once per batch: an atomic add per line is measurable here.
  ProcessedCounts counts{};
  uint64_t lines = 0;
  uint64_t unterminated = 0;
  const bool socket_origins = cgroup_reader_ != nullptr && batch.has_pids();
  const auto steady_now =
      socket_origins ? clock_.SteadyNow() : std::chrono::steady_clock::time_point{};
  std::array<uint64_t, 4> origin_failures{};
  for (size_t i = 0; i < batch.size(); ++i) {
    std::string_view socket_origin;
    if (socket_origins) {
      // Valid until the next Lookup, i.e. through this packet's lines.
      const container::PidContainer found = cgroup_reader_->Lookup(batch.Pid(i), steady_now);
      if (found.status == container::PidContainer::Status::kFound) {
        socket_origin = found.container_id;
      } else {
        ++origin_failures[static_cast<size_t>(found.status)];
      }
    }
    const FrameStats frame = ForEachLine(batch.Packet(i), framer, [&](std::string_view line) {
      ProcessLine(line, now, socket_origin, counts);
    });
    lines += frame.lines;
    unterminated += frame.unterminated_dropped;
  }
  lines_.Add(lines);
  unterminated_.Add(unterminated);
  for (size_t status = 0; status < origin_failures.size(); ++status) {
    if (origin_failures[status] != 0) {
      origin_failures_[status]->Add(origin_failures[status]);
    }
  }
  for (size_t kind = 0; kind < counts.size(); ++kind) {
    if (counts[kind] != 0) {
      stats_.processed(static_cast<MessageKind>(kind), true).Add(counts[kind]);
    }
  }
}

void StatsdPipeline::ProcessLine(std::string_view line, double now, std::string_view socket_origin,
                                 ProcessedCounts& counts) {
  ParseResult result = parser_.Parse(line);
  if (auto* sample = std::get_if<MetricSample>(&result)) {
    ++counts[static_cast<size_t>(MessageKind::kMetric)];
    ApplySocketOrigin(*sample, socket_origin);
    for (const EnrichedSample& enriched : enricher_.Enrich(*sample)) {
      sampler_.Add(enriched, now);
    }
  } else if (auto* event = std::get_if<Event>(&result)) {
    ++counts[static_cast<size_t>(MessageKind::kEvent)];
    ApplySocketOrigin(*event, socket_origin);
    sampler_.AddEvent(enricher_.EnrichEvent(*event), now);
  } else if (auto* check = std::get_if<ServiceCheck>(&result)) {
    ++counts[static_cast<size_t>(MessageKind::kServiceCheck)];
    ApplySocketOrigin(*check, socket_origin);
    sampler_.AddServiceCheck(enricher_.EnrichServiceCheck(*check), now);
  } else {
    const ParseError error = std::get<ParseError>(result);
    stats_.processed(KindOf(error), false).Add();
    CountParseError(error);
  }
}

void StatsdPipeline::CountParseError(ParseError error) {
  const auto index = static_cast<size_t>(error);
  if (index >= parse_errors_.size()) {
    parse_errors_.resize(index + 1, nullptr);
  }
  if (parse_errors_[index] == nullptr) {
    parse_errors_[index] = &registry_.GetCounter("dogstatsd.parse_errors",
                                                 {{"reason", std::string(ParseErrorName(error))}});
  }
  parse_errors_[index]->Add();
}

void StatsdPipeline::ArmTimer() {
  if (stopped_) {
    return;
  }
  timer_.expires_after(options_.flush_interval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) {
      return;
    }
    if (flush_ == nullptr) {  // Else the previous flush is still in steps: this tick waits.
      BeginFlush(/*force=*/false);
      PostFlushStep();
    }
    ArmTimer();
  });
}

// Series are encoded piece by piece as the sampler makes them, into one run of payloads: a flush
// of 10k+ contexts never holds every serie (150-450 bytes each) at once.
struct StatsdPipeline::FlushInProgress {
  FlushInProgress(bool v2, const EncoderOptions& options)
      : series(v2 ? Streams(std::in_place_index<0>, options)
                  : Streams(std::in_place_index<1>, options)) {}

  using Streams = std::variant<SeriesEncoder::Stream, SeriesV1Encoder::Stream>;
  Streams series;

  EncodeResult Add(std::span<const Serie> piece) {
    return std::visit([piece](auto& stream) { return stream.Add(piece); }, series);
  }
  EncodeResult Finish() {
    return std::visit([](auto& stream) { return stream.Finish(); }, series);
  }
};

void StatsdPipeline::BeginFlush(bool force) {
  // Task and container tags may have changed (ECS metadata arrives after start).
  enricher_.RefreshOrigins();
  sampler_.BeginFlush(SecondsSinceEpoch(clock_.SystemNow()), force);
  flush_ = std::make_unique<FlushInProgress>(options_.use_v2_series, options_.encoder);
}

bool StatsdPipeline::FlushStep() {
  return sampler_.ContinueFlush(
      kSeriesPerPiece, [this](std::span<const Serie> piece) { Deliver(flush_->Add(piece)); });
}

void StatsdPipeline::EndFlush() {
  const FlushResult result = sampler_.EndFlush();
  Deliver(flush_->Add(result.series));
  Deliver(flush_->Finish());
  EncodeAllButSeries(result);
  flush_.reset();
}

void StatsdPipeline::PostFlushStep() {
  asio::post(strand_, [this] {
    if (flush_ == nullptr) {
      return;  // FinalFlush finished it.
    }
    if (FlushStep()) {
      EndFlush();
    } else {
      PostFlushStep();  // Behind the batches that arrived during this piece.
    }
  });
}

void StatsdPipeline::FlushNow(bool force) {
  if (flush_ != nullptr) {
    // A timer flush still in steps: its buckets go first, whole.
    while (!FlushStep()) {
    }
    EndFlush();
  }
  BeginFlush(force);
  while (!FlushStep()) {
  }
  EndFlush();
}

void StatsdPipeline::Deliver(EncodeResult encoded) {
  encode_dropped_.Add(encoded.items_dropped_too_big);
  encode_invalid_.Add(encoded.items_dropped_invalid);
  for (auto& payload : encoded.payloads) {
    payloads_.Add();
    submit_(std::move(payload));
  }
}

void StatsdPipeline::EncodeAllButSeries(const FlushResult& result) {
  if (!result.sketches.empty()) {
    Deliver(SketchEncoder(options_.encoder).Encode(result.sketches));
  }
  if (!result.service_checks.empty()) {
    Deliver(CheckRunEncoder(options_.encoder).Encode(result.service_checks));
  }
  if (!result.events.empty()) {
    Deliver(EventEncoder(options_.encoder, options_.enricher.default_host).Encode(result.events));
  }
}

void StatsdPipeline::FinalFlush() {
  std::promise<void> done;
  asio::post(strand_, [this, &done] {
    stopped_ = true;
    timer_.cancel();
    FlushNow(/*force=*/true);
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace sidecar::statsd
