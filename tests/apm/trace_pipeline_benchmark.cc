// APM trace pipeline throughput (issue #6): decode, process (normalize + obfuscate + top-level +
// concentrator + sampler) and encode (AgentPayload + zstd), each in spans/s, on a realistic
// payload: 10 traces x 20 spans of a Node.js web service (express root span, pg queries, outgoing
// HTTP, redis), 8-12 meta entries and 3-5 metrics per span, a 128-bit `_dd.p.tid` on each root;
// plus the recorded dd-trace-js v0.4 / v0.5 bodies of shared/testdata.
//
// Figures are compared as ratios against baselines measured by the same binary in the same run
// (these machines are noisy): BM_MemcpyBody (touching every byte once) and BM_MsgpackCxxUnpack
// (msgpack-cxx's generic object-tree unpack of the same body).
//
//   build/<dir>/tests/apm/apm_trace_pipeline_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "agent/common/clock.h"
#include "agent/telemetry/registry.h"
#include "apm/apm_config.h"
#include "apm/concentrator.h"
#include "apm/obfuscator.h"
#include "apm/processor.h"
#include "apm/trace_decoder.h"
#include "apm/trace_sampler.h"
#include "apm/trace_types.h"
#include "apm/trace_writer.h"
#include "apm/tracer_payload_encoder.h"
#include "msgpack.hpp"

namespace sidecar::apm {
namespace {

// 2023-11-14T22:13:20Z: spans are built around this instant and the clock never moves, so every
// iteration lands in the same concentrator bucket and the groups stay bounded.
constexpr int64_t kNowNs = 1'700'000'000'000'000'000;
constexpr int kTraces = 10;
constexpr int kSpansPerTrace = 20;

class FixedClock final : public common::Clock {
 public:
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::time_point(std::chrono::hours(1));
  }
  std::chrono::system_clock::time_point SystemNow() const override {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(kNowNs)));
  }
};

// One span as a tracer would send it, before any encoding.
struct SpanSpec {
  std::string service, name, resource, type;
  uint64_t trace_id = 0, span_id = 0, parent_id = 0;
  int64_t start = 0, duration = 0;
  int32_t error = 0;
  std::vector<std::pair<std::string, std::string>> meta;
  std::vector<std::pair<std::string, double>> metrics;
};
using TraceSpec = std::vector<SpanSpec>;

std::string Hex16(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) {
    out[static_cast<size_t>(i)] = kDigits[value & 0xf];
  }
  return out;
}

