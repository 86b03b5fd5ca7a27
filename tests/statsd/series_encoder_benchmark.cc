// Series encoding throughput: 10,000 series with five tags and one point each (a typical flush
// of a busy sidecar), protobuf-encoded and zstd-compressed at level 1 (the Agent default) into
// /api/v2/series payloads. Reports series/s and input bytes/s.
//
//   build/.../tests/statsd/statsd_encoder_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "statsd/series_encoder.h"

namespace sidecar::statsd {
namespace {

constexpr int kSeries = 10'000;

std::vector<Serie> MakeSeries() {
  std::vector<Serie> series;
  series.reserve(kSeries);
  for (int i = 0; i < kSeries; ++i) {
    series.push_back(Serie{
        .name = "app.http.request.duration." + std::to_string(i % 200),
        .host = "",
        .tags = {"env:prod", "service:checkout", "version:1.4." + std::to_string(i % 10),
                 "route:/api/v1/items/" + std::to_string(i % 50),
                 "task_arn:arn:aws:ecs:eu-west-1:123456789012:task/c/" + std::to_string(i)},
        .type = i % 2 == 0 ? SeriesType::kGauge : SeriesType::kRate,
        .points = {{.timestamp = 1700000000, .value = 0.25 * i}},
        .interval = 10,
    });
  }
  return series;
}

void BM_EncodeSeriesZstd1(benchmark::State& state) {
  const std::vector<Serie> series = MakeSeries();
  const SeriesEncoder encoder(
      EncoderOptions{.compression = forwarder::CompressionKind::kZstd, .zstd_level = 1});
  size_t compressed = 0;
  for (auto _ : state) {
    EncodeResult result = encoder.Encode(series);
    compressed = 0;
    for (const forwarder::Payload& payload : result.payloads) {
      compressed += payload.body.size();
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * kSeries);
  state.counters["compressed_bytes"] = static_cast<double>(compressed);
}
BENCHMARK(BM_EncodeSeriesZstd1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sidecar::statsd

BENCHMARK_MAIN();
