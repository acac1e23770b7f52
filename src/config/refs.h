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

//! An Application's port with id `default`; with `or_first`, else its first
//! port. 0 when there is none.
inline int64_t AppPort(const v1::ConfigObject& app, bool or_first = false) {
  auto ports = app.properties().find("ports");
  if (ports == app.properties().end()) return 0;
  int64_t first = 0;
  for (const v1::Value& r : ports->second.list_value().values()) {
    const auto& f = r.record_value().fields();
    auto p = f.find("port");
    if (p == f.end()) continue;
    if (auto id = f.find("id"); id != f.end() && id->second.string_value() == "default") {
      return p->second.int_value();
    }
    if (first == 0) first = p->second.int_value();
  }
  return or_first ? first : 0;
}

//! An Application's app_type ("SCS", "LCA", ...); "" when it has none.
inline std::string AppType(const v1::ConfigObject& app) {
  auto it = app.properties().find("app_type");
  return it == app.properties().end() ? "" : it->second.string_value();
}

}  // namespace tandem::config
