// The history hash chain (src/common/hash.h): every committed change is serialized
// deterministically and hashed with its predecessor's hash.
#include "benchmark/benchmark.h"
#include "common/hash.h"
#include "micro/bench_objects.h"

namespace tandem::bench {
namespace {

//! Deterministic serialization of an UPDATED change with before and after.
void BM_DeterministicSerializeChange(benchmark::State& state) {
  const v1::Change change = SampleChange(42);
  int64_t bytes = 0;
  for (auto _ : state) {
    std::string out = DeterministicSerialize(change);
    bytes += static_cast<int64_t>(out.size());
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_DeterministicSerializeChange);

//! Plain (non-deterministic) serialization of the same change, for comparison.
void BM_SerializeChange(benchmark::State& state) {
  const v1::Change change = SampleChange(42);
  for (auto _ : state) {
    std::string out = change.SerializeAsString();
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SerializeChange);

//! SHA-256 of the previous hash and a serialized change of the given size.
void BM_Sha256(benchmark::State& state) {
  const std::string prev(32, '\x5a');
  const std::string body(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    std::string h = Sha256(prev, body);
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(state.iterations() * (state.range(0) + 32));
}
BENCHMARK(BM_Sha256)->Arg(256)->Arg(1024)->Arg(16384);

//! One link of the chain: h_R = SHA-256(h_{R-1} || serialize(change)).
void BM_HashChainStep(benchmark::State& state) {
  v1::Change change = SampleChange(1);
  std::string hash(32, '\0');
  int64_t revision = 1;
  for (auto _ : state) {
    change.set_revision(++revision);
    hash = Sha256(hash, DeterministicSerialize(change));
  }
  benchmark::DoNotOptimize(hash);
}
BENCHMARK(BM_HashChainStep);

}  // namespace
}  // namespace tandem::bench
