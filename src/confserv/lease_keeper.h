// What the primary of a master HA pair does with the outcome of each lease
// renewal, on the injected clock: a renewal that succeeds makes the lease
// valid until its start + the lease time (not its end: the database counted
// from when it was asked); one that fails for a passing reason is retried
// while the lease is still valid here; a lost lease, or no successful
// renewal before it runs out, means stepping down (another node may be the
// primary by then). HaServer's lease loop calls it; tests drive it on
// simulated time.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace tandem::confserv {

class LeaseKeeper {
 public:
  LeaseKeeper(absl::Duration lease, Clock& clock) : lease_(lease), clock_(clock) {}

  enum class Verdict { kKeep, kRetry, kStepDown };
  struct Decision {
    Verdict verdict = Verdict::kKeep;
    //! For kRetry and kStepDown: what happened, for the log.
    std::string why;
  };

  //! The lease was taken (or renewed) by a request made at `at`.
  void Granted(absl::Time at) { valid_until_ = at + lease_; }
  //! A renewal asked at `started` ended with `result` (now, on the clock);
  //! storage::IsLeaseLost(result): the database says another node holds it.
  Decision Renewed(absl::Time started, const absl::Status& result);
  //! Until when this node may act as the primary.
  absl::Time valid_until() const { return valid_until_; }
  //! How often to renew: three chances per lease.
  absl::Duration renew_every() const { return lease_ / 3; }

 private:
  const absl::Duration lease_;
  Clock& clock_;
  absl::Time valid_until_ = absl::InfinitePast();
};

}  // namespace tandem::confserv
