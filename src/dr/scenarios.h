// The failover runbooks as lists of steps for the engine (runbook.h).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dr/runbook.h"
#include "dr/site.h"

namespace tandem::dr {

//! DBMS failover (the seed's "DBMS" scenario): the live region's DBMS is
//! lost; the other region's standby is promoted and the live region's
//! masters carry on against it (their conninfo lists both DBMS with
//! target_session_attrs=read-write). `to` names the region whose DBMS takes
//! over. Promoting is refused while the old DBMS is still writable and not
//! fenced.
absl::StatusOr<std::vector<Step>> DbmsFailover(const Site& site, const std::string& to);

}  // namespace tandem::dr
