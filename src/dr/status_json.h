// `dr status` as JSON: what `tandemctl dr status -o json` prints and the
// console's Regions page shows (one shape for both).
#pragma once

#include "dr/status.h"
#include "nlohmann/json.hpp"

namespace tandem::dr {

//! {live_region, warnings, regions: [{name, dbms_*, revision, standbys,
//! masters, proxies, scs, message_servers, ...}], dns: [...]}.
nlohmann::json SiteViewJson(const SiteView& view);

//! One master or proxy: address, reachable, error or role, revision, node
//! and epoch (HA), mode and master (proxies).
nlohmann::json ServerJson(const ServerView& s);

}  // namespace tandem::dr
