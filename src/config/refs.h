// Reading references out of an object's properties (header only, so that
// the daemons and tandemctl share it without pulling in the schema).
#pragma once

#include <cstdint>
#include <string>

#include "tandem/config/v1/config.pb.h"

namespace tandem::config {

//! The DBID the reference property `field` names; 0 when there is none.
inline int64_t RefDbid(const v1::ConfigObject& object, const std::string& field) {
  auto it = object.properties().find(field);
  return it == object.properties().end() ? 0 : it->second.ref_value().dbid();
}

}  // namespace tandem::config
