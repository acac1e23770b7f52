// Latency samples of the load generator and their percentile summary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tandem::bench {

struct LatencySummary {
  size_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

//! Nearest-rank percentiles of samples given in nanoseconds; sorts `samples_ns`.
LatencySummary Summarize(std::vector<int64_t>& samples_ns);

}  // namespace tandem::bench
