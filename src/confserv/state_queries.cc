#include "confserv/state_queries.h"

#include <fnmatch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "config/schema.h"

namespace tandem::confserv {
namespace {

bool SectionMatches(const google::protobuf::Map<std::string, v1::Section>& sections,
                    const std::string& path, const std::string& value) {
  std::pair<std::string, std::string> sk = absl::StrSplit(path, absl::MaxSplits('/', 1));
  auto s = sections.find(sk.first);
  if (s == sections.end()) return false;
  auto k = s->second.entries().find(sk.second);
  return k != s->second.entries().end() && k->second == value;
}

}  // namespace

absl::Status CheckType(v1::ObjectType type) {
  if (config::FindTypeSpec(type) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("type: unknown object type ", static_cast<int>(type)));
  }
  return absl::OkStatus();
}

StoredPtr FindForGet(const ConfigState& state, const v1::GetRequest& request) {
  int64_t dbid = request.dbid();
  if (request.key_case() == v1::GetRequest::kName) {
    dbid = state.FindName(NameKey{request.type(), request.tenant_dbid(), request.name()});
  }
  return dbid != 0 ? state.Find({request.type(), dbid}) : nullptr;
}

absl::StatusOr<v1::GetResponse> GetAnswer(const v1::GetRequest& request, const StoredPtr& found,
                                          int64_t revision) {
  if (found == nullptr) {
    std::string what = request.key_case() == v1::GetRequest::kName
                           ? absl::StrCat("named '", request.name(), "'")
                           : absl::StrCat("with dbid ", request.dbid());
    return absl::NotFoundError(absl::StrCat(
        "no ", config::TypeName(request.type()), " ", what,
        request.tenant_dbid() != 0 ? absl::StrCat(" in tenant ", request.tenant_dbid()) : ""));
  }
  v1::GetResponse response;
  response.set_revision(revision);
  TANDEM_CHECK(response.mutable_object()->ParseFromString(*found->data),
               "stored object unreadable");
  return response;
}

absl::Status CheckListRequest(const v1::ListRequest& request) {
  TANDEM_RETURN_IF_ERROR(CheckType(request.type()));
  // A filter on a property the type does not have would match nothing,
  // silently: refused, naming the properties there are (as create does).
  if (!request.property().empty()) {
    std::vector<std::string> known;
    bool found = false;
    for (const config::FieldSpec& f : config::FindTypeSpec(request.type())->properties) {
      known.push_back(f.name);
      found = found || f.name == request.property();
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("property: ", config::TypeName(request.type()), " has no property '",
                       request.property(), "'; its properties: ", absl::StrJoin(known, ", ")));
    }
  }
  for (const auto& [what, path] :
       {std::pair<const char*, const std::string*>{"option", &request.option()},
        {"annex", &request.annex()}}) {
    if (path->empty()) continue;
    const size_t slash = path->find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == path->size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": give it as SECTION/KEY (both non-empty), not '", *path, "'"));
    }
  }
  return absl::OkStatus();
}

std::vector<StoredPtr> ListCandidates(const ConfigState& state, const v1::ListRequest& request) {
  std::vector<StoredPtr> candidates;
  const auto* objects = state.OfType(request.type());
  if (objects == nullptr) return candidates;
  candidates.reserve(objects->size());
  for (const auto& [dbid, obj] : *objects) {
    if (request.folder_dbid() != 0 && obj->folder_dbid != request.folder_dbid()) continue;
    if (request.tenant_dbid() != 0 && obj->tenant_dbid != request.tenant_dbid()) continue;
    if (!request.name_pattern().empty() &&
        fnmatch(request.name_pattern().c_str(), obj->name.c_str(), 0) != 0) {
      continue;
    }
    candidates.push_back(obj);
  }
  return candidates;
}

std::vector<config::ObjectBytes> FilterCandidates(const v1::ListRequest& request,
                                                  const std::vector<StoredPtr>& candidates) {
  const bool deep =
      !request.property().empty() || !request.option().empty() || !request.annex().empty();
  const size_t limit = request.limit() > 0 ? static_cast<size_t>(request.limit()) : SIZE_MAX;
  std::vector<config::ObjectBytes> out;
  for (const StoredPtr& obj : candidates) {
    if (out.size() >= limit) break;
    if (deep) {
      v1::ConfigObject parsed;
      TANDEM_CHECK(parsed.ParseFromString(*obj->data), "stored object unreadable");
      if (!request.property().empty()) {
        auto it = parsed.properties().find(request.property());
        if (it == parsed.properties().end() ||
            config::ValueToString(it->second) != request.property_value()) {
          continue;
        }
      }
      if (!request.option().empty() &&
          !SectionMatches(parsed.options(), request.option(), request.option_value())) {
        continue;
      }
      if (!request.annex().empty() &&
          !SectionMatches(parsed.annex(), request.annex(), request.annex_value())) {
        continue;
      }
    }
    out.push_back(obj->data);
  }
  return out;
}

int64_t FindApplicationIn(const ConfigState& state, const std::string& name) {
  int64_t dbid = state.FindName(NameKey{v1::OBJECT_TYPE_APPLICATION, 0, name});
  const auto* tenants = state.OfType(v1::OBJECT_TYPE_TENANT);
  if (dbid != 0 || tenants == nullptr) return dbid;
  // Tenants are few; applications may be millions.
  for (const auto& [tenant, obj] : *tenants) {
    dbid = state.FindName(NameKey{v1::OBJECT_TYPE_APPLICATION, tenant, name});
    if (dbid != 0) return dbid;
  }
  return 0;
}

}  // namespace tandem::confserv
