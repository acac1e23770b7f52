#include "config/object_types.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace tandem::config {
namespace {

struct TypeNames {
  ObjectType type;
  const char* name;
  const char* alias;
};

constexpr TypeNames kTypes[] = {
    {v1::OBJECT_TYPE_TENANT, "Tenant", "tenant"},
    {v1::OBJECT_TYPE_FOLDER, "Folder", "folder"},
    {v1::OBJECT_TYPE_HOST, "Host", "host"},
    {v1::OBJECT_TYPE_APPLICATION, "Application", "app"},
    {v1::OBJECT_TYPE_SOLUTION, "Solution", "solution"},
    {v1::OBJECT_TYPE_PERSON, "Person", "person"},
    {v1::OBJECT_TYPE_ACCESS_GROUP, "AccessGroup", "access_group"},
    {v1::OBJECT_TYPE_ALARM_CONDITION, "AlarmCondition", "alarm_condition"},
};

}  // namespace

std::string TypeName(ObjectType type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return absl::StrCat("Type#", static_cast<int>(type));
}

absl::StatusOr<ObjectType> ParseType(absl::string_view text) {
  std::string key = absl::AsciiStrToLower(absl::StrReplaceAll(text, {{"_", ""}, {"-", ""}}));
  if (absl::StartsWith(key, "objecttype")) key = key.substr(10);
  for (const auto& t : kTypes) {
    std::string name = absl::AsciiStrToLower(t.name);
    std::string alias = absl::AsciiStrToLower(absl::StrReplaceAll(t.alias, {{"_", ""}}));
    if (key == name || key == alias || key == name + "s" || key == alias + "s") return t.type;
  }
  std::vector<std::string> names;
  for (const auto& t : kTypes) names.emplace_back(t.name);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown object type '", text, "'; known types: ", absl::StrJoin(names, ", ")));
}

const std::vector<ObjectType>& AllTypes() {
  static const auto* types = [] {
    auto* v = new std::vector<ObjectType>();
    for (const auto& t : kTypes) v->push_back(t.type);
    return v;
  }();
  return *types;
}

const char* RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_STANDALONE:
      return "standalone";
    case v1::ROLE_PRIMARY:
      return "primary";
    case v1::ROLE_BACKUP:
      return "backup";
    case v1::ROLE_PROXY:
      return "proxy";
    default:
      return "unspecified";
  }
}

const char* ProxyModeName(v1::ProxyMode mode) {
  switch (mode) {
    case v1::PROXY_MODE_NORMAL:
      return "normal";
    case v1::PROXY_MODE_LIMITED:
      return "limited";
    case v1::PROXY_MODE_LOADING:
      return "loading";
    default:
      return "unspecified";
  }
}

}  // namespace tandem::config
