// get and list.
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "config/schema.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/lookup.h"
#include "ctl/object_printer.h"
#include "ctl/suggest.h"

namespace tandem::ctl {
namespace {

struct GetArgs {
  std::string type;
  std::string key;
  std::string tenant;
};

struct ListArgs {
  std::string type;
  std::string name;
  std::string folder;
  std::string tenant;  // empty = any tenant (ListRequest's 0)
  std::string property;
  std::string option;
  std::string annex;
  int64_t limit = 0;
};

//! How tables show references: by name, fetched from the server.
RefShower NamesFor(CommandContext& ctx, const std::vector<v1::ConfigObject>& objects,
                   std::shared_ptr<RefNames>& holder) {
  if (ctx.options().output == OutputFormat::kJson) return nullptr;
  holder = std::make_shared<RefNames>(ctx);
  holder->Load(objects);
  return
      [names = holder.get()](v1::ObjectType type, int64_t dbid) { return names->Show(type, dbid); };
}

absl::Status RunGet(CommandContext& ctx, const GetArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
  TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(args.key));
  TANDEM_ASSIGN_OR_RETURN(int64_t tenant, ResolveTenant(ctx, args.tenant));
  TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject object, FetchObject(ctx, type, key, tenant, "get"));
  std::shared_ptr<RefNames> names;
  PrintObject(object, ctx.options().output, ctx.out(), NamesFor(ctx, {object}, names));
  return absl::OkStatus();
}

//! --property K=V: K must be a property of the type (a typo would match
//! nothing, silently); a reference's V may be a name, taken as its DBID.
absl::Status SetPropertyFilter(CommandContext& ctx, v1::ObjectType type, const std::string& text,
                               v1::ListRequest* request) {
  TANDEM_ASSIGN_OR_RETURN(auto kv, ParseAssignment(text, "--property"));
  const config::FieldSpec* field = nullptr;
  std::vector<std::string> known;
  for (const config::FieldSpec& f : config::FindTypeSpec(type)->properties) {
    known.push_back(f.name);
    if (f.name == kv.first) field = &f;
  }
  if (field == nullptr) {
    std::string hint = ClosestMatch(kv.first, known);
    return UsageError(absl::StrCat("--property ", kv.first, ": not a property of ",
                                   config::TypeName(type),
                                   hint.empty() ? "" : absl::StrCat("; did you mean '", hint, "'?"),
                                   " (properties: ", absl::StrJoin(known, ", "), ")"));
  }
  if (field->kind == config::Kind::kRecordList || field->kind == config::Kind::kRefList) {
    return UsageError(absl::StrCat("--property ", kv.first,
                                   ": a list cannot be filtered on; use -o json and jq"));
  }
  std::string value = kv.second;
  if (field->kind == config::Kind::kRef && !value.empty()) {
    TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(value));
    TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject target,
                            FetchObject(ctx, field->ref_type, key, 0, "find"));
    value = absl::StrCat(target.dbid());
  }
  request->set_property(kv.first);
  request->set_property_value(value);
  return absl::OkStatus();
}

//! "SEC/KEY=V" into section/key and value fields of the request; checked
//! as create checks options (non-empty section and key, sizes).
absl::Status SplitSectionFilter(const std::string& text, const char* what, std::string* key,
                                std::string* value) {
  TANDEM_ASSIGN_OR_RETURN(auto kv, ParseAssignment(text, what));
  const size_t slash = kv.first.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == kv.first.size()) {
    return UsageError(absl::StrCat(what, " '", text, "': expected SECTION/KEY=VALUE"));
  }
  if (slash > config::Limits::kMaxOptionKey ||
      kv.first.size() - slash - 1 > config::Limits::kMaxOptionKey) {
    return UsageError(absl::StrCat(what, " '", text, "': a section or key is longer than ",
                                   config::Limits::kMaxOptionKey, " bytes"));
  }
  *key = kv.first;
  *value = kv.second;
  return absl::OkStatus();
}

absl::Status RunList(CommandContext& ctx, const ListArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
  if (args.limit < 0) return UsageError("--limit must not be negative");
  v1::ListRequest request;
  request.set_type(type);
  request.set_name_pattern(args.name);
  request.set_limit(args.limit);
  if (!args.folder.empty()) {
    TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(args.folder));
    TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject folder,
                            FetchObject(ctx, v1::OBJECT_TYPE_FOLDER, key, 0, "find"));
    request.set_folder_dbid(folder.dbid());
  }
  TANDEM_ASSIGN_OR_RETURN(int64_t tenant, ResolveTenant(ctx, args.tenant));
  request.set_tenant_dbid(tenant);
  if (!args.property.empty()) {
    TANDEM_RETURN_IF_ERROR(SetPropertyFilter(ctx, type, args.property, &request));
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
  std::shared_ptr<RefNames> names;
  PrintObjects(objects, type, ctx.options().output, ctx.out(), NamesFor(ctx, objects, names));
  return absl::OkStatus();
}

}  // namespace

void AddReadCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto get_args = std::make_shared<GetArgs>();
  CLI::App* get = app.add_subcommand("get", "Show one object in full");
  get->add_option("TYPE", get_args->type, "object type, e.g. app, host, tenant")->required();
  get->add_option("NAME|DBID", get_args->key, kKeyHelp)->required();
  get->add_option("--tenant", get_args->tenant, kTenantHelp);
  get->footer(
      "Examples:\n  tandemctl get app sample-app\n  tandemctl -o json get host 3\n"
      "  tandemctl get host name:42      (a host named '42')\n"
      "  tandemctl get app sml --tenant acme");
  get->callback(
      [&ctx, action, get_args] { *action = [&ctx, get_args] { return RunGet(ctx, *get_args); }; });

  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list = app.add_subcommand("list", "List objects of one type, with filters");
  list->add_option("TYPE", list_args->type, "object type, e.g. app, host")->required();
  list->add_option("--name", list_args->name, "name pattern with * and ? wildcards");
  list->add_option("--folder", list_args->folder, "only objects in this folder (NAME|DBID)");
  list->add_option("--tenant", list_args->tenant,
                   "only objects of this tenant (NAME|DBID; default: any)");
  list->add_option("--property", list_args->property,
                   "K=V: property K equals V (a reference's V may be a name)");
  list->add_option("--option", list_args->option, "SEC/KEY=V: option entry equals V");
  list->add_option("--annex", list_args->annex, "SEC/KEY=V: annex entry equals V");
  list->add_option("--limit", list_args->limit, "at most N objects (0 = all)");
  list->footer(
      "Examples:\n  tandemctl list app\n  tandemctl list app --name 'cs*' --property "
      "app_type=ConfigServer\n  tandemctl list app --property host=fw-p\n"
      "  tandemctl list app --option sml/autostart=true -o json");
  list->callback([&ctx, action, list_args] {
    *action = [&ctx, list_args] { return RunList(ctx, *list_args); };
  });
}

}  // namespace tandem::ctl
