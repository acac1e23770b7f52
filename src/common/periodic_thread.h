// A thread that calls a function every `period` until stopped: the shape of
// the daemons' watchers (the SCS's alarm reporter, the primary master's
// replication watch). Stop() wakes it at once and joins it.
#pragma once

#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tandem {

class PeriodicThread {
 public:
  //! The first call comes one `period` after construction.
  PeriodicThread(absl::Duration period, std::function<void()> tick);
  //! Stops.
  ~PeriodicThread();
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;
  //! Waits for a call in progress to return; no call after it.
  void Stop();

 private:
  void Run();

  const absl::Duration period_;
  const std::function<void()> tick_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tandem
