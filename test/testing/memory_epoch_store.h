// An SCS pair's lock in memory (scs::EpochStore), thread-safe: the test sets
// it as another member would and reads what PairRole wrote.
#pragma once

#include <string>

#include "absl/synchronization/mutex.h"
#include "scs/pair_role.h"

namespace tandem::testing {

class MemoryEpochStore : public scs::EpochStore {
 public:
  absl::StatusOr<scs::PairLock> Read() override { return lock(); }
  absl::StatusOr<scs::PairLock> Take(const scs::PairLock& seen, const std::string& me) override {
    absl::MutexLock l(&mu_);
    if (seen.revision != lock_.revision) return absl::AbortedError("revision changed");
    lock_ = {me, lock_.epoch + 1, lock_.revision + 1};
    return lock_;
  }
  scs::PairLock lock() const {
    absl::MutexLock l(&mu_);
    return lock_;
  }
  //! Another member took it: `holder` with the next epoch and revision.
  void TakenBy(const std::string& holder) {
    absl::MutexLock l(&mu_);
    lock_ = {holder, lock_.epoch + 1, lock_.revision + 1};
  }
  void Set(scs::PairLock lock) {
    absl::MutexLock l(&mu_);
    lock_ = std::move(lock);
  }

 private:
  mutable absl::Mutex mu_;
  scs::PairLock lock_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::testing
