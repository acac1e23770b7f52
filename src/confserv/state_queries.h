// Get and List answered from a ConfigState, shared by the master
// (ConfigDatabase) and the Configuration Server Proxy (csproxy::ConfigCopy),
// so that both answer exactly alike. The Find/Candidates halves run under the
// caller's reader lock; the Answer/Filter halves need no lock.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "confserv/config_state.h"
#include "tandem/config/backend.h"

namespace tandem::confserv {

//! INVALID_ARGUMENT for a type the schema does not know.
absl::Status CheckType(v1::ObjectType type);

//! The object a Get names (by DBID or name), or nullptr. Under the lock.
StoredPtr FindForGet(const ConfigState& state, const v1::GetRequest& request);
//! The answer: the parsed object at `revision`, or NOT_FOUND saying what
//! was looked for.
absl::StatusOr<v1::GetResponse> GetAnswer(const v1::GetRequest& request, const StoredPtr& found,
                                          int64_t revision);

//! The request's filters are well formed (type known, SECTION/KEY paths).
absl::Status CheckListRequest(const v1::ListRequest& request);
//! Objects of the type passing the cheap filters (folder, tenant, name
//! pattern), in DBID order. Under the lock.
std::vector<StoredPtr> ListCandidates(const ConfigState& state, const v1::ListRequest& request);
//! The deep filters (property, option, annex, which parse the object) and
//! the limit, applied to the candidates.
std::vector<config::ObjectBytes> FilterCandidates(const v1::ListRequest& request,
                                                  const std::vector<StoredPtr>& candidates);

//! DBID of the Application of that name, global first, then per tenant; 0
//! if none. Under the lock.
int64_t FindApplicationIn(const ConfigState& state, const std::string& name);

}  // namespace tandem::confserv
