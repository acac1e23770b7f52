// Jittered exponential backoff for reconnect loops: each delay is drawn
// uniformly from [d/2, d] where d doubles from `initial` up to `max`.
#pragma once

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace tandem {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed = std::random_device{}())
      : initial_(initial), max_(max), current_(initial), rng_(seed) {}

  //! The next delay to wait; grows until Reset().
  absl::Duration Next() {
    const absl::Duration d = current_;
    current_ = std::min(current_ * 2, max_);
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return d * jitter(rng_);
  }
  //! After a success: start again from `initial`.
  void Reset() { current_ = initial_; }
  //! A uniform random duration in [0, max] (staggers).
  absl::Duration Uniform(absl::Duration max) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    return max * u(rng_);
  }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Duration current_;
  std::mt19937_64 rng_;
};

}  // namespace tandem
