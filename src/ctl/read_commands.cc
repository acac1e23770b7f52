// get and list.
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/object_printer.h"

namespace tandem::ctl {
namespace {

struct GetArgs {
  std::string type;
  std::string key;
  int64_t tenant = 0;
};

struct ListArgs {
  std::string type;
  std::string name;
  int64_t folder = 0;
  int64_t tenant = 0;  // 0 = any tenant (ListRequest semantics)
  std::string property;
  std::string option;
  std::string annex;
  int64_t limit = 0;
};

absl::Status RunGet(CommandContext& ctx, const GetArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
  TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(args.key));
  TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject object, FetchObject(ctx, type, key, args.tenant));
  PrintObject(object, ctx.options().output, ctx.out());
  return absl::OkStatus();
}

//! "SEC/KEY=V" into section/key and value fields of the request.
absl::Status SplitSectionFilter(const std::string& text, const char* what, std::string* key,
                                std::string* value) {
  TANDEM_ASSIGN_OR_RETURN(auto kv, ParseAssignment(text, what));
  if (kv.first.find('/') == std::string::npos) {
    return UsageError(absl::StrCat(what, " '", text, "': expected SECTION/KEY=VALUE"));
  }
  *key = kv.first;
  *value = kv.second;
  return absl::OkStatus();
}

absl::Status RunList(CommandContext& ctx, const ListArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
  v1::ListRequest request;
  request.set_type(type);
  request.set_name_pattern(args.name);
  request.set_folder_dbid(args.folder);
  request.set_tenant_dbid(args.tenant);
  request.set_limit(args.limit);
  if (args.limit < 0) return UsageError("--limit must not be negative");
  if (!args.property.empty()) {
    TANDEM_ASSIGN_OR_RETURN(auto kv, ParseAssignment(args.property, "--property"));
    request.set_property(kv.first);
    request.set_property_value(kv.second);
  }
  if (!args.option.empty()) {
    TANDEM_RETURN_IF_ERROR(SplitSectionFilter(args.option, "--option", request.mutable_option(),
                                              request.mutable_option_value()));
  }
  if (!args.annex.empty()) {
    TANDEM_RETURN_IF_ERROR(SplitSectionFilter(args.annex, "--annex", request.mutable_annex(),
                                              request.mutable_annex_value()));
  }
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  std::vector<v1::ConfigObject> objects;
  absl::Status status = client->List(request, [&](const v1::ListResponse& response) {
    for (const auto& object : response.objects()) objects.push_back(object);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    return ctx.Describe(status, absl::StrCat("list ", config::TypeName(type)));
  }
  PrintObjects(objects, type, ctx.options().output, ctx.out());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ConfigObject> FetchObject(CommandContext& ctx, v1::ObjectType type,
                                             const ObjectKey& key, int64_t tenant_dbid) {
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  v1::GetRequest request;
  request.set_type(type);
  if (key.dbid != 0) {
    request.set_dbid(key.dbid);
  } else {
    request.set_name(key.name);
    request.set_tenant_dbid(tenant_dbid);
  }
  auto response = client->Get(request);
  if (!response.ok()) {
    return ctx.Describe(response.status(),
                        absl::StrCat("get ", config::TypeName(type), " ", key.ToString()));
  }
  return response->object();
}

void AddReadCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto get_args = std::make_shared<GetArgs>();
  CLI::App* get = app.add_subcommand("get", "Show one object in full");
  get->add_option("TYPE", get_args->type, "object type, e.g. app, host, tenant")->required();
  get->add_option("NAME|DBID", get_args->key, "object name, or its DBID if all digits")->required();
  get->add_option("--tenant", get_args->tenant, "DBID of the tenant the NAME is in (0 = global)");
  get->footer(
      "Examples:\n  tandemctl get app sample-app\n  tandemctl -o json get host 3\n"
      "  tandemctl get app sml --tenant 1");
  get->callback(
      [&ctx, action, get_args] { *action = [&ctx, get_args] { return RunGet(ctx, *get_args); }; });

  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list = app.add_subcommand("list", "List objects of one type, with filters");
  list->add_option("TYPE", list_args->type, "object type, e.g. app, host")->required();
  list->add_option("--name", list_args->name, "name pattern with * and ? wildcards");
  list->add_option("--folder", list_args->folder, "only objects in this folder DBID");
  list->add_option("--tenant", list_args->tenant,
                   "only objects of this tenant DBID (default: any)");
  list->add_option("--property", list_args->property, "K=V: property K equals V");
  list->add_option("--option", list_args->option, "SEC/KEY=V: option entry equals V");
  list->add_option("--annex", list_args->annex, "SEC/KEY=V: annex entry equals V");
  list->add_option("--limit", list_args->limit, "at most N objects (0 = all)");
  list->footer(
      "Examples:\n  tandemctl list app\n  tandemctl list app --name 'cs*' --property "
      "app_type=ConfigServer\n  tandemctl list app --option sml/autostart=true -o json");
  list->callback([&ctx, action, list_args] {
    *action = [&ctx, list_args] { return RunList(ctx, *list_args); };
  });
}

}  // namespace tandem::ctl
