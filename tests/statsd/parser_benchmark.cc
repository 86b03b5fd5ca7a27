// Parser throughput on a realistic UDP packet: 1432 bytes (a datagram that fits a 1500-byte MTU
// with IPv4/UDP headers, spec §12) of counter lines with five tags each, as most clients send.
//
//   build/.../tests/statsd/statsd_parser_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>
#include <variant>

#include "statsd/framer.h"
#include "statsd/parser.h"

namespace sidecar::statsd {
namespace {

constexpr size_t kPacketBytes = 1432;

// Lines like `app.http.requests.17:42|c|#env:prod,service:checkout,version:1.4.2,route:/api/v1,
// az:eu-west-1a`, joined by '\n' and padded with the last line's value digits to kPacketBytes.
std::string MakePacket() {
  std::string packet;
  for (int i = 0;; ++i) {
    std::string line = "app.http.requests." + std::to_string(i % 50) + ":" +
                       std::to_string(1 + (i * 7) % 1000) +
                       "|c|#env:prod,service:checkout,version:1.4." + std::to_string(i % 10) +
                       ",route:/api/v1/items,az:eu-west-1a";
    const size_t needed = packet.empty() ? line.size() : line.size() + 1;
    if (packet.size() + needed > kPacketBytes) {
      break;
    }
    if (!packet.empty()) {
      packet += '\n';
    }
    packet += line;
  }
  // Pad the first line's name so the packet is exactly kPacketBytes long.
  packet.insert(0, std::string(kPacketBytes - packet.size(), 'x'));
  return packet;
}

void BM_FrameAndParsePacket(benchmark::State& state) {
  const std::string packet = MakePacket();
  const Parser parser(ParserOptions{});
  size_t lines = 0;
  size_t tags = 0;
  for (auto _ : state) {
    ForEachLine(packet, {}, [&](std::string_view line) {
      ParseResult result = parser.Parse(line);
      benchmark::DoNotOptimize(result);
      if (const auto* sample = std::get_if<MetricSample>(&result)) {
        tags += sample->tags.size() > 0 ? 1 : 0;
      }
      ++lines;
    });
  }
  if (tags != lines) {
    state.SkipWithError("a benchmark line did not parse");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * packet.size()));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
  state.counters["lines/packet"] =
      static_cast<double>(lines) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_FrameAndParsePacket);

// Parse plus a walk over every tag and value, as the context resolver will do.
void BM_ParseAndIterate(benchmark::State& state) {
  const std::string packet = MakePacket();
  const Parser parser(ParserOptions{});
  size_t lines = 0;
  for (auto _ : state) {
    ForEachLine(packet, {}, [&](std::string_view line) {
      const ParseResult result = parser.Parse(line);
      const auto& sample = std::get<MetricSample>(result);
      size_t bytes = 0;
      for (const std::string_view tag : sample.tags) {
        bytes += tag.size();
      }
      double sum = 0;
      for (const double value : sample.values) {
        sum += value;
      }
      benchmark::DoNotOptimize(bytes);
      benchmark::DoNotOptimize(sum);
      ++lines;
    });
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * packet.size()));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseAndIterate);

}  // namespace
}  // namespace sidecar::statsd

BENCHMARK_MAIN();
