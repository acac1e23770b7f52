// Keys of the in-memory configuration state.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "absl/hash/hash.h"

namespace tandem::confserv {

struct ObjectKey {
  int type = 0;
  int64_t dbid = 0;
  bool operator==(const ObjectKey& o) const { return type == o.type && dbid == o.dbid; }
  template <typename H>
  friend H AbslHashValue(H h, const ObjectKey& k) {
    return H::combine(std::move(h), k.type, k.dbid);
  }
};

struct NameKey {
  int type = 0;
  int64_t tenant_dbid = 0;
  std::string name;
  bool operator==(const NameKey& o) const {
    return type == o.type && tenant_dbid == o.tenant_dbid && name == o.name;
  }
  template <typename H>
  friend H AbslHashValue(H h, const NameKey& k) {
    return H::combine(std::move(h), k.type, k.tenant_dbid, k.name);
  }
};

}  // namespace tandem::confserv
