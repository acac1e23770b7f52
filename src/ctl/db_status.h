// db status: what each DBMS says about its role, replication, fences and
// the Configuration Database it holds.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ctl/context.h"

namespace tandem::ctl {

//! Prints a table (or JSON) of every DBMS; an error (exit 1) when one is
//! unreachable, a synchronous standby is missing or two are primaries.
absl::Status RunDbStatus(CommandContext& ctx, const std::vector<std::string>& conninfos,
                         const std::string& nft_table);

}  // namespace tandem::ctl
