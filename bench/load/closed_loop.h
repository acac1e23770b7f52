// Closed-loop driver: each logical client keeps exactly one operation in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace tandem::bench {

//! Completion of one operation; call exactly once, from any thread.
using DoneFn = std::function<void(bool ok)>;
//! Starts one operation of client `client` (an asynchronous RPC) that later calls `done`.
using StartFn = std::function<void(size_t client, DoneFn done)>;

struct LoopResult {
  //! Operations that started after the warm-up and completed within the measured window.
  int64_t ops = 0;
  int64_t errors = 0;
  //! Length of the measured window in seconds.
  double measured_s = 0;
  std::vector<int64_t> latencies_ns;
};

//! Runs `clients` closed loops for `warmup_s` + `duration_s` seconds and waits until every
//! loop has finished its last operation. A client stops early after 1000 errors.
LoopResult RunClosedLoop(size_t clients, double warmup_s, double duration_s, const StartFn& start);

}  // namespace tandem::bench
