// Which SCS of a pair acts. The pair's epoch lives in the configuration (the
// annex `[scs-pair]` of the pair's first SCS Application: `holder`,
// `epoch`), and is taken by compare-and-swap (the object's revision) only at
// a takeover, so a running pair writes nothing to the history. The backup
// asks its partner every round whether it is alive and takes over when it has
// not answered for `takeover_after`. Two SCSs that both believe they act
// (a partition) are kept apart by the LCAs: they refuse commands of an epoch
// older than one they have seen, and an SCS refused so steps down at once
// (Deposed). Time comes from the injected clock.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace tandem::scs {

struct PairLock {
  std::string holder;
  int64_t epoch = 0;
  //! The revision of the object it was read from (for the swap).
  int64_t revision = 0;
};

//! Where the lock lives (the configuration, in production).
class EpochStore {
 public:
  virtual ~EpochStore() = default;
  virtual absl::StatusOr<PairLock> Read() = 0;
  //! Writes {me, seen.epoch + 1} if the object is still at seen.revision:
  //! the new lock, ABORTED when someone else wrote first.
  virtual absl::StatusOr<PairLock> Take(const PairLock& seen, const std::string& me) = 0;
};

//! Whether the partner SCS answers (its GetInfo, in production).
class PartnerProbe {
 public:
  virtual ~PartnerProbe() = default;
  virtual bool Alive() = 0;
};

struct PairRoleOptions {
  //! The partner silent this long: take over.
  absl::Duration takeover_after = absl::Seconds(3);
  //! How often an acting SCS re-reads the lock (someone may have taken it).
  absl::Duration recheck = absl::Seconds(1);
  //! How often a backup asks its partner (not on every round of the loop).
  absl::Duration probe_period = absl::Milliseconds(500);
  //! This SCS is the pair's configured backup (its partner names it as
  //! `backup`): a free lock is left to the partner unless the partner is
  //! silent for takeover_after, so the configured primary acts when both
  //! start together.
  bool configured_backup = false;
  //! A lock this member holds when it (re)starts is taken back at once: an
  //! SCS's state is in its LCAs. False for a Message Server, whose memory
  //! went with it while its partner kept a copy: it waits as for a
  //! partner's lock.
  bool retake_own_lock = true;
};

class PairRole {
 public:
  //! `probe` may be null: an SCS without a partner takes the lock at once.
  PairRole(std::string me, PairRoleOptions options, Clock& clock, EpochStore& store,
           PartnerProbe* probe);

  struct Decision {
    bool acting = false;
    int64_t epoch = 0;
    //! Set when the role changed in this step: a line for the log.
    std::string change;
  };
  //! One round; call often (the SCS's loop does, every 100 ms).
  Decision Step();
  //! An LCA refused our epoch: someone newer acts. Steps down at once.
  void Deposed(const std::string& why);

  bool acting() const { return acting_; }
  int64_t epoch() const { return epoch_; }

 private:
  const std::string me_;
  const PairRoleOptions options_;
  Clock& clock_;
  EpochStore& store_;
  PartnerProbe* probe_;
  bool acting_ = false;
  int64_t epoch_ = 0;
  absl::Time partner_seen_ = absl::InfinitePast();
  absl::Time probed_ = absl::InfinitePast();
  absl::Time checked_ = absl::InfinitePast();
  absl::Time deposed_at_ = absl::InfinitePast();
  bool started_ = false;
  std::string pending_change_;
};

}  // namespace tandem::scs