// A request to an express service: the root span, then children cycling through middleware,
// Postgres, outgoing HTTP and Redis. Literals differ per trace so the SQL cache sees a few shapes
// with varying values, as with an ORM that inlines some literals.
std::vector<TraceSpec> BuildTraces(int traces, int spans_per_trace) {
  std::vector<TraceSpec> out;
  for (int t = 0; t < traces; ++t) {
    TraceSpec trace;
    const uint64_t trace_id = 0x5b8e1f2a3c4d0000ULL + static_cast<uint64_t>(t);
    const uint64_t root_id = 0x1000ULL * static_cast<uint64_t>(t + 1);
    const int64_t root_start = kNowNs - 30'000'000 + t * 1'000'000;
    const std::string order = std::to_string(4217 + t * 13);
    const std::vector<std::pair<std::string, std::string>> common_meta = {
        {"env", "prod"},
        {"version", "2.14.1"},
        {"runtime-id", "8f2c1d4e-7a6b-4c3d-9e8f-0a1b2c3d4e5f"},
        {"language", "javascript"}};
    for (int s = 0; s < spans_per_trace; ++s) {
      SpanSpec span;
      span.trace_id = trace_id;
      span.span_id = root_id + static_cast<uint64_t>(s);
      span.meta = common_meta;
      span.metrics = {{"process_id", 4242}};
      if (s == 0) {
        span.service = "checkout-api";
        span.name = "express.request";
        span.resource = "GET /api/orders/:id";
        span.type = "web";
        span.start = root_start;
        span.duration = 25'000'000;
        span.error = t % 5 == 0 ? 1 : 0;
        span.meta.insert(span.meta.end(),
                         {{"component", "express"},
                          {"span.kind", "server"},
                          {"http.method", "GET"},
                          {"http.url", "https://shop.example.com/api/orders/" + order +
                                           "?expand=items&utm_source=mail"},
                          {"http.route", "/api/orders/:id"},
                          {"http.status_code", span.error ? "500" : "200"},
                          {"_dd.p.dm", "-1"},
                          {"_dd.p.tid", Hex16(0x65543a1000000000ULL + static_cast<uint64_t>(t))}});
        span.metrics.insert(
            span.metrics.end(),
            {{"_sampling_priority_v1", 1}, {"_dd.agent_psr", 1}, {"_dd.top_level", 1}});
      } else {
        span.parent_id = s % 3 == 0 ? span.span_id - 1 : root_id;
        span.start = root_start + s * 1'000'000;
        span.duration = 800'000 + s * 10'000;
        switch (s % 4) {
          case 0:
            span.service = "checkout-api";
            span.name = "express.middleware";
            span.resource = "jsonParser";
            span.type = "web";
            span.meta.insert(span.meta.end(), {{"component", "express"},
                                               {"span.kind", "internal"},
                                               {"express.middleware", "jsonParser"},
                                               {"http.route", "/api/orders/:id"}});
            span.metrics.insert(span.metrics.end(), {{"_dd.measured", 0}, {"express.depth", 2}});
            break;
          case 1:
            span.service = "checkout-api-postgres";
            span.name = "pg.query";
            span.resource =
                "SELECT o.id, o.total, c.email FROM orders o JOIN customers c ON c.id = "
                "o.customer_id WHERE o.id = " +
                order + " AND o.status IN ('paid', 'shipped') LIMIT " + std::to_string(s);
            span.type = "sql";
            span.meta.insert(span.meta.end(), {{"component", "pg"},
                                               {"span.kind", "client"},
                                               {"db.type", "postgres"},
                                               {"db.name", "shop"},
                                               {"db.user", "checkout"},
                                               {"out.host", "10.0.3.17"},
                                               {"network.destination.port", "5432"}});
            span.metrics.insert(span.metrics.end(), {{"_dd.measured", 1}, {"db.row_count", 3}});
            break;
          case 2:
            span.service = "checkout-api-http-client";
            span.name = "http.request";
            span.resource = "GET";
            span.type = "http";
            span.meta.insert(span.meta.end(),
                             {{"component", "http"},
                              {"span.kind", "client"},
                              {"http.method", "GET"},
                              {"http.url", "http://inventory.internal:8080/v1/items/" + order +
                                               "?warehouse=eu-west-1&fields=stock,price"},
                              {"http.status_code", "200"},
                              {"out.host", "inventory.internal"}});
            span.metrics.insert(span.metrics.end(),
                                {{"_dd.measured", 1}, {"network.destination.port", 8080}});
            break;
          default:
            span.service = "checkout-api-redis";
            span.name = "redis.command";
            span.resource = "GET";
            span.type = "redis";
            span.meta.insert(span.meta.end(), {{"component", "redis"},
                                               {"span.kind", "client"},
                                               {"db.type", "redis"},
                                               {"redis.raw_command", "GET session:" + order},
                                               {"out.host", "cache.internal"}});
            span.metrics.insert(span.metrics.end(), {{"_dd.measured", 1}, {"db.redis.index", 0}});
            break;
        }
      }
      trace.push_back(std::move(span));
    }
    out.push_back(std::move(trace));
  }
  return out;
}

