#include "scs/pair_role.h"

#include "absl/strings/str_cat.h"

namespace tandem::scs {

PairRole::PairRole(std::string me, PairRoleOptions options, Clock& clock, EpochStore& store,
                   PartnerProbe* probe)
    : me_(std::move(me)), options_(options), clock_(clock), store_(store), probe_(probe) {}

void PairRole::Deposed(const std::string& why) {
  if (!acting_) return;
  acting_ = false;
  partner_seen_ = clock_.Now();  // the other one acts: give it its takeover time
  deposed_at_ = clock_.Now();
  pending_change_ = absl::StrCat("backup: deposed (", why, ")");
}

PairRole::Decision PairRole::Step() {
  const absl::Time now = clock_.Now();
  Decision d;
  if (!started_) {
    started_ = true;
    // A new backup gives a partner it has never heard a full takeover time.
    partner_seen_ = now;
  }
  if (acting_) {
    if (now - checked_ >= options_.recheck) {
      checked_ = now;
      absl::StatusOr<PairLock> lock = store_.Read();
      if (lock.ok() && (lock->holder != me_ || lock->epoch != epoch_)) {
        acting_ = false;
        partner_seen_ = now;
        pending_change_ = absl::StrCat("backup: ", lock->holder, " holds epoch ", lock->epoch);
      }
    }
  } else {
    if (probe_ != nullptr && now - probed_ >= options_.probe_period) {
      probed_ = now;
      if (probe_->Alive()) partner_seen_ = now;
    }
    absl::StatusOr<PairLock> lock = store_.Read();
    if (lock.ok()) {
      const bool partner_gone = probe_ == nullptr || now - partner_seen_ > options_.takeover_after;
      // Nobody's (both starting: the configured primary's; the swap decides
      // if both try), ours (after a restart of ours), or a silent
      // partner's: take it.
      // (Not our own again right after being deposed: the lock read may be
      // older than the epoch that deposed us.)
      const bool ours = lock->holder == me_ && options_.retake_own_lock &&
                        now - deposed_at_ > options_.takeover_after;
      const bool free = lock->holder.empty() && !options_.configured_backup;
      if (free || ours || partner_gone) {
        absl::StatusOr<PairLock> taken = store_.Take(*lock, me_);
        if (taken.ok()) {
          acting_ = true;
          epoch_ = taken->epoch;
          checked_ = now;
          pending_change_ =
              absl::StrCat("primary with epoch ", epoch_,
                           lock->holder.empty() || lock->holder == me_
                               ? std::string("")
                               : absl::StrCat(" (took over from ", lock->holder, ", silent for ",
                                              absl::FormatDuration(now - partner_seen_), ")"));
        }
      }
    }
  }
  d.acting = acting_;
  d.epoch = epoch_;
  d.change = std::move(pending_change_);
  pending_change_.clear();
  return d;
}

}  // namespace tandem::scs
