#include "lca/owners.h"

#include "absl/strings/str_cat.h"
#include "config/refs.h"

namespace tandem::lca {

using config::RefDbid;

absl::StatusOr<std::vector<std::string>> OwnersOf(const config::v1::ConfigObject& host,
                                                  const ApplicationLookup& application) {
  const int64_t scs = RefDbid(host, "scs");
  if (scs == 0) {
    return absl::NotFoundError(
        absl::StrCat("Host ", host.name(), " names no scs: no SCS may command its LCA yet"));
  }
  std::optional<config::v1::ConfigObject> primary = application(scs);
  if (!primary.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("Host ", host.name(), " names scs DBID ", scs, ", which is no Application"));
  }
  std::vector<std::string> owners = {primary->name()};
  if (const int64_t backup = RefDbid(*primary, "backup"); backup != 0) {
    if (std::optional<config::v1::ConfigObject> b = application(backup); b.has_value()) {
      owners.push_back(b->name());
    }
  }
  return owners;
}

}  // namespace tandem::lca
