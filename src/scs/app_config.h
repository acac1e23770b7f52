// An Application object (and its Host) as the SCS's Controller needs it: the
// ProcessSpec for the LCA and the control options, `[sml]` in options (or
// annex) as operators of the classic framework write them.
#pragma once

#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "scs/controller.h"
#include "tandem/config/v1/config.pb.h"

namespace tandem::scs {

//! Looks an object of the type up by DBID.
using ObjectLookup =
    std::function<std::optional<config::v1::ConfigObject>(config::v1::ObjectType, int64_t)>;

//! INVALID_ARGUMENT naming the Application and the field or option when it
//! cannot be run (no host, no command line, malformed arguments, an option
//! that is not a number or a boolean).
absl::StatusOr<AppConfig> AppConfigFrom(const config::v1::ConfigObject& app,
                                        const ObjectLookup& lookup);

}  // namespace tandem::scs
