// grant and revoke: edit one grantee's grant in an object's `permissions`
// property (config/permissions.h) without writing the object as JSON.
#include <algorithm>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "config/permissions.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/lookup.h"
#include "ctl/object_printer.h"

namespace tandem::ctl {
namespace {

struct GrantArgs {
  std::string type;
  std::string key;
  std::string tenant;
  std::string person;
  std::string group;
  std::string application;
  std::string grantee_tenant;
  std::string rights;  // "read,change"
  bool no_propagate = false;
};

//! Who the grant is for: the record field ("person", "group",
//! "application") and the grantee object.
struct Grantee {
  std::string field;
  v1::ConfigObject object;
};

absl::StatusOr<Grantee> ResolveGrantee(CommandContext& ctx, const GrantArgs& args) {
  const int given = !args.person.empty() + !args.group.empty() + !args.application.empty();
  if (given != 1) {
    return UsageError("name who the grant is for: one of --person, --group or --application");
  }
  Grantee g;
  v1::ObjectType type = v1::OBJECT_TYPE_PERSON;
  std::string key = args.person;
  g.field = "person";
  if (!args.group.empty()) {
    type = v1::OBJECT_TYPE_ACCESS_GROUP;
    key = args.group;
    g.field = "group";
  } else if (!args.application.empty()) {
    type = v1::OBJECT_TYPE_APPLICATION;
    key = args.application;
    g.field = "application";
  }
  TANDEM_ASSIGN_OR_RETURN(ObjectKey k, ParseKey(key));
  TANDEM_ASSIGN_OR_RETURN(int64_t tenant, ResolveTenant(ctx, args.grantee_tenant));
  TANDEM_ASSIGN_OR_RETURN(g.object, FetchObject(ctx, type, k, tenant, "grant to"));
  return g;
}

//! "read,change" -> the rights, checked and in the canonical order; empty
//! text -> none.
absl::StatusOr<std::vector<std::string>> ParseRights(const std::string& text) {
  std::set<config::Right> rights;
  for (absl::string_view word : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::string name(absl::StripAsciiWhitespace(word));
    std::replace(name.begin(), name.end(), '-', '_');
    std::optional<config::Right> r = config::ParseRight(name);
    if (!r) {
      return UsageError(absl::StrCat("--rights: '", word, "' is not a right; the rights are ",
                                     absl::StrJoin(config::RightNames(), ", ")));
    }
    rights.insert(*r);
  }
  std::vector<std::string> names;
  for (config::Right r : rights) names.push_back(config::RightName(r));
  return names;
}

std::vector<std::string> RightsOf(const v1::Record& grant) {
  std::vector<std::string> out;
  auto it = grant.fields().find("rights");
  if (it == grant.fields().end()) return out;
  for (const v1::Value& v : it->second.list_value().values()) out.push_back(v.string_value());
  return out;
}

void SetRights(v1::Record* grant, const std::vector<std::string>& rights) {
  v1::ListValue* list = (*grant->mutable_fields())["rights"].mutable_list_value();
  list->Clear();
  for (const std::string& r : rights) list->add_values()->set_string_value(r);
}

//! Changes `object`'s grants for `grantee`; false if there is nothing to
//! change. `revoke`: takes `rights` away (all of the grantee's grants when
//! `rights` is empty); else adds them to the grant with the same
//! propagation, or a new one.
bool EditGrants(v1::ConfigObject* object, const Grantee& grantee,
                const std::vector<std::string>& rights, bool propagate, bool revoke) {
  v1::ListValue* grants =
      (*object->mutable_properties())[config::kPermissionsProperty].mutable_list_value();
  const int64_t dbid = grantee.object.dbid();
  bool changed = false;
  if (revoke) {
    v1::ListValue kept;
    for (const v1::Value& g : grants->values()) {
      if (!g.has_record_value() || config::GranteeDbid(g.record_value(), grantee.field) != dbid) {
        *kept.add_values() = g;
        continue;
      }
      std::vector<std::string> left;
      for (const std::string& r : RightsOf(g.record_value())) {
        if (!rights.empty() && std::find(rights.begin(), rights.end(), r) == rights.end()) {
          left.push_back(r);
        }
      }
      changed |= left.size() != RightsOf(g.record_value()).size();
      if (left.empty()) continue;  // nothing left: the grant goes
      v1::Value edited = g;
      SetRights(edited.mutable_record_value(), left);
      *kept.add_values() = std::move(edited);
    }
    // An empty list, not no property: an update without `permissions` keeps
    // the grants (a writer without read_permissions never saw them).
    *grants = std::move(kept);
    return changed;
  }
  for (v1::Value& g : *grants->mutable_values()) {
    if (!g.has_record_value() || config::GranteeDbid(g.record_value(), grantee.field) != dbid ||
        config::GrantPropagates(g.record_value()) != propagate) {
      continue;
    }
    std::vector<std::string> have = RightsOf(g.record_value());
    std::set<config::Right> all;
    for (const std::string& r : have) {
      if (auto p = config::ParseRight(r)) all.insert(*p);
    }
    for (const std::string& r : rights) all.insert(*config::ParseRight(r));
    std::vector<std::string> merged;
    for (config::Right r : all) merged.push_back(config::RightName(r));
    if (merged.size() == have.size()) return false;  // it has them all already
    SetRights(g.mutable_record_value(), merged);
    return true;
  }
  v1::Record* grant = grants->add_values()->mutable_record_value();
  v1::Ref* ref = (*grant->mutable_fields())[grantee.field].mutable_ref_value();
  ref->set_type(grantee.object.type());
  ref->set_dbid(dbid);
  SetRights(grant, rights);
  if (!propagate) (*grant->mutable_fields())["propagate"].set_bool_value(false);
  return true;
}

absl::Status RunGrant(CommandContext& ctx, const GrantArgs& args, bool revoke) {
  TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
  TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(args.key));
  TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> rights, ParseRights(args.rights));
  if (!revoke && rights.empty()) {
    return UsageError(absl::StrCat("--rights: give the rights to grant (",
                                   absl::StrJoin(config::RightNames(), ", "), ")"));
  }
  TANDEM_ASSIGN_OR_RETURN(Grantee grantee, ResolveGrantee(ctx, args));
  TANDEM_ASSIGN_OR_RETURN(int64_t tenant, ResolveTenant(ctx, args.tenant));
  const std::string who = absl::StrCat(grantee.field, " ", grantee.object.name());
  const std::string what = rights.empty() ? "every right" : absl::StrJoin(rights, ", ");
  v1::ConfigObject object;
  TANDEM_ASSIGN_OR_RETURN(std::optional<v1::UpdateResponse> response,
                          EditObject(
                              ctx, type, key, tenant, revoke ? "revoke on" : "grant on",
                              [&](v1::ConfigObject* o) {
                                return EditGrants(o, grantee, rights, !args.no_propagate, revoke);
                              },
                              &object));
  if (!response) {
    ctx.out() << (revoke ? absl::StrCat(Describe(object), " grants ", who, " none of ", what)
                         : absl::StrCat(who, " already has ", what, " on ", Describe(object)))
              << "; nothing changed (revision " << object.revision() << ")\n";
    return absl::OkStatus();
  }
  ReportWrite(ctx, "updated", response->object(), response->revision(),
              absl::StrCat(revoke ? "revoked " : "granted ", what, revoke ? " from " : " to ", who,
                           " on ", Describe(response->object()),
                           !revoke && args.no_propagate ? " (not propagated)" : "", " at revision ",
                           response->revision()));
  return absl::OkStatus();
}

