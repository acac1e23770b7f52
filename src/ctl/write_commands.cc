// create, update, delete and set-option; the read-edit-update loop they and
// grant/revoke share.
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "config/object_types.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/lookup.h"
#include "ctl/object_printer.h"

namespace tandem::ctl {
namespace {

using config::TypeName;

struct WriteArgs {
  std::string type;
  std::string key;
  std::string file;
  std::string file_flag;  // -f FILE (the same as the FILE argument)
  std::string tenant;
  // set-option
  std::string section;
  std::string option_key;
  std::string value;
  bool annex = false;
};

//! The FILE argument or -f FILE (one of them, required).
absl::StatusOr<std::string> FileArg(const WriteArgs& args) {
  if (!args.file.empty() && !args.file_flag.empty() && args.file != args.file_flag) {
    return UsageError("give the file once: as FILE or as -f FILE");
  }
  std::string file = args.file.empty() ? args.file_flag : args.file;
  if (file.empty()) return UsageError("give the JSON object file: FILE, -f FILE, or - for stdin");
  return file;
}

absl::StatusOr<v1::ConfigObject> ReadObjectFile(CommandContext& ctx, const std::string& file,
                                                v1::ObjectType type, nlohmann::json* json) {
  TANDEM_ASSIGN_OR_RETURN(*json, ReadJsonInput(file, ctx.in()));
  auto object = config::ObjectFromJson(*json, type);
  if (!object.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file == "-" ? "stdin" : file, ": ", object.status().message()));
  }
  return object;
}

absl::Status RunCreate(CommandContext& ctx, const WriteArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
  TANDEM_ASSIGN_OR_RETURN(std::string file, FileArg(args));
  nlohmann::json json;
  TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject object, ReadObjectFile(ctx, file, type, &json));
  object.set_revision(0);
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  v1::CreateRequest request;
  *request.mutable_object() = object;
  auto response = client->Create(request);
  if (!response.ok()) {
    return ctx.Describe(response.status(),
                        absl::StrCat("create ", TypeName(type), " '", object.name(), "'"));
  }
  ReportWrite(ctx, "created", response->object(), response->revision());
  return absl::OkStatus();
}

absl::Status RunUpdate(CommandContext& ctx, const WriteArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
  TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(args.key));
  TANDEM_ASSIGN_OR_RETURN(std::string file, FileArg(args));
  nlohmann::json json;
  TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject object, ReadObjectFile(ctx, file, type, &json));
  TANDEM_ASSIGN_OR_RETURN(int64_t tenant, ResolveTenant(ctx, args.tenant));
  TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject current, FetchObject(ctx, type, key, tenant, "update"));
  if (object.dbid() != 0 && object.dbid() != current.dbid()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": dbid: the file says ", object.dbid(),
                                                   " but ", Describe(current),
                                                   " is being updated; remove \"dbid\" or fix it"));
  }
  // The file's revision, when given, is the revision its author saw: a stale
  // file is refused by the server instead of silently overwriting newer data.
  int64_t expected = json.contains("revision") ? object.revision() : current.revision();
  object.set_dbid(current.dbid());
  object.set_type(current.type());
  object.set_revision(0);
  v1::UpdateRequest request;
  *request.mutable_object() = object;
  request.set_expected_revision(expected);
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  auto response = client->Update(request);
  if (!response.ok()) {
    return ctx.Describe(response.status(), absl::StrCat("update ", Describe(current),
                                                        " expecting revision ", expected));
  }
  ReportWrite(ctx, "updated", response->object(), response->revision());
  return absl::OkStatus();
}

absl::Status RunDelete(CommandContext& ctx, const WriteArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
  TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(args.key));
  TANDEM_ASSIGN_OR_RETURN(int64_t tenant, ResolveTenant(ctx, args.tenant));
  TANDEM_ASSIGN_OR_RETURN(v1::ConfigObject current, FetchObject(ctx, type, key, tenant, "delete"));
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  v1::DeleteRequest request;
  request.set_type(type);
  request.set_dbid(current.dbid());
  request.set_expected_revision(current.revision());
  auto response = client->Delete(request);
  if (!response.ok()) {
    return ctx.Describe(response.status(), absl::StrCat("delete ", Describe(current)));
  }
  ReportWrite(ctx, "deleted", current, response->revision());
  return absl::OkStatus();
}

absl::Status RunSetOption(CommandContext& ctx, const WriteArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
  TANDEM_ASSIGN_OR_RETURN(ObjectKey key, ParseKey(args.key));
  if (args.section.empty() || args.option_key.empty()) {
    return UsageError("SECTION and KEY must not be empty");
  }
  const char* what = args.annex ? "annex" : "option";
  const std::string entry = absl::StrCat(what, " [", args.section, "] ", args.option_key);
  TANDEM_ASSIGN_OR_RETURN(int64_t tenant, ResolveTenant(ctx, args.tenant));
  v1::ConfigObject object;
  TANDEM_ASSIGN_OR_RETURN(
      std::optional<v1::UpdateResponse> response,
      EditObject(
          ctx, type, key, tenant, absl::StrCat("set ", what, " on"),
          [&](v1::ConfigObject* o) {
            auto* sections = args.annex ? o->mutable_annex() : o->mutable_options();
            if (auto s = sections->find(args.section); s != sections->end()) {
              auto e = s->second.entries().find(args.option_key);
              if (e != s->second.entries().end() && e->second == args.value) return false;
            }
            (*(*sections)[args.section].mutable_entries())[args.option_key] = args.value;
            return true;
          },
          &object));
  if (!response) {
    // Nothing to write: no new revision, and no application is told that
    // its configuration changed.
    ReportWrite(ctx, "unchanged", object, object.revision(),
                absl::StrCat(entry, " of ", Describe(object), " is already '", args.value,
                             "'; nothing changed (revision ", object.revision(), ")"));
    return absl::OkStatus();
  }
  ReportWrite(ctx, "updated", response->object(), response->revision(),
              absl::StrCat("set ", entry, " = ", args.value, " on ", Describe(response->object()),
                           " at revision ", response->revision()));
  return absl::OkStatus();
}

}  // namespace

