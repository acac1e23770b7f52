// Names of object types as operators write them ("Application", "app"),
// and of a server's role and proxy mode (as tandemctl, the console and
// /metrics show them).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tandem/config/v1/config.pb.h"

namespace tandem::config {

using v1::ObjectType;

//! "Application" for OBJECT_TYPE_APPLICATION; "Type#N" for unknown numbers.
std::string TypeName(ObjectType type);

//! Accepts the type name in any case, its plural, the snake_case form
//! ("alarm_condition") and the enum name. Unknown names get an error listing
//! the known ones.
absl::StatusOr<ObjectType> ParseType(absl::string_view text);

//! Every known type, in dependency order (a type refers only to earlier ones
//! or to itself).
const std::vector<ObjectType>& AllTypes();

//! "primary", "backup", "standalone", "proxy"; "unspecified" otherwise.
const char* RoleName(v1::Role role);
//! "normal", "limited", "loading"; "unspecified" otherwise.
const char* ProxyModeName(v1::ProxyMode mode);

}  // namespace tandem::config
