// Who may command an LCA: the SCS named by its Host object's `scs`, and that
// SCS's `backup` (the pair's epoch decides which of the two acts).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tandem/config/v1/config.pb.h"

namespace tandem::lca {

//! Looks an Application up by DBID.
using ApplicationLookup = std::function<std::optional<config::v1::ConfigObject>(int64_t dbid)>;

//! The owners' Application names. NOT_FOUND when the Host has no scs or it
//! names no existing Application (nothing may command the LCA then).
absl::StatusOr<std::vector<std::string>> OwnersOf(const config::v1::ConfigObject& host,
                                                  const ApplicationLookup& application);

}  // namespace tandem::lca