void AddGrantee(CLI::App* cmd, GrantArgs* args) {
  cmd->add_option("TYPE", args->type, "object type (folder, tenant, app, host, ...)")->required();
  cmd->add_option("NAME|DBID", args->key, kKeyHelp)->required();
  cmd->add_option("--person", args->person, "the Person the grant is for (NAME|DBID)");
  cmd->add_option("--group", args->group, "the AccessGroup the grant is for (NAME|DBID)");
  cmd->add_option("--application", args->application,
                  "the Application the grant is for (NAME|DBID)");
  cmd->add_option("--grantee-tenant", args->grantee_tenant,
                  "tenant of the grantee's name (default: global)");
  cmd->add_option("--tenant", args->tenant, kTenantHelp);
}

}  // namespace

void AddGrantCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto grant_args = std::make_shared<GrantArgs>();
  CLI::App* grant = app.add_subcommand(
      "grant", "Give a person, group or application rights on an object, folder or tenant");
  AddGrantee(grant, grant_args.get());
  grant
      ->add_option("--rights", grant_args->rights,
                   "comma-separated: read, create, change, delete, execute, read_permissions, "
                   "change_permissions")
      ->required();
  grant->add_flag("--no-propagate", grant_args->no_propagate,
                  "on a folder or tenant: for it alone, not for what is inside");
  grant->footer(
      "Rights on a folder or tenant hold for everything inside it (its subfolders too) unless\n"
      "--no-propagate. Changing grants needs the change_permissions right.\n"
      "Examples:\n  tandemctl grant folder Applications --group Operators --rights read,change\n"
      "  tandemctl grant app sample-app --person carol --rights read\n"
      "  tandemctl grant folder Secrets --person dave --rights read --no-propagate");
  grant->callback([&ctx, action, grant_args] {
    *action = [&ctx, grant_args] { return RunGrant(ctx, *grant_args, /*revoke=*/false); };
  });

  auto revoke_args = std::make_shared<GrantArgs>();
  CLI::App* revoke = app.add_subcommand(
      "revoke", "Take rights on an object away from a person, group or application");
  AddGrantee(revoke, revoke_args.get());
  revoke->add_option("--rights", revoke_args->rights,
                     "comma-separated rights to take away (default: all of the grantee's)");
  revoke->footer(
      "Takes away what grants on this object itself give; rights inherited from a folder or\n"
      "tenant are revoked there.\n"
      "Examples:\n  tandemctl revoke folder Applications --group Operators --rights change\n"
      "  tandemctl revoke app sample-app --person carol");
  revoke->callback([&ctx, action, revoke_args] {
    *action = [&ctx, revoke_args] { return RunGrant(ctx, *revoke_args, /*revoke=*/true); };
  });
}

}  // namespace tandem::ctl
