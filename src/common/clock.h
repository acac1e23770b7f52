// Time source, injected so that timers (history age, leases) run on simulated
// time in tests.
#pragma once

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tandem {

class Clock {
 public:
  virtual ~Clock() = default;
  //! Wall-clock time; may be called from any thread.
  virtual absl::Time Now() const = 0;
  //! The process-wide real clock.
  static Clock& Real();
};

//! A clock that moves only when told to. Thread-safe.
class SimClock : public Clock {
 public:
  explicit SimClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem
