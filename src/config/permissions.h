// Permissions: the classic framework's seven rights, granted on an object, a
// folder or a tenant to a Person, an AccessGroup (its members) or an
// Application, and inherited through folders and the tenant unless a grant
// says `propagate: false`. Grants are the `permissions` property every type
// has (a list of records), so they are revisioned, watched, replicated and
// carried through DR like the rest of the configuration.
//
// This file is the one decision: `Allowed` answers "may this subject do this
// to this object?" for every path that reads or writes (master and proxy
// alike); what it needs of other objects (folders, the tenant, access groups)
// it asks an ObjectSource.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/config/v1/config.pb.h"

namespace tandem::config {

//! The global AccessGroup whose members may do everything.
inline constexpr char kAdministratorsGroup[] = "Administrators";
//! The property that holds an object's grants (a list of records).
inline constexpr char kPermissionsProperty[] = "permissions";

enum class Right {
  kRead,
  kCreate,
  kChange,
  kDelete,
  kExecute,
  kReadPermissions,
  kChangePermissions,
};
inline constexpr int kRightCount = 7;

//! "read", "create", "change", "delete", "execute", "read_permissions",
//! "change_permissions": the names in grants.
const char* RightName(Right right);
std::optional<Right> ParseRight(const std::string& name);
const std::vector<std::string>& RightNames();

//! Who a decision is for.
struct Subject {
  //! Administrators, Tandem's own servers, and everyone when authentication
  //! is off: every right on everything.
  bool all = false;
  //! v1::OBJECT_TYPE_PERSON or v1::OBJECT_TYPE_APPLICATION.
  v1::ObjectType type = v1::OBJECT_TYPE_UNSPECIFIED;
  int64_t dbid = 0;
  //! For refusals: "person alice".
  std::string who = {};
};

//! The other objects a decision looks at.
class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  //! The object, or nullptr when there is none.
  virtual std::shared_ptr<const v1::ConfigObject> Find(v1::ObjectType type, int64_t dbid) = 0;
};

//! May `subject` do `right` to `object`? The grants on the object itself,
//! then those on its folder and every folder enclosing it, then those on its
//! tenant, are united (the containers' only if they propagate). A grant
//! matches a person named in it, a member of an enabled access group named in
//! it, or an application named in it. There are no denials.
bool Allowed(const Subject& subject, Right right, const v1::ConfigObject& object,
             ObjectSource& source);

//! May `subject` create `object` where it says it is (its folder, else its
//! tenant)? Create on that container; an object outside any folder and
//! tenant only with every right.
bool MayCreateIn(const Subject& subject, const v1::ConfigObject& object, ObjectSource& source);

//! The refusal: PERMISSION_DENIED naming the subject, the right, the object
//! and what to do.
std::string Refusal(const Subject& subject, Right right, const v1::ConfigObject& object);

//! Are the grants of two versions of an object the same?
bool SameGrants(const v1::ConfigObject& a, const v1::ConfigObject& b);
//! One grant's grantee of `field` ("person", "group", "application"): its
//! DBID, 0 if the grant names none of that kind.
int64_t GranteeDbid(const v1::Record& grant, const std::string& field);
//! Does the grant hold for what is inside its folder or tenant (the
//! default), or for that object alone ("propagate": false)?
bool GrantPropagates(const v1::Record& grant);
//! Does the object carry grants of its own?
bool HasGrants(const v1::ConfigObject& object);
//! Removes the grants (for a reader without Read Permissions); true if it
//! had any.
bool StripGrants(v1::ConfigObject* object);

//! The folder enclosing `object` (a folder's `parent`, else its folder_dbid),
//! 0 if none.
int64_t EnclosingFolder(const v1::ConfigObject& object);

}  // namespace tandem::config
