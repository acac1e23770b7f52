#include "ctl/lookup.h"

#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/host_port.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "config/refs.h"
#include "ctl/errors.h"

namespace tandem::ctl {
namespace {

using config::TypeName;

//! Above this many objects of one type, the type is listed once instead.
constexpr size_t kGetsPerType = 50;

void CollectRefs(const v1::Value& value, std::set<std::pair<int, int64_t>>* out) {
  switch (value.kind_case()) {
    case v1::Value::kRefValue:
      if (value.ref_value().dbid() > 0)
        out->insert({value.ref_value().type(), value.ref_value().dbid()});
      return;
    case v1::Value::kListValue:
      for (const v1::Value& v : value.list_value().values()) CollectRefs(v, out);
      return;
    case v1::Value::kRecordValue:
      for (const auto& [k, v] : value.record_value().fields()) CollectRefs(v, out);
      return;
    default:
      return;
  }
}

}  // namespace

absl::StatusOr<v1::ConfigObject> FetchObject(CommandContext& ctx, v1::ObjectType type,
                                             const ObjectKey& key, int64_t tenant_dbid,
                                             absl::string_view verb) {
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  const std::string what = absl::StrCat(verb, " ", TypeName(type), " ", key.ToString());
  auto get = [&](bool by_dbid) {
    v1::GetRequest request;
    request.set_type(type);
    if (by_dbid) {
      request.set_dbid(key.dbid);
    } else {
      request.set_name(key.name);
      request.set_tenant_dbid(tenant_dbid);
    }
    return client->Get(request);
  };
  if (!key.EitherWay()) {
    auto response = get(key.dbid != 0);
    if (!response.ok()) return ctx.Describe(response.status(), what);
    return response->object();
  }
  // A bare number: a DBID, or the name of an object called so.
  auto by_dbid = get(true);
  auto by_name = get(false);
  for (const auto* r : {&by_dbid, &by_name}) {
    if (!r->ok() && !absl::IsNotFound(r->status())) return ctx.Describe(r->status(), what);
  }
  if (by_dbid.ok() && by_name.ok() && by_dbid->object().dbid() != by_name->object().dbid()) {
    return UsageError(absl::StrCat("'", key.name, "' is both the DBID of ", TypeName(type), " '",
                                   by_dbid->object().name(), "' and the name of ", TypeName(type),
                                   " '", key.name, "' (dbid ", by_name->object().dbid(),
                                   "): write dbid:", key.name, " or name:", key.name));
  }
  if (by_dbid.ok()) return by_dbid->object();
  if (by_name.ok()) return by_name->object();
  return ctx.Describe(
      absl::NotFoundError(absl::StrCat("no ", TypeName(type), " with dbid ", key.dbid,
                                       " and none named '", key.name, "'")),
      what);
}

absl::StatusOr<int64_t> ResolveTenant(CommandContext& ctx, const std::string& text) {
  if (text.empty() || text == "0") return 0;
  TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(text));
  TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject tenant,
                          FetchObject(ctx, v1::OBJECT_TYPE_TENANT, key, 0, "find"));
  return tenant.dbid();
}

void RefNames::Load(const std::vector<v1::ConfigObject>& objects) {
  std::set<std::pair<int, int64_t>> wanted;
  for (const v1::ConfigObject& o : objects) {
    names_[{o.type(), o.dbid()}] = o.name();
    if (o.tenant_dbid() > 0) wanted.insert({v1::OBJECT_TYPE_TENANT, o.tenant_dbid()});
    if (o.folder_dbid() > 0) wanted.insert({v1::OBJECT_TYPE_FOLDER, o.folder_dbid()});
    for (const auto& [k, v] : o.properties()) CollectRefs(v, &wanted);
  }
  std::map<int, std::vector<int64_t>> by_type;
  for (const auto& key : wanted) {
    if (!names_.contains(key)) by_type[key.first].push_back(key.second);
  }
  if (by_type.empty()) return;
  absl::StatusOr<config::ConfigClient*> client = ctx_.Client();
  if (!client.ok()) return;
  for (const auto& [type, dbids] : by_type) {
    if (dbids.size() > kGetsPerType) {
      v1::ListRequest request;
      request.set_type(static_cast<v1::ObjectType>(type));
      (void)(*client)->List(request, [&](const v1::ListResponse& response) {
        for (const auto& o : response.objects()) names_[{o.type(), o.dbid()}] = o.name();
        return absl::OkStatus();
      });
      continue;
    }
    for (int64_t dbid : dbids) {
      v1::GetRequest request;
      request.set_type(static_cast<v1::ObjectType>(type));
      request.set_dbid(dbid);
      auto response = (*client)->Get(request);
      if (response.ok()) names_[{type, dbid}] = response->object().name();
    }
  }
}

