#include "config/permissions.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "config/object_types.h"
#include "google/protobuf/util/message_differencer.h"

namespace tandem::config {
int64_t GranteeDbid(const v1::Record& grant, const std::string& field) {
  auto it = grant.fields().find(field);
  return it == grant.fields().end() ? 0 : it->second.ref_value().dbid();
}

bool GrantPropagates(const v1::Record& grant) {
  auto it = grant.fields().find("propagate");
  return it == grant.fields().end() || !it->second.has_bool_value() || it->second.bool_value();
}

namespace {

//! Folders nested deeper than this (or in a cycle) end the walk.
constexpr int kMaxDepth = 64;

const google::protobuf::RepeatedPtrField<v1::Value>* Grants(const v1::ConfigObject& object) {
  auto it = object.properties().find(kPermissionsProperty);
  if (it == object.properties().end() || !it->second.has_list_value()) return nullptr;
  return &it->second.list_value().values();
}

bool GrantsRight(const v1::Record& grant, Right right) {
  auto it = grant.fields().find("rights");
  if (it == grant.fields().end()) return false;
  const std::string name = RightName(right);
  for (const v1::Value& r : it->second.list_value().values()) {
    if (r.string_value() == name) return true;
  }
  return false;
}

bool IsMember(const v1::ConfigObject& group, const Subject& subject) {
  if (!group.enabled() || subject.type != v1::OBJECT_TYPE_PERSON) return false;
  auto it = group.properties().find("members");
  if (it == group.properties().end()) return false;
  for (const v1::Value& m : it->second.list_value().values()) {
    if (m.ref_value().dbid() == subject.dbid) return true;
  }
  return false;
}

bool Matches(const v1::Record& grant, const Subject& subject, ObjectSource& source) {
  if (subject.type == v1::OBJECT_TYPE_PERSON && GranteeDbid(grant, "person") == subject.dbid) {
    return subject.dbid != 0;
  }
  if (subject.type == v1::OBJECT_TYPE_APPLICATION &&
      GranteeDbid(grant, "application") == subject.dbid) {
    return subject.dbid != 0;
  }
  const int64_t group = GranteeDbid(grant, "group");
  if (group == 0) return false;
  auto g = source.Find(v1::OBJECT_TYPE_ACCESS_GROUP, group);
  return g != nullptr && IsMember(*g, subject);
}

// Does one of `object`'s grants give `right` to `subject`? `contained`: the
// question is about something inside it (only propagating grants count).
bool GrantedOn(const v1::ConfigObject& object, bool contained, const Subject& subject, Right right,
               ObjectSource& source) {
  const auto* grants = Grants(object);
  if (grants == nullptr) return false;
  for (const v1::Value& g : *grants) {
    if (!g.has_record_value()) continue;
    const v1::Record& grant = g.record_value();
    if (contained && !GrantPropagates(grant)) continue;
    if (GrantsRight(grant, right) && Matches(grant, subject, source)) return true;
  }
  return false;
}

// The folders from `folder` outwards, then the tenant: does one of them grant
// `right`? `first_is_target`: the question is about `folder` itself (every
// grant of it counts); otherwise about something inside (propagating only).
bool GrantedByContainers(int64_t folder, int64_t tenant, const Subject& subject, Right right,
                         ObjectSource& source, bool first_is_target) {
  std::vector<int64_t> seen;
  bool contained = !first_is_target;
  for (int depth = 0; folder != 0 && depth < kMaxDepth; ++depth) {
    if (std::find(seen.begin(), seen.end(), folder) != seen.end()) break;  // a cycle
    seen.push_back(folder);
    auto f = source.Find(v1::OBJECT_TYPE_FOLDER, folder);
    if (f == nullptr) break;
    if (GrantedOn(*f, contained, subject, right, source)) return true;
    if (tenant == 0) tenant = f->tenant_dbid();
    folder = EnclosingFolder(*f);
    contained = true;
  }
  if (tenant != 0) {
    auto t = source.Find(v1::OBJECT_TYPE_TENANT, tenant);
    // The tenant is the target only when nothing was inside it but the target.
    if (t != nullptr && GrantedOn(*t, contained || !seen.empty(), subject, right, source)) {
      return true;
    }
  }
  return false;
}

}  // namespace

const char* RightName(Right right) {
  switch (right) {
    case Right::kRead:
      return "read";
    case Right::kCreate:
      return "create";
    case Right::kChange:
      return "change";
    case Right::kDelete:
      return "delete";
    case Right::kExecute:
      return "execute";
    case Right::kReadPermissions:
      return "read_permissions";
    case Right::kChangePermissions:
      return "change_permissions";
  }
  return "?";
}

const std::vector<std::string>& RightNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (int i = 0; i < kRightCount; ++i) v->push_back(RightName(static_cast<Right>(i)));
    return v;
  }();
  return *names;
}

