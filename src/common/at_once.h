// Blocking fan-out: one thread per item, for a handful of slow calls (probes,
// RPCs to several hosts, commands on several VMs) that should cost the
// slowest one, not their sum.
#pragma once

#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace tandem {

//! Runs fn(0), ..., fn(n - 1), each on its own thread; returns when all
//! have returned. fn writes its result to slot i of something it owns.
inline void RunAtOnce(size_t n, const std::function<void(size_t)>& fn) {
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t i = 0; i < n; ++i) threads.emplace_back(fn, i);
  for (std::thread& t : threads) t.join();
}

}  // namespace tandem
