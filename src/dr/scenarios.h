// The disaster-recovery runbooks as lists of steps for the engine
// (runbook.h). Every step checks its effect itself (so a run after an
// interruption skips what is done) and is verified before the next.
//
// Steps that reach outside Tandem (start or stop a VM, fence a DBMS host's
// port, turn an old primary into a standby) run the commands of the site
// file's [hosts.NAME] entries; everything else (promote, DNS, waiting for
// masters and proxies) Tandem does itself.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dr/runbook.h"
#include "dr/site.h"
#include "tandem/storage/pg_admin.h"

namespace tandem::dr {

//! What the steps learn while they run, for the report.
struct PlanFacts {
  //! The old region's DBMS did not answer when the standby was promoted:
  //! what it had not replicated is unknown until it returns.
  bool old_dbms_unreachable_at_promote = false;
  //! The new DBMS was seen to have replayed everything the old one wrote.
  bool caught_up = false;
  //! The old region's DBMS compared with the new primary before it was
  //! turned into a standby (failback, switchover): only_in_a = lost.
  std::optional<storage::pgadmin::HistoryComparison> discarded;
  //! The region names, old (losing) and new (taking over).
  std::string from, to;
  //! The region whose DBMS may hold revisions the other never received, the
  //! old primary: `from`, but `to` for a failback.
  std::string old_primary;
};

struct Plan {
  std::string name;  // "failover-full", "switchover", ...
  std::vector<Step> steps;
  //! After this step, the new region accepts writes (RTO ends there).
  std::string writable_after;
  std::shared_ptr<PlanFacts> facts;
  //! Keeps what the steps refer to alive.
  std::shared_ptr<const void> owner;
};

//! The seed's failover scenarios, to region `to`:
//!  - "dbms": only the live DBMS is lost. Fence it, promote `to`'s standby;
//!    the live region's masters move to it by themselves.
//!  - "framework": only the live framework VMs are lost. Stop them (if
//!    they answer), fence the live DBMS, let `to`'s standby catch up,
//!    promote it, start `to`'s framework VMs, point DNS at them, wait for
//!    every proxy to follow.
//!  - "full": the whole live region is lost: the same steps as
//!    "framework"; those whose target is gone find nothing to do.
absl::StatusOr<Plan> FailoverPlan(const Site& site, const std::string& scenario,
                                  const std::string& to);

//! Planned, zero loss: the "framework" steps, where catching up is a must
//! (the old DBMS has to answer), then the old DBMS becomes a standby of
//! the new one.
absl::StatusOr<Plan> SwitchoverPlan(const Site& site, const std::string& to);

//! Back to region `to` after a failover away from it: start its DBMS,
//! report what it has that the live region does not (lost with the
//! failover), make it a standby of the live DBMS, then switch over to it.
absl::StatusOr<Plan> FailbackPlan(const Site& site, const std::string& to);

}  // namespace tandem::dr
