// The DogStatsD hot path on realistic traffic: 1432-byte UDP packets (spec §12) of lines for 10,000
// contexts with 5 tags each (60% counters, 30% gauges, 10% histograms). Compares framing+parsing
// alone with framing+parsing+enrichment+aggregation (flushes included, one per simulated 10 s
// bucket of ~200k lines), and reports heap allocations per line on the aggregation path.
//
//   build/.../tests/statsd/statsd_aggregate_benchmark --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <new>
#include <string>
#include <variant>
#include <vector>

#include "agent/telemetry/registry.h"
#include "statsd/enricher.h"
#include "statsd/framer.h"
#include "statsd/parser.h"
#include "statsd/series_encoder.h"
#include "statsd/time_sampler.h"

namespace {
size_t allocations = 0;  // Single-threaded benchmark.
}  // namespace

// A counting global operator new (malloc/free underneath; GCC cannot see that the pair matches).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace sidecar::statsd {
namespace {

constexpr size_t kPacketBytes = 1432;
constexpr int kContexts = 10'000;

std::string Line(int context, int value) {
  const char* type = context % 10 < 6 ? "c" : (context % 10 < 9 ? "g" : "h");
  return "app.metric." + std::to_string(context % 1000) + ":" + std::to_string(value) + "|" + type +
         "|#env:prod,service:checkout,version:1.4.2,shard:" + std::to_string(context / 1000) +
         ",az:eu-west-1a";
}

// Packets of whole lines, each at most kPacketBytes, covering every context once.
std::vector<std::string> MakePackets() {
  std::vector<std::string> packets(1);
  for (int i = 0; i < kContexts; ++i) {
    // Visit contexts in a scrambled order, as independent clients would.
    const int context = static_cast<int>((static_cast<long>(i) * 7919) % kContexts);
    const std::string line = Line(context, 1 + (i * 37) % 1000);
    std::string& packet = packets.back();
    if (packet.size() + line.size() + 1 > kPacketBytes) {
      packets.emplace_back();
    }
    std::string& target = packets.back();
    if (!target.empty()) {
      target += '\n';
    }
    target += line;
  }
  return packets;
}

size_t CountLines(const std::vector<std::string>& packets) {
  size_t lines = 0;
  for (const std::string& packet : packets) {
    ForEachLine(packet, {}, [&](std::string_view) { ++lines; });
  }
  return lines;
}

void BM_ParseOnly(benchmark::State& state) {
  const std::vector<std::string> packets = MakePackets();
  const Parser parser(ParserOptions{});
  size_t lines = 0;
  size_t bytes = 0;
  size_t next = 0;
  for (auto _ : state) {
    const std::string& packet = packets[next];
    next = next + 1 == packets.size() ? 0 : next + 1;
    ForEachLine(packet, {}, [&](std::string_view line) {
      ParseResult result = parser.Parse(line);
      benchmark::DoNotOptimize(result);
      ++lines;
    });
    bytes += packet.size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseOnly);

// Parse, enrich (task tags and unified service tags, as on ECS) and aggregate.
struct TaskAggregation {
  // Lines in `packet`.
  size_t Send(std::string_view packet, double now) {
    size_t lines = 0;
    ForEachLine(packet, {}, [&](std::string_view line) {
      const ParseResult result = parser.Parse(line);
      if (const auto* sample = std::get_if<MetricSample>(&result)) {
        for (const EnrichedSample& s : enricher.Enrich(*sample)) {
          sampler.Add(s, now);
        }
      }
      ++lines;
    });
    return lines;
  }

  telemetry::Registry registry;
  StatsdStats stats{registry};
  StaticOriginTags origins{{"task_arn:arn:aws:ecs:eu-west-1:123456789012:task/c/0123456789abcdef",
                            "ecs_cluster_name:c", "task_family:app", "task_version:7"}};
  Enricher enricher{{.env = "prod", .service = "checkout"}, &origins, stats};
  TimeSampler sampler{TimeSamplerConfig{}, stats};
  const Parser parser{ParserOptions{}};
};

void BM_ParseEnrichAggregate(benchmark::State& state) {
  const std::vector<std::string> packets = MakePackets();
  const size_t lines_per_pass = CountLines(packets);
  TaskAggregation aggregation;
  TimeSampler& sampler = aggregation.sampler;

  // ~200k lines per simulated 10 s bucket: 20 passes over the 10k contexts.
  const size_t packets_per_second = packets.size() * 2;
  double now = 1'700'000'000;
  size_t packets_sent = 0;
  size_t lines = 0;
  size_t bytes = 0;
  size_t flushed_series = 0;
  size_t flush_allocations = 0;
  size_t next = 0;
  const auto send = [&](const std::string& packet) {
    lines += aggregation.Send(packet, now);
    bytes += packet.size();
    if (++packets_sent % packets_per_second == 0) {
      now += 1;
      if (static_cast<int64_t>(now) % 10 == 0) {
        const size_t before = allocations;
        flushed_series += sampler.Flush(now, false).series.size();
        aggregation.enricher.RefreshOrigins();
        flush_allocations += allocations - before;
      }
    }
  };
  // Warm-up: one full bucket so every context, slot and buffer exists.
  for (size_t i = 0; i < packets_per_second * 10; ++i) {
    send(packets[i % packets.size()]);
  }
  lines = 0;
  bytes = 0;
  flush_allocations = 0;
  const size_t allocations_before = allocations;
  for (auto _ : state) {
    send(packets[next]);
    next = next + 1 == packets.size() ? 0 : next + 1;
  }
  const size_t allocated = allocations - allocations_before;
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
  state.counters["contexts"] = static_cast<double>(sampler.context_count());
  state.counters["lines/pass"] = static_cast<double>(lines_per_pass);
  // Flushes allocate their output (series names, tags, points); lines themselves should not.
  state.counters["allocs/line"] =
      lines == 0 ? 0 : static_cast<double>(allocated) / static_cast<double>(lines);
  state.counters["allocs/line_excl_flush"] =
      lines == 0 ? 0
                 : static_cast<double>(allocated - flush_allocations) / static_cast<double>(lines);
  benchmark::DoNotOptimize(flushed_series);
}
BENCHMARK(BM_ParseEnrichAggregate);

// The same without flushes: the per-line cost only (no bucket ever closes).
void BM_ParseEnrichAggregateNoFlush(benchmark::State& state) {
  const std::vector<std::string> packets = MakePackets();
  telemetry::Registry registry;
  StatsdStats stats(registry);
  StaticOriginTags origins({"task_arn:arn:aws:ecs:eu-west-1:123456789012:task/c/0123456789abcdef"});
  Enricher enricher({.env = "prod"}, &origins, stats);
  TimeSampler sampler(TimeSamplerConfig{}, stats);
  const Parser parser(ParserOptions{});
  size_t lines = 0;
  size_t next = 0;
  const auto send = [&](const std::string& packet) {
    ForEachLine(packet, {}, [&](std::string_view line) {
      const ParseResult result = parser.Parse(line);
      if (const auto* sample = std::get_if<MetricSample>(&result)) {
        for (const EnrichedSample& s : enricher.Enrich(*sample)) {
          sampler.Add(s, 1'700'000'001);
        }
      }
      ++lines;
    });
  };
  for (const std::string& packet : packets) {
    send(packet);
  }
  lines = 0;
  const size_t allocations_before = allocations;
  for (auto _ : state) {
    send(packets[next]);
    next = next + 1 == packets.size() ? 0 : next + 1;
  }
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
  state.counters["allocs/line"] =
      lines == 0
          ? 0
          : static_cast<double>(allocations - allocations_before) / static_cast<double>(lines);
}
BENCHMARK(BM_ParseEnrichAggregateNoFlush);

// One flush of a full bucket of the 10k contexts (14k series: histograms give five each), as the
// pipeline runs it: series handed over 512 at a time to the v2 encoder (zstd level 1). This is
// how long the aggregation strand stops reading lines at each 10 s boundary.
void BM_FlushAndEncode(benchmark::State& state) {
  const std::vector<std::string> packets = MakePackets();
  TaskAggregation aggregation;
  const EncoderOptions encoder{.compression = forwarder::CompressionKind::kZstd, .zstd_level = 1};
  double now = 1'700'000'000;
  size_t series = 0;
  size_t compressed = 0;
  size_t flush_allocations = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (const std::string& packet : packets) {
      aggregation.Send(packet, now);
    }
    now += kBucketSeconds;
    const size_t before = allocations;
    state.ResumeTiming();
    SeriesEncoder::Stream stream(encoder);
    series = 0;
    compressed = 0;
    const auto deliver = [&](EncodeResult encoded) {
      for (const forwarder::Payload& payload : encoded.payloads) {
        compressed += payload.body.size();
      }
    };
    FlushResult rest =
        aggregation.sampler.Flush(now, false, 512, [&](std::span<const Serie> piece) {
          series += piece.size();
          deliver(stream.Add(piece));
        });
    series += rest.series.size();
    deliver(stream.Add(rest.series));
    deliver(stream.Finish());
    flush_allocations = allocations - before;
  }
  state.counters["series"] = static_cast<double>(series);
  state.counters["compressed_bytes"] = static_cast<double>(compressed);
  state.counters["allocs/flush"] = static_cast<double>(flush_allocations);
}
BENCHMARK(BM_FlushAndEncode)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sidecar::statsd

BENCHMARK_MAIN();