std::string RefNames::Show(v1::ObjectType type, int64_t dbid) const {
  auto it = names_.find({type, dbid});
  if (it == names_.end()) return absl::StrCat(dbid);
  return absl::StrCat(it->second, " (", dbid, ")");
}

absl::StatusOr<std::string> AddressOf(CommandContext& ctx, const v1::ConfigObject& app) {
  const int64_t host = config::RefDbid(app, "host");
  const int64_t port = config::AppPort(app);
  if (host == 0 || port == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("Application '", app.name(),
                     "' has no host or no `default` port, so tandemctl cannot reach it"));
  }
  ObjectKey key;
  key.dbid = host;
  TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject h,
                          FetchObject(ctx, v1::OBJECT_TYPE_HOST, key, 0, "find"));
  auto addr = h.properties().find("address");
  return HostPort{addr == h.properties().end() ? "" : addr->second.string_value(),
                  static_cast<int>(port)}
      .ToString();
}

absl::StatusOr<std::vector<v1::ConfigObject>> MessageServerApps(CommandContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  std::vector<v1::ConfigObject> found;
  v1::ListRequest req;
  req.set_type(v1::OBJECT_TYPE_APPLICATION);
  absl::Status st = client->List(req, [&found](const v1::ListResponse& r) {
    for (const v1::ConfigObject& a : r.objects()) {
      if (config::AppType(a) == "MessageServer") found.push_back(a);
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return ctx.Describe(st, "list Applications");
  return found;
}

absl::StatusOr<std::vector<NamedAddress>> MessageServerPair(CommandContext& ctx,
                                                            const std::string& name,
                                                            absl::string_view what,
                                                            absl::string_view verb) {
  if (name.empty()) {
    std::vector<std::string> found;
    if (absl::StatusOr<std::vector<v1::ConfigObject>> apps = MessageServerApps(ctx); apps.ok()) {
      for (const v1::ConfigObject& a : *apps) found.push_back(a.name());
    }
    return absl::InvalidArgumentError(
        absl::StrCat("give --from NAME: ", what, " ",
                     found.empty() ? "(the configuration has no MessageServer Application)"
                                   : "among " + absl::StrJoin(found, ", ")));
  }
  TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(name));
  TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject app,
                          FetchObject(ctx, v1::OBJECT_TYPE_APPLICATION, key, 0, verb));
  std::vector<NamedAddress> out;
  TANDEM_ASSIGN_OR_RETURN(std::string address, AddressOf(ctx, app));
  out.push_back({app.name(), address});
  std::optional<v1::ConfigObject> partner;
  if (const int64_t b = config::RefDbid(app, "backup"); b != 0) {
    ObjectKey bk;
    bk.dbid = b;
    absl::StatusOr<v1::ConfigObject> backup =
        FetchObject(ctx, v1::OBJECT_TYPE_APPLICATION, bk, 0, "find");
    if (backup.ok()) partner = *backup;
  } else if (absl::StatusOr<std::vector<v1::ConfigObject>> all = MessageServerApps(ctx); all.ok()) {
    // `name` is the backup: its partner is the one that names it so.
    for (const v1::ConfigObject& a : *all) {
      if (config::RefDbid(a, "backup") == app.dbid()) partner = a;
    }
  }
  if (partner.has_value()) {
    absl::StatusOr<std::string> pa = AddressOf(ctx, *partner);
    if (pa.ok()) out.push_back({partner->name(), *pa});
  }
  return out;
}

}  // namespace tandem::ctl
