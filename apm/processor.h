// Processor: the trace-agent's per-payload pipeline (apm.md §3): normalize each chunk, pick its
// root, obfuscate and truncate spans, mark top-level spans, feed the concentrator before sampling,
// then sample. Runs on one strand; owns no I/O. Every dropped chunk is counted by reason.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/common/clock.h"
#include "agent/telemetry/registry.h"
#include "apm/apm_config.h"
#include "apm/concentrator.h"
#include "apm/normalizer.h"
#include "apm/obfuscator.h"
#include "apm/trace_sampler.h"
#include "apm/trace_types.h"

namespace re2 {
class RE2;
}

namespace sidecar::apm {

// Container tags for a raw container id as a tracer sent it ("" when the request had none): the
// resolved DockerId and the comma-joined `_dd.tags.container` value.
struct ContainerIdentity {
  std::string container_id;
  std::string tags;
};
using ContainerResolver = std::function<ContainerIdentity(std::string_view raw_container_id)>;

class Processor {
 public:
  // `concentrator`, `sampler` and `obfuscator` must outlive the processor.
  static absl::StatusOr<std::unique_ptr<Processor>> Create(
      const ApmConfig& config, const common::Clock& clock, Concentrator& concentrator,
      TraceSampler& sampler, Obfuscator& obfuscator, ContainerResolver resolver,
      telemetry::Registry& registry);
  ~Processor();

  // Leaves in `payload` only the chunks to upload; false when nothing is left.
  bool Process(TracerPayload& payload, const TracerInfo& info);
  // DD_APM_IGNORE_RESOURCES, also applied to client-computed stats groups.
  bool IgnoresResource(std::string_view resource) const;

 private:
  Processor(const ApmConfig& config, const common::Clock& clock, Concentrator& concentrator,
            TraceSampler& sampler, Obfuscator& obfuscator, ContainerResolver resolver,
            telemetry::Registry& registry);
  void CountDrop(std::string_view reason, const TraceChunk& chunk);
  void ReportNormalizerCounters();

  std::string default_env_;
  const common::Clock& clock_;
  Normalizer normalizer_;
  Concentrator& concentrator_;
  TraceSampler& sampler_;
  Obfuscator& obfuscator_;
  ContainerResolver resolver_;
  telemetry::Registry& registry_;
  std::vector<std::unique_ptr<re2::RE2>> ignore_resources_;
  NormalizeCounters normalize_counters_;
  std::array<uint64_t, kMalformedReasonCount> reported_malformed_{};
  std::array<telemetry::Counter*, kMalformedReasonCount> malformed_counters_{};
  telemetry::Counter& chunks_kept_;
  telemetry::Counter& spans_kept_;
  telemetry::Counter& sampled_out_;
};

}  // namespace sidecar::apm
