#include "apm/processor.h"

#include <utility>

#include "apm/normalize_tag.h"
#include "apm/top_level.h"
#include "re2/re2.h"

namespace sidecar::apm {
namespace {

std::string_view MetaOf(const Span& span, const std::string& key) {
  const auto it = span.meta().find(key);
  return it == span.meta().end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Processor>> Processor::Create(
    const ApmConfig& config, const common::Clock& clock, Concentrator& concentrator,
    TraceSampler& sampler, Obfuscator& obfuscator, ContainerResolver resolver,
    telemetry::Registry& registry) {
  std::unique_ptr<Processor> processor(new Processor(config, clock, concentrator, sampler,
                                                     obfuscator, std::move(resolver), registry));
  for (const std::string& pattern : config.ignore_resources) {
    auto regex = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
    if (!regex->ok()) {
      return absl::InvalidArgumentError("DD_APM_IGNORE_RESOURCES: invalid regular expression \"" +
                                        pattern + "\": " + regex->error());
    }
    processor->ignore_resources_.push_back(std::move(regex));
  }
  return processor;
}

Processor::Processor(const ApmConfig& config, const common::Clock& clock,
                     Concentrator& concentrator, TraceSampler& sampler, Obfuscator& obfuscator,
                     ContainerResolver resolver, telemetry::Registry& registry)
    : default_env_(NormalizeTagValue(config.default_env)),
      clock_(clock),
      normalizer_(clock),
      concentrator_(concentrator),
      sampler_(sampler),
      obfuscator_(obfuscator),
      resolver_(std::move(resolver)),
      registry_(registry),
      chunks_kept_(registry.GetCounter("datadog.trace_agent.processor.traces_kept")),
      spans_kept_(registry.GetCounter("datadog.trace_agent.processor.spans_kept")),
      sampled_out_(registry.GetCounter("datadog.trace_agent.processor.traces_sampled_out")) {
  if (default_env_.empty()) {
    default_env_ = "none";
  }
}

Processor::~Processor() = default;

bool Processor::IgnoresResource(std::string_view resource) const {
  for (const auto& regex : ignore_resources_) {
    if (re2::RE2::PartialMatch(re2::StringPiece(resource.data(), resource.size()), *regex)) {
      return true;
    }
  }
  return false;
}

void Processor::CountDrop(std::string_view reason, const TraceChunk& chunk) {
  registry_
      .GetCounter("datadog.trace_agent.processor.traces_dropped", {{"reason", std::string(reason)}})
      .Add();
  registry_
      .GetCounter("datadog.trace_agent.processor.spans_dropped", {{"reason", std::string(reason)}})
      .Add(static_cast<uint64_t>(chunk.spans_size()));
}

bool Processor::Process(TracerPayload& payload, const TracerInfo& info) {
  // Header-derived identity; a v0.7 payload's own fields win (§2.4).
  if (payload.languagename().empty()) payload.set_languagename(info.lang);
  if (payload.languageversion().empty()) payload.set_languageversion(info.lang_version);
  if (payload.tracerversion().empty()) payload.set_tracerversion(info.tracer_version);
  const std::string raw_container_id =
      payload.containerid().empty() ? info.container_id : payload.containerid();
  const ContainerIdentity identity = resolver_(raw_container_id);
  payload.set_containerid(identity.container_id.empty() ? raw_container_id : identity.container_id);
  if (!identity.tags.empty()) {
    (*payload.mutable_tags())["_dd.tags.container"] = identity.tags;
  }
  payload.set_env(NormalizeTagValue(payload.env()));

  const int chunk_count = payload.chunks_size();
  const double dropped_p0_weight =
      chunk_count > 0 ? static_cast<double>(info.client_dropped_p0_traces) / chunk_count : 0.0;

  auto* chunks = payload.mutable_chunks();
  int kept = 0;
  for (int i = 0; i < chunks->size(); ++i) {
    TraceChunk& chunk = *chunks->Mutable(i);
    if (chunk.spans_size() == 0) {
      CountDrop("empty_trace", chunk);
      continue;
    }
    const ChunkDropReason invalid =
        normalizer_.NormalizeChunk(chunk, info.lang, normalize_counters_);
    if (invalid != ChunkDropReason::kNone) {
      CountDrop(ChunkDropReasonName(invalid), chunk);
      continue;
    }
    const size_t root_index = RootSpanIndex(chunk);
    SetChunkAttributes(chunk, chunk.spans(static_cast<int>(root_index)));
    if (IgnoresResource(chunk.spans(static_cast<int>(root_index)).resource())) {
      CountDrop("ignored_resource", chunk);
      continue;
    }
    for (Span& span : *chunk.mutable_spans()) {
      obfuscator_.ObfuscateSpan(span);
      TruncateSpan(span);
    }
    if (info.client_computed_top_level) {
      CopyClientTopLevel(chunk);
    } else {
      ComputeTopLevel(chunk);
    }
    Span& root = *chunk.mutable_spans(static_cast<int>(root_index));
    if (const auto rate = root.metrics().find("_sample_rate");
        rate != root.metrics().end() && rate->second < 1) {
      (*root.mutable_metrics())["_dd1.sr.rcusr"] = rate->second;
    }
    // §3 step 12: payload attributes from the first chunk that has them.
    if (payload.hostname().empty()) {
      payload.set_hostname(std::string(MetaOf(root, "_dd.hostname")));
    }
    if (payload.env().empty()) {
      std::string_view env = MetaOf(root, "env");
      for (int s = 0; env.empty() && s < chunk.spans_size(); ++s) {
        env = MetaOf(chunk.spans(s), "env");
      }
      payload.set_env(NormalizeTagValue(env));
    }
    if (payload.appversion().empty()) {
      payload.set_appversion(std::string(MetaOf(root, "version")));
    }
    const std::string& env = payload.env().empty() ? default_env_ : payload.env();
    if (!info.client_computed_stats) {
      StatsInput input;
      input.chunk = &chunk;
      input.root_index = root_index;
      input.env = env;
      input.hostname = payload.hostname();
      input.version = payload.appversion();
      input.container_id = payload.containerid();
      input.lang = payload.languagename();
      concentrator_.Add(input);
    }
    const SamplingDecision decision = sampler_.Sample(chunk, root_index, env, dropped_p0_weight);
    if (!decision.keep || chunk.spans_size() == 0) {
      sampled_out_.Add();  // a sampling decision, not a loss: its stats were already counted
      continue;
    }
    chunks_kept_.Add();
    spans_kept_.Add(static_cast<uint64_t>(chunk.spans_size()));
    if (kept != i) {
      chunks->SwapElements(kept, i);
    }
    ++kept;
  }
  ReportNormalizerCounters();
  chunks->DeleteSubrange(kept, chunks->size() - kept);
  return kept > 0;
}

// The normalizer counts into a plain array (it runs per span); the registry sees the deltas once
// per payload.
void Processor::ReportNormalizerCounters() {
  for (size_t i = 0; i < kMalformedReasonCount; ++i) {
    const uint64_t now = normalize_counters_.spans_malformed[i];
    if (now != reported_malformed_[i]) {
      if (malformed_counters_[i] == nullptr) {
        malformed_counters_[i] = &registry_.GetCounter(
            "datadog.trace_agent.normalizer.spans_malformed",
            {{"reason", std::string(MalformedReasonName(static_cast<MalformedReason>(i)))}});
      }
      malformed_counters_[i]->Add(now - reported_malformed_[i]);
      reported_malformed_[i] = now;
    }
  }
}

}  // namespace sidecar::apm