//! Prints the outcome of a write: a sentence (table), or the same JSON shape
//! for every write command: {"action": "created", "object": {...}, "revision": N}
//! (action "unchanged": nothing was written; N is the object's revision).
void ReportWrite(CommandContext& ctx, absl::string_view action, const v1::ConfigObject& object,
                 int64_t revision, absl::string_view sentence) {
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {{"action", std::string(action)},
                          {"object", config::ObjectToJson(object)},
                          {"revision", revision}};
    ctx.out() << config::DumpJson(out, 2) << "\n";
  } else if (!sentence.empty()) {
    ctx.out() << sentence << "\n";
  } else {
    ctx.out() << action << " " << Describe(object) << " at revision " << revision << "\n";
  }
}

constexpr int kEditRetries = 3;

absl::StatusOr<std::optional<v1::UpdateResponse>> EditObject(
    CommandContext& ctx, v1::ObjectType type, const ObjectKey& key, int64_t tenant,
    absl::string_view verb, const std::function<bool(v1::ConfigObject*)>& edit,
    v1::ConfigObject* object) {
  for (int attempt = 0;; ++attempt) {
    TANDEM_ASSIGN_OR_RETURN(*object, FetchObject(ctx, type, key, tenant, verb));
    v1::ConfigObject edited = *object;
    if (!edit(&edited)) return std::nullopt;
    v1::UpdateRequest request;
    edited.set_revision(0);
    *request.mutable_object() = std::move(edited);
    request.set_expected_revision(object->revision());
    TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
    absl::StatusOr<v1::UpdateResponse> response = client->Update(request);
    if (response.ok()) return *std::move(response);
    if (response.status().code() != absl::StatusCode::kAborted || attempt >= kEditRetries) {
      return ctx.Describe(response.status(), absl::StrCat(verb, " ", Describe(*object)));
    }
    ctx.err() << "tandemctl: " << Describe(*object)
              << " changed while being edited; reading it again\n";
  }
}

void AddWriteCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto bind = [&ctx, action](CLI::App* cmd, std::shared_ptr<WriteArgs> args,
                             absl::Status (*run)(CommandContext&, const WriteArgs&)) {
    cmd->callback(
        [&ctx, action, args, run] { *action = [&ctx, args, run] { return run(ctx, *args); }; });
  };

  auto create_args = std::make_shared<WriteArgs>();
  CLI::App* create = app.add_subcommand("create", "Create an object from a JSON file");
  create->add_option("TYPE", create_args->type, "object type, e.g. app, host")->required();
  create->add_option("FILE", create_args->file, "JSON object file; - reads stdin");
  create->add_option("-f,--file", create_args->file_flag, "the same as FILE");
  create->footer(
      "Examples:\n  tandemctl create host h1.json\n"
      "  echo '{\"name\":\"h1\",\"properties\":{\"address\":\"192.0.2.1\"}}' |\n"
      "    tandemctl create host -");
  bind(create, create_args, &RunCreate);

  auto update_args = std::make_shared<WriteArgs>();
  CLI::App* update = app.add_subcommand(
      "update",
      "Replace an object with a JSON file's content (dbid and type are kept). If the file has "
      "\"revision\", the update is refused when the object changed since that revision");
  update->add_option("TYPE", update_args->type, "object type")->required();
  update->add_option("NAME|DBID", update_args->key, kKeyHelp)->required();
  update->add_option("FILE", update_args->file, "JSON object file; - reads stdin");
  update->add_option("-f,--file", update_args->file_flag, "the same as FILE");
  update->add_option("--tenant", update_args->tenant, kTenantHelp);
  update->footer(
      "Example:\n  tandemctl -o json get app sample-app > app.json\n  $EDITOR app.json\n"
      "  tandemctl update app sample-app app.json");
  bind(update, update_args, &RunUpdate);

  auto delete_args = std::make_shared<WriteArgs>();
  CLI::App* del = app.add_subcommand("delete", "Delete an object");
  del->add_option("TYPE", delete_args->type, "object type")->required();
  del->add_option("NAME|DBID", delete_args->key, kKeyHelp)->required();
  del->add_option("--tenant", delete_args->tenant, kTenantHelp);
  del->footer(
      "Refused while other objects refer to it (the error names them).\n"
      "Examples:\n  tandemctl delete app old-app\n  tandemctl delete host dbid:42");
  bind(del, delete_args, &RunDelete);

  auto set_args = std::make_shared<WriteArgs>();
  CLI::App* set = app.add_subcommand(
      "set-option", "Set one option (or annex) entry of an object, keeping everything else");
  set->add_option("TYPE", set_args->type, "object type")->required();
  set->add_option("NAME|DBID", set_args->key, kKeyHelp)->required();
  set->add_option("SECTION", set_args->section, "section name")->required();
  set->add_option("KEY", set_args->option_key, "key in the section")->required();
  set->add_option("VALUE", set_args->value, "new value (text)")->required();
  set->add_flag("--annex", set_args->annex, "set an annex entry instead of an option");
  set->add_option("--tenant", set_args->tenant, kTenantHelp);
  set->footer(
      "Setting the value an entry already has writes nothing.\n"
      "Examples:\n  tandemctl set-option app sample-app sml autostart true\n"
      "  tandemctl set-option host fw-p site rack r12 --annex");
  bind(set, set_args, &RunSetOption);
}

}  // namespace tandem::ctl
