#include "load/closed_loop.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace tandem::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct ClientState {
  std::vector<int64_t> latencies_ns;
  int64_t errors = 0;
};

class Loop {
 public:
  Loop(size_t clients, double warmup_s, double duration_s, const StartFn& start)
      : start_(start), states_(clients) {
    auto now = Clock::now();
    measure_begin_ =
        now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup_s));
    end_ = measure_begin_ +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_s));
    for (auto& s : states_) s.latencies_ns.reserve(1 << 14);
  }

  LoopResult Run() {
    running_ = states_.size();
    for (size_t i = 0; i < states_.size(); ++i) Next(i);
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return running_ == 0; });
    }
    LoopResult result;
    result.measured_s = std::chrono::duration<double>(end_ - measure_begin_).count();
    for (auto& s : states_) {
      result.errors += s.errors;
      result.latencies_ns.insert(result.latencies_ns.end(), s.latencies_ns.begin(),
                                 s.latencies_ns.end());
    }
    result.ops = static_cast<int64_t>(result.latencies_ns.size());
    return result;
  }

 private:
  void Next(size_t i) {
    auto started = Clock::now();
    start_(i, [this, i, started](bool ok) {
      auto now = Clock::now();
      ClientState& s = states_[i];
      if (!ok) {
        ++s.errors;
      } else if (started >= measure_begin_ && now <= end_) {
        s.latencies_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - started).count());
      }
      if (now < end_ && s.errors < 1000) {
        Next(i);
      } else {
        std::lock_guard lock(mu_);
        if (--running_ == 0) cv_.notify_all();
      }
    });
  }

  const StartFn& start_;
  std::vector<ClientState> states_;
  Clock::time_point measure_begin_;
  Clock::time_point end_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t running_ = 0;
};

}  // namespace

LoopResult RunClosedLoop(size_t clients, double warmup_s, double duration_s, const StartFn& start) {
  Loop loop(clients, warmup_s, duration_s, start);
  return loop.Run();
}

}  // namespace tandem::bench