// v0.4: an array of traces, each an array of span maps (apm.md §2.1).
std::string EncodeV04(const std::vector<TraceSpec>& traces) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_array(static_cast<uint32_t>(traces.size()));
  for (const TraceSpec& trace : traces) {
    packer.pack_array(static_cast<uint32_t>(trace.size()));
    for (const SpanSpec& span : trace) {
      packer.pack_map(12);
      packer.pack("trace_id").pack(span.trace_id);
      packer.pack("span_id").pack(span.span_id);
      packer.pack("parent_id").pack(span.parent_id);
      packer.pack("service").pack(span.service);
      packer.pack("name").pack(span.name);
      packer.pack("resource").pack(span.resource);
      packer.pack("type").pack(span.type);
      packer.pack("start").pack(span.start);
      packer.pack("duration").pack(span.duration);
      packer.pack("error").pack(span.error);
      packer.pack("meta").pack_map(static_cast<uint32_t>(span.meta.size()));
      for (const auto& [key, value] : span.meta) {
        packer.pack(key).pack(value);
      }
      packer.pack("metrics").pack_map(static_cast<uint32_t>(span.metrics.size()));
      for (const auto& [key, value] : span.metrics) {
        packer.pack(key).pack(value);
      }
    }
  }
  return std::string(buffer.data(), buffer.size());
}

// v0.5: [string table, traces], each span a 12-element array of table indexes and numbers
// (apm.md §2.2).
std::string EncodeV05(const std::vector<TraceSpec>& traces) {
  std::vector<std::string> table;
  std::map<std::string, uint32_t> index;
  auto intern = [&](const std::string& text) {
    auto [it, inserted] = index.emplace(text, static_cast<uint32_t>(table.size()));
    if (inserted) {
      table.push_back(text);
    }
    return it->second;
  };
  intern("");
  for (const TraceSpec& trace : traces) {
    for (const SpanSpec& span : trace) {
      for (const std::string* text : {&span.service, &span.name, &span.resource, &span.type}) {
        intern(*text);
      }
      for (const auto& [key, value] : span.meta) {
        intern(key);
        intern(value);
      }
      for (const auto& entry : span.metrics) {
        intern(entry.first);
      }
    }
  }
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_array(2);
  packer.pack(table);
  packer.pack_array(static_cast<uint32_t>(traces.size()));
  for (const TraceSpec& trace : traces) {
    packer.pack_array(static_cast<uint32_t>(trace.size()));
    for (const SpanSpec& span : trace) {
      packer.pack_array(12);
      packer.pack(index.at(span.service)).pack(index.at(span.name)).pack(index.at(span.resource));
      packer.pack(span.trace_id).pack(span.span_id).pack(span.parent_id);
      packer.pack(span.start).pack(span.duration).pack(span.error);
      packer.pack_map(static_cast<uint32_t>(span.meta.size()));
      for (const auto& [key, value] : span.meta) {
        packer.pack(index.at(key)).pack(index.at(value));
      }
      packer.pack_map(static_cast<uint32_t>(span.metrics.size()));
      for (const auto& [key, value] : span.metrics) {
        packer.pack(index.at(key)).pack(value);
      }
      packer.pack(index.at(span.type));
    }
  }
  return std::string(buffer.data(), buffer.size());
}

// The dd-trace-js capture for `version` ("v0.4" or "v0.5") in shared/testdata.
std::optional<std::string> ReadRecordedBody(const std::string& version) {
  std::ifstream file(std::string(SIDECAR_SHARED_TESTDATA) + "/clients/apm/dd-trace-js-" + version +
                         "-traces.msgpack",
                     std::ios::binary);
  if (!file) {
    return std::nullopt;
  }
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

enum class Body { kSynthetic, kRecorded };

struct Input {
  TraceApiVersion version = TraceApiVersion::kV04;
  std::string body;
  TracerPayload decoded;
  int64_t spans = 0;
};

// Decodes once up front so every benchmark knows its span count and fails loudly on a bad body.
std::optional<Input> MakeInput(Body kind, TraceApiVersion version, benchmark::State& state) {
  Input input;
  input.version = version;
  if (kind == Body::kRecorded) {
    std::optional<std::string> body =
        ReadRecordedBody(version == TraceApiVersion::kV05 ? "v0.5" : "v0.4");
    if (!body.has_value()) {
      state.SkipWithError("a dd-trace-js capture is missing from shared/testdata/clients/apm");
      return std::nullopt;
    }
    input.body = std::move(*body);
  } else {
    const std::vector<TraceSpec> traces = BuildTraces(kTraces, kSpansPerTrace);
    input.body = version == TraceApiVersion::kV05 ? EncodeV05(traces) : EncodeV04(traces);
  }
  const absl::Status status =
      DecodeTraces(version, BodyEncoding::kMsgpack, input.body, input.decoded);
  if (!status.ok()) {
    state.SkipWithError(std::string(status.message()).c_str());
    return std::nullopt;
  }
  for (const TraceChunk& chunk : input.decoded.chunks()) {
    input.spans += chunk.spans_size();
  }
  return input;
}

void ReportSpans(benchmark::State& state, const Input& input) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * input.spans);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.body.size()));
  state.counters["spans/payload"] = static_cast<double>(input.spans);
}

