// DDSketch insert throughput on realistic request latencies: lognormal seconds with a median of
// ~20 ms and a long tail (sigma 1.2), the shape of `http.request.duration:<v>|d` traffic.
// Values are pre-generated so the figure is the sketch alone (key, summary, bin update).
//
//   build/.../tests/statsd/statsd_ddsketch_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstddef>
#include <random>
#include <vector>

#include "statsd/ddsketch.h"

namespace sidecar::statsd {
namespace {

std::vector<double> LatencyValues(size_t count) {
  std::mt19937_64 rng(1234);
  std::lognormal_distribution<double> latency(/*m=*/-3.9, /*s=*/1.2);
  std::vector<double> values(count);
  for (double& v : values) {
    v = latency(rng);
  }
  return values;
}

// One sketch receiving a stream of values (a busy context within one 10 s bucket).
void BM_InsertLatency(benchmark::State& state) {
  const std::vector<double> values = LatencyValues(1 << 16);
  DDSketch sketch;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sketch.Insert(values[i]));
    i = (i + 1) & (values.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bins"] = static_cast<double>(sketch.ToSketchPoint(0).keys.size());
}
BENCHMARK(BM_InsertLatency);

// The same with a client-side sample rate (`|@0.1`): every insert is a counted insert + trim.
void BM_InsertLatencySampled(benchmark::State& state) {
  const std::vector<double> values = LatencyValues(1 << 16);
  DDSketch sketch;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sketch.Insert(values[i], 0.1));
    i = (i + 1) & (values.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertLatencySampled);

// A bucket's life: `range(0)` values into a fresh (cleared) sketch, then the flush conversion.
void BM_BucketOfLatencies(benchmark::State& state) {
  const std::vector<double> values = LatencyValues(static_cast<size_t>(state.range(0)));
  DDSketch sketch;
  for (auto _ : state) {
    sketch.Clear();
    for (const double v : values) {
      sketch.Insert(v);
    }
    benchmark::DoNotOptimize(sketch.ToSketchPoint(0));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BucketOfLatencies)->Arg(100)->Arg(10000);

}  // namespace
}  // namespace sidecar::statsd

BENCHMARK_MAIN();
