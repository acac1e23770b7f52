// Finding the objects an operator names: NAME|DBID arguments, --tenant, and
// the names of referenced objects that tables show ("fw-p (3)").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ctl/context.h"
#include "ctl/input.h"

namespace tandem::ctl {

//! Reads the object `key` names (in tenant `tenant_dbid` for a name). A bare
//! number is looked up both as a DBID and as a name: one found is the answer,
//! two different objects are refused as ambiguous (write dbid:N or name:N).
//! `verb` starts the error message ("delete" -> "delete Host 'x': no ...").
absl::StatusOr<v1::ConfigObject> FetchObject(CommandContext& ctx, v1::ObjectType type,
                                             const ObjectKey& key, int64_t tenant_dbid,
                                             absl::string_view verb);

//! --tenant NAME|DBID -> the tenant's DBID; "" and "0" -> 0 (none given /
//! global objects).
absl::StatusOr<int64_t> ResolveTenant(CommandContext& ctx, const std::string& text);

//! The names of objects that others refer to, fetched once per object (a
//! whole type is listed when many of its objects are needed).
class RefNames {
 public:
  explicit RefNames(CommandContext& ctx) : ctx_(ctx) {}
  //! Learns the names of everything `objects` refer to: properties' refs,
  //! tenants and folders. Failures leave names unknown (shown as DBIDs).
  void Load(const std::vector<v1::ConfigObject>& objects);
  //! "fw-p (3)"; "3" when the name is not known.
  std::string Show(v1::ObjectType type, int64_t dbid) const;

 private:
  CommandContext& ctx_;
  std::map<std::pair<int, int64_t>, std::string> names_;
};

//! Where tandemctl reaches Application `app`: its Host's address and its
//! `default` port (FAILED_PRECONDITION saying which is missing).
absl::StatusOr<std::string> AddressOf(CommandContext& ctx, const v1::ConfigObject& app);

//! Every MessageServer Application.
absl::StatusOr<std::vector<v1::ConfigObject>> MessageServerApps(CommandContext& ctx);

struct NamedAddress {
  std::string application;
  std::string address;
};
//! The Message Server Application `name` (NAME|DBID) and its partner (the
//! `backup` it names, or the one that names it as its `backup`): the pair's
//! addresses, `name`'s first. An empty `name` is refused
//! with the MessageServer Applications there are, `what` saying which kind
//! is wanted ("the Log Message Server (...)"); `verb` starts the error of a
//! name that is not found ("read logs from").
absl::StatusOr<std::vector<NamedAddress>> MessageServerPair(CommandContext& ctx,
                                                            const std::string& name,
                                                            absl::string_view what,
                                                            absl::string_view verb);

}  // namespace tandem::ctl