// The stages of ApmPipeline::Create with the Agent's defaults, minus the I/O.
class Stages {
 public:
  explicit Stages(bool sql_cache = true)
      : concentrator_(ConcentratorConfig{}, clock_),
        sampler_(SamplerConfig{}, clock_),
        obfuscator_(MakeObfuscationConfig(sql_cache)) {
    auto processor = Processor::Create(
        ApmConfig{}, clock_, concentrator_, sampler_, obfuscator_,
        [](std::string_view) { return ContainerIdentity{}; }, registry_);
    if (processor.ok()) {
      processor_ = std::move(*processor);
    }
  }

  Processor* processor() { return processor_.get(); }
  telemetry::Registry& registry() { return registry_; }

  static TracerInfo NodeInfo() {
    TracerInfo info;
    info.lang = "nodejs";
    info.lang_version = "v20.20.2";
    info.lang_interpreter = "v8";
    info.tracer_version = "5.132.0";
    return info;
  }

 private:
  static ObfuscationConfig MakeObfuscationConfig(bool sql_cache) {
    ObfuscationConfig config;
    if (!sql_cache) {
      config.sql_cache_max_bytes = 0;
    }
    return config;
  }

  FixedClock clock_;
  telemetry::Registry registry_;
  Concentrator concentrator_;
  TraceSampler sampler_;
  Obfuscator obfuscator_;
  std::unique_ptr<Processor> processor_;
};

TraceWriter MakeWriter(telemetry::Registry& registry, uint64_t& compressed_bytes) {
  TraceWriterOptions options;
  options.agent_version = "7.60.1";
  options.user_agent = "Datadog Trace Agent/7.60.1/benchmark";
  return TraceWriter(
      options,
      [&compressed_bytes](forwarder::Payload payload) {
        compressed_bytes += payload.body.size();
        benchmark::DoNotOptimize(payload.body.data());
      },
      registry);
}

// ---------------------------------------------------------------------------------------------
// Baselines.