std::optional<Right> ParseRight(const std::string& name) {
  for (int i = 0; i < kRightCount; ++i) {
    if (name == RightName(static_cast<Right>(i))) return static_cast<Right>(i);
  }
  return std::nullopt;
}

int64_t EnclosingFolder(const v1::ConfigObject& object) {
  if (object.type() == v1::OBJECT_TYPE_FOLDER) {
    auto it = object.properties().find("parent");
    if (it != object.properties().end() && it->second.ref_value().dbid() != 0) {
      return it->second.ref_value().dbid();
    }
  }
  return object.folder_dbid();
}

bool Allowed(const Subject& subject, Right right, const v1::ConfigObject& object,
             ObjectSource& source) {
  if (subject.all) return true;
  if (GrantedOn(object, /*contained=*/false, subject, right, source)) return true;
  const int64_t tenant =
      object.type() == v1::OBJECT_TYPE_TENANT ? 0 : object.tenant_dbid();  // a tenant: itself
  return GrantedByContainers(EnclosingFolder(object), tenant, subject, right, source,
                             /*first_is_target=*/false);
}

bool MayCreateIn(const Subject& subject, const v1::ConfigObject& object, ObjectSource& source) {
  if (subject.all) return true;
  if (object.folder_dbid() == 0 && object.tenant_dbid() == 0 && EnclosingFolder(object) == 0) {
    return false;  // global, outside any folder: administrators only
  }
  // Create on the folder itself (any of its grants), or propagated from
  // around it.
  return GrantedByContainers(EnclosingFolder(object), object.tenant_dbid(), subject, Right::kCreate,
                             source, /*first_is_target=*/true);
}

std::string Refusal(const Subject& subject, Right right, const v1::ConfigObject& object) {
  const std::string what =
      absl::StrCat(TypeName(object.type()), " '", object.name(), "'",
                   object.dbid() != 0 ? absl::StrCat(" (dbid ", object.dbid(), ")") : "");
  if (right == Right::kCreate) {
    return absl::StrCat(subject.who, " may not create ", what,
                        " there: no grant of 'create' on its folder, the folders around it or "
                        "its tenant; an administrator can grant it (permissions)");
  }
  return absl::StrCat(subject.who, " may not ", RightName(right), " ", what, ": no grant of '",
                      RightName(right),
                      "' on it, its folders or its tenant; an administrator can grant it "
                      "(permissions)");
}

bool SameGrants(const v1::ConfigObject& a, const v1::ConfigObject& b) {
  const auto* ga = Grants(a);
  const auto* gb = Grants(b);
  if (ga == nullptr || gb == nullptr) {
    return (ga == nullptr || ga->empty()) && (gb == nullptr || gb->empty());
  }
  if (ga->size() != gb->size()) return false;
  for (int i = 0; i < ga->size(); ++i) {
    if (!google::protobuf::util::MessageDifferencer::Equals(ga->Get(i), gb->Get(i))) return false;
  }
  return true;
}

bool HasGrants(const v1::ConfigObject& object) {
  const auto* grants = Grants(object);
  return grants != nullptr && !grants->empty();
}

bool StripGrants(v1::ConfigObject* object) {
  return object->mutable_properties()->erase(kPermissionsProperty) > 0;
}

}  // namespace tandem::config
