// Validation of written objects (src/config/schema.h): runs on every Create/Update.
#include "benchmark/benchmark.h"
#include "config/schema.h"
#include "micro/bench_objects.h"

namespace tandem::bench {
namespace {

//! Baseline: the copy that the validation benchmarks include.
void BM_CopyApplication(benchmark::State& state) {
  const v1::ConfigObject app = SampleApplication(1);
  for (auto _ : state) {
    v1::ConfigObject copy = app;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CopyApplication);

//! ValidateShape of an Application with defaults filled (the Create path).
void BM_ValidateShapeApplication(benchmark::State& state) {
  const v1::ConfigObject app = SampleApplication(1);
  for (auto _ : state) {
    v1::ConfigObject copy = app;
    absl::Status status = config::ValidateShape(&copy, /*fill_defaults=*/true);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_ValidateShapeApplication);

//! ValidateShape of a small Host (the update benchmark's object).
void BM_ValidateShapeHost(benchmark::State& state) {
  v1::ConfigObject host;
  host.set_type(v1::OBJECT_TYPE_HOST);
  host.set_name("host-1");
  (*host.mutable_properties())["address"].set_string_value("host-1.bench.example");
  (*host.mutable_properties())["lca_port"].set_int_value(4999);
  for (auto _ : state) {
    v1::ConfigObject copy = host;
    absl::Status status = config::ValidateShape(&copy, /*fill_defaults=*/true);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_ValidateShapeHost);

//! ForEachRef over an Application's references (reference resolution walks these).
void BM_ForEachRefApplication(benchmark::State& state) {
  v1::ConfigObject app = SampleApplication(1);
  for (auto _ : state) {
    int refs = 0;
    absl::Status status = config::ForEachRef(&app, [&](v1::Ref*, const std::string&) {
      ++refs;
      return absl::OkStatus();
    });
    benchmark::DoNotOptimize(refs);
  }
}
BENCHMARK(BM_ForEachRefApplication);

}  // namespace
}  // namespace tandem::bench