// The floor: one pass over the body's bytes.
void BM_MemcpyBody(benchmark::State& state, Body kind) {
  std::optional<Input> input = MakeInput(kind, TraceApiVersion::kV04, state);
  if (!input.has_value()) return;
  std::string copy(input->body.size(), '\0');
  for (auto _ : state) {
    std::memcpy(copy.data(), input->body.data(), input->body.size());
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  ReportSpans(state, *input);
}
BENCHMARK_CAPTURE(BM_MemcpyBody, synthetic, Body::kSynthetic);
BENCHMARK_CAPTURE(BM_MemcpyBody, recorded_js, Body::kRecorded);

// A generic msgpack decoder: msgpack-cxx's object tree (zone-allocated, strings referenced), no
// model mapping and no validation.
void BM_MsgpackCxxUnpack(benchmark::State& state, Body kind) {
  std::optional<Input> input = MakeInput(kind, TraceApiVersion::kV04, state);
  if (!input.has_value()) return;
  for (auto _ : state) {
    try {
      msgpack::object_handle handle = msgpack::unpack(input->body.data(), input->body.size());
      benchmark::DoNotOptimize(handle.get().via.array.size);
    } catch (const std::exception& error) {
      state.SkipWithError(error.what());
      break;
    }
  }
  ReportSpans(state, *input);
}
BENCHMARK_CAPTURE(BM_MsgpackCxxUnpack, synthetic, Body::kSynthetic);
BENCHMARK_CAPTURE(BM_MsgpackCxxUnpack, recorded_js, Body::kRecorded);

// Copying a decoded TracerPayload: what the stages below pay outside the timed region to get a
// fresh payload per iteration, measured so it can be compared.
void BM_CopyDecodedPayload(benchmark::State& state) {
  std::optional<Input> input = MakeInput(Body::kSynthetic, TraceApiVersion::kV04, state);
  if (!input.has_value()) return;
  for (auto _ : state) {
    TracerPayload copy = input->decoded;
    benchmark::DoNotOptimize(copy);
  }
  ReportSpans(state, *input);
}
BENCHMARK(BM_CopyDecodedPayload);

// ---------------------------------------------------------------------------------------------
// Stages.

void Decode(benchmark::State& state, Body kind, TraceApiVersion version) {
  std::optional<Input> input = MakeInput(kind, version, state);
  if (!input.has_value()) return;
  for (auto _ : state) {
    TracerPayload payload;
    const absl::Status status = DecodeTraces(version, BodyEncoding::kMsgpack, input->body, payload);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(payload);
  }
  ReportSpans(state, *input);
}

void BM_DecodeV04(benchmark::State& state, Body kind) {
  Decode(state, kind, TraceApiVersion::kV04);
}
BENCHMARK_CAPTURE(BM_DecodeV04, synthetic, Body::kSynthetic);
BENCHMARK_CAPTURE(BM_DecodeV04, recorded_js, Body::kRecorded);

void BM_DecodeV05(benchmark::State& state, Body kind) {
  Decode(state, kind, TraceApiVersion::kV05);
}
BENCHMARK_CAPTURE(BM_DecodeV05, synthetic, Body::kSynthetic);
BENCHMARK_CAPTURE(BM_DecodeV05, recorded_js, Body::kRecorded);

// Processor::Process on a fresh copy of the decoded payload (the copy is not timed).
void ProcessBenchmark(benchmark::State& state, Body kind, bool sql_cache) {
  std::optional<Input> input = MakeInput(kind, TraceApiVersion::kV04, state);
  if (!input.has_value()) return;
  Stages stages(sql_cache);
  if (stages.processor() == nullptr) {
    state.SkipWithError("Processor::Create failed");
    return;
  }
  const TracerInfo info = Stages::NodeInfo();
  int64_t kept_spans = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TracerPayload copy = input->decoded;
    state.ResumeTiming();
    if (stages.processor()->Process(copy, info)) {
      for (const TraceChunk& chunk : copy.chunks()) {
        kept_spans += chunk.spans_size();
      }
    }
    benchmark::DoNotOptimize(copy);
  }
  ReportSpans(state, *input);
  state.counters["kept"] = benchmark::Counter(
      static_cast<double>(kept_spans) / static_cast<double>(state.iterations() * input->spans));
}

void BM_Process(benchmark::State& state, Body kind) { ProcessBenchmark(state, kind, true); }
BENCHMARK_CAPTURE(BM_Process, synthetic, Body::kSynthetic);
BENCHMARK_CAPTURE(BM_Process, recorded_js, Body::kRecorded);

// Every query obfuscated from scratch (the cache off): the cost for high-cardinality SQL.
void BM_ProcessNoSqlCache(benchmark::State& state) {
  ProcessBenchmark(state, Body::kSynthetic, false);
}
BENCHMARK(BM_ProcessNoSqlCache);

