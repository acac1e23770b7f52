#include "load/latency.h"

#include <algorithm>
#include <cmath>

namespace tandem::bench {
namespace {

double Percentile(const std::vector<int64_t>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  size_t index = rank == 0 ? 0 : rank - 1;
  return static_cast<double>(sorted[std::min(index, sorted.size() - 1)]) / 1e6;
}

}  // namespace

LatencySummary Summarize(std::vector<int64_t>& samples_ns) {
  LatencySummary s;
  s.count = samples_ns.size();
  if (samples_ns.empty()) return s;
  std::sort(samples_ns.begin(), samples_ns.end());
  double sum = 0;
  for (int64_t v : samples_ns) sum += static_cast<double>(v);
  s.mean_ms = sum / static_cast<double>(samples_ns.size()) / 1e6;
  s.p50_ms = Percentile(samples_ns, 0.50);
  s.p90_ms = Percentile(samples_ns, 0.90);
  s.p99_ms = Percentile(samples_ns, 0.99);
  s.max_ms = static_cast<double>(samples_ns.back()) / 1e6;
  return s;
}

}  // namespace tandem::bench
