// db: operator tooling for the DBMS behind a configuration server.
//   db init   create the schema in an empty database (idempotent; refuses a
//             database of another application or of a newer schema version)
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "tandem/storage/storage.h"

namespace tandem::ctl {
namespace {

struct DbArgs {
  std::string conninfo;
  std::string sqlite;
};

absl::Status RunInit(CommandContext& ctx, const DbArgs& args) {
  if (args.conninfo.empty() == args.sqlite.empty()) {
    return UsageError("db init: give exactly one of --conninfo (PostgreSQL) or --sqlite FILE");
  }
  absl::StatusOr<storage::StoragePtr> db =
      args.sqlite.empty() ? storage::OpenPostgres({.conninfo = args.conninfo})
                          : storage::OpenSqlite({.path = args.sqlite, .create = true});
  if (!db.ok()) return db.status();
  TANDEM_ASSIGN_OR_RETURN(storage::Meta meta, (*db)->ReadMeta());
  const std::string where = (*db)->Describe();
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {{"database", where},
                          {"schema_version", meta.schema_version},
                          {"revision", meta.revision},
                          {"history_id", meta.history_id}};
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << "ready: " << where << " holds a Tandem configuration database, schema version "
            << meta.schema_version << ", revision " << meta.revision << ", history id "
            << meta.history_id << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddDbCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* db = app.add_subcommand("db", "Operate the DBMS behind a configuration server");
  db->require_subcommand(1);
  auto args = std::make_shared<DbArgs>();
  CLI::App* init = db->add_subcommand(
      "init", "Create the Tandem schema in an empty database (a no-op if it is already there)");
  init->add_option("--conninfo", args->conninfo,
                   "PostgreSQL connection string, e.g. \"host=db1 dbname=tandem user=tandem\"");
  init->add_option("--sqlite", args->sqlite, "an SQLite database file instead");
  init->footer(
      "Refuses a database that holds another application's tables or a newer Tandem schema.\n"
      "Examples:\n  tandemctl db init --conninfo \"host=127.0.0.1 port=5432 dbname=tandem\"\n"
      "  tandemctl db init --sqlite /var/lib/tandem/config.db");
  init->callback([&ctx, args, action] { *action = [&ctx, args] { return RunInit(ctx, *args); }; });
}

}  // namespace tandem::ctl