// The synthetic body decoded and processed once, as the writer receives it; nullopt (and the
// benchmark skipped) when a stage fails.
std::optional<TracerPayload> ProcessedPayload(const Input& input, Stages& stages,
                                              benchmark::State& state) {
  if (stages.processor() == nullptr) {
    state.SkipWithError("Processor::Create failed");
    return std::nullopt;
  }
  TracerPayload processed = input.decoded;
  if (!stages.processor()->Process(processed, Stages::NodeInfo())) {
    state.SkipWithError("the processor dropped the whole payload");
    return std::nullopt;
  }
  return processed;
}

// TraceWriter::Add of processed payloads; the writer flushes (AgentPayload + zstd level 1) each
// time its buffer passes 3.2 MB, as in production.
void BM_WriteAgentPayload(benchmark::State& state) {
  std::optional<Input> input = MakeInput(Body::kSynthetic, TraceApiVersion::kV04, state);
  if (!input.has_value()) return;
  Stages stages;
  std::optional<TracerPayload> maybe_processed = ProcessedPayload(*input, stages, state);
  if (!maybe_processed.has_value()) return;
  const TracerPayload& processed = *maybe_processed;
  uint64_t compressed_bytes = 0;
  TraceWriter writer = MakeWriter(stages.registry(), compressed_bytes);
  for (auto _ : state) {
    writer.Add(processed);
  }
  writer.Flush();
  ReportSpans(state, *input);
  state.counters["zstd_bytes/span"] = static_cast<double>(compressed_bytes) /
                                      static_cast<double>(state.iterations() * input->spans);
}
BENCHMARK(BM_WriteAgentPayload);

// Serializing one processed payload: the protoc-generated serializer (the baseline) against the
// hand-written TracerPayloadEncoder the writer uses; both write the same bytes.
void BM_SerializeTracerPayload(benchmark::State& state, bool generated) {
  std::optional<Input> input = MakeInput(Body::kSynthetic, TraceApiVersion::kV04, state);
  if (!input.has_value()) return;
  Stages stages;
  std::optional<TracerPayload> maybe_processed = ProcessedPayload(*input, stages, state);
  if (!maybe_processed.has_value()) return;
  const TracerPayload& processed = *maybe_processed;
  TracerPayloadEncoder encoder;
  std::string out;
  for (auto _ : state) {
    if (generated) {
      out.resize(processed.ByteSizeLong());
      processed.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out.data()));
    } else {
      out.resize(encoder.Measure(processed));
      encoder.Write(processed, reinterpret_cast<uint8_t*>(out.data()));
    }
    benchmark::DoNotOptimize(out.data());
  }
  ReportSpans(state, *input);
}
BENCHMARK_CAPTURE(BM_SerializeTracerPayload, generated, true);
BENCHMARK_CAPTURE(BM_SerializeTracerPayload, encoder, false);

// What one receiver request costs the sidecar: decode, process, write (the HTTP layer aside).
void BM_EndToEnd(benchmark::State& state, Body kind) {
  std::optional<Input> input = MakeInput(kind, TraceApiVersion::kV04, state);
  if (!input.has_value()) return;
  Stages stages;
  if (stages.processor() == nullptr) {
    state.SkipWithError("Processor::Create failed");
    return;
  }
  const TracerInfo info = Stages::NodeInfo();
  uint64_t compressed_bytes = 0;
  TraceWriter writer = MakeWriter(stages.registry(), compressed_bytes);
  for (auto _ : state) {
    // As the receiver: one arena per request, freed once the writer serialized the payload.
    ArenaPayload payload;
    const absl::Status status =
        DecodeTraces(TraceApiVersion::kV04, BodyEncoding::kMsgpack, input->body, *payload);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      break;
    }
    if (stages.processor()->Process(*payload, info)) {
      writer.Add(*payload);
    }
  }
  writer.Flush();
  ReportSpans(state, *input);
}
BENCHMARK_CAPTURE(BM_EndToEnd, synthetic, Body::kSynthetic);
BENCHMARK_CAPTURE(BM_EndToEnd, recorded_js, Body::kRecorded);

}  // namespace
}  // namespace sidecar::apm

BENCHMARK_MAIN();
