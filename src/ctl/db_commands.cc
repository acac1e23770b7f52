// db: operator tooling for the DBMS behind a configuration server.
//   db init            create the schema in an empty database (idempotent)
//   db replica create  build a streaming standby (pg_basebackup -R)
//   db status          roles, replication, lag, fences, Configuration Database revisions
//   db promote         promote a standby and wait until it takes writes
//   db fence/unfence   refuse/allow source addresses (pg_hba.conf or nft)
//   db rebuild         make an old primary the standby of the new one
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "ctl/commands.h"
#include "ctl/db_status.h"
#include "ctl/errors.h"
#include "dbadmin/dbadmin.h"
#include "tandem/storage/pg_admin.h"
#include "tandem/storage/storage.h"

namespace tandem::ctl {
namespace {

struct DbArgs {
  std::string conninfo;
  std::vector<std::string> conninfos;
  std::string sqlite;
  // Standbys.
  std::string primary;
  std::string pgdata;
  std::string name = "tandem_standby";
  bool sync = false;
  bool async = false;
  int port = 0;
  bool no_start = false;
  std::string start_options;
  std::string method = "auto";
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  std::string os_user = "postgres";
  // Promote.
  double timeout_s = 60;
  bool keep_sync = false;
  // Fences.
  std::vector<std::string> from;
  std::string fence_method = "hba";
  std::string hba_file;
  int fence_port = 0;
  std::string nft_table = "tandem_fence";
};

bool Json(CommandContext& ctx) { return ctx.options().output == OutputFormat::kJson; }

dbadmin::Tools MakeTools(CommandContext& ctx, const DbArgs& args) {
  dbadmin::Tools tools;
  tools.bin_dir = args.bin_dir;
  tools.os_user = args.os_user;
  tools.progress = [&ctx](const std::string& line) { ctx.err() << "... " << line << "\n"; };
  tools.tool_progress = isatty(STDERR_FILENO) == 1;
  return tools;
}

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
  if (Json(ctx)) {
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

absl::StatusOr<dbadmin::StandbySpec> MakeStandbySpec(const DbArgs& args, const char* command) {
  if (args.primary.empty() || args.pgdata.empty()) {
    return UsageError(absl::StrCat(command, ": give --primary CONNINFO and --pgdata DIR"));
  }
  if (args.sync && args.async)
    return UsageError(absl::StrCat(command, ": --sync or --async, not both"));
  dbadmin::StandbySpec spec;
  spec.primary_conninfo = args.primary;
  spec.data_dir = args.pgdata;
  spec.name = args.name;
  spec.synchronous = args.sync;
  spec.port = args.port;
  spec.start = !args.no_start;
  spec.start_options = args.start_options;
  return spec;
}

absl::Status RunReplicaCreate(CommandContext& ctx, const DbArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(dbadmin::StandbySpec spec, MakeStandbySpec(args, "db replica create"));
  TANDEM_RETURN_IF_ERROR(dbadmin::CreateReplica(spec, MakeTools(ctx, args)));
  ctx.out() << "standby '" << spec.name << "' in " << spec.data_dir << " "
            << (spec.start ? "streams" : "is ready to stream") << " from the primary, "
            << (spec.synchronous ? "synchronously" : "asynchronously") << "\n";
  return absl::OkStatus();
}

absl::Status RunRebuild(CommandContext& ctx, const DbArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(dbadmin::StandbySpec spec, MakeStandbySpec(args, "db rebuild"));
  dbadmin::RebuildMethod method = dbadmin::RebuildMethod::kAuto;
  if (args.method == "rewind") {
    method = dbadmin::RebuildMethod::kRewind;
  } else if (args.method == "basebackup") {
    method = dbadmin::RebuildMethod::kBasebackup;
  } else if (args.method != "auto") {
    return UsageError("db rebuild: --method is auto, rewind or basebackup");
  }
  TANDEM_ASSIGN_OR_RETURN(std::string done, dbadmin::Rebuild(spec, method, MakeTools(ctx, args)));
  ctx.out() << spec.data_dir << " is now standby '" << spec.name << "' of the new primary (" << done
            << ")\n";
  return absl::OkStatus();
}

absl::Status RunPromote(CommandContext& ctx, const DbArgs& args) {
  if (args.conninfo.empty()) return UsageError("db promote: give --conninfo of the standby");
  if (args.timeout_s <= 0) return UsageError("db promote: --wait must be positive");
  storage::pgadmin::PromoteOptions options;
  options.timeout = absl::Seconds(args.timeout_s);
  options.keep_sync = args.keep_sync;
  TANDEM_ASSIGN_OR_RETURN(storage::pgadmin::PromoteResult r,
                          storage::pgadmin::Promote(args.conninfo, options));
  if (Json(ctx)) {
    nlohmann::json out = {{"already_primary", r.already_primary},
                          {"promote_ms", absl::ToDoubleMilliseconds(r.promote_time)},
                          {"first_write_ms", absl::ToDoubleMilliseconds(r.first_write_time)},
                          {"cleared_synchronous_standby_names", r.cleared_sync_standby_names}};
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  if (r.already_primary) {
    ctx.out() << "already a primary: nothing to do\n";
    return absl::OkStatus();
  }
  ctx.out() << "promoted: out of recovery after "
            << absl::FormatDuration(absl::Trunc(r.promote_time, absl::Microseconds(100)))
            << ", first write accepted after "
            << absl::FormatDuration(absl::Trunc(r.first_write_time, absl::Microseconds(100)))
            << "\n";
  if (!r.cleared_sync_standby_names.empty()) {
    ctx.out() << "cleared synchronous_standby_names (was '" << r.cleared_sync_standby_names
              << "'): the new primary has no standby yet; add one with `tandemctl db replica "
                 "create --sync` or `db rebuild --sync`\n";
  }
  ctx.out() << "the old primary, if it still runs, is writable too: fence it (`tandemctl db "
               "fence`) or stop it\n";
  return absl::OkStatus();
}

absl::Status RunFence(CommandContext& ctx, const DbArgs& args, bool fence) {
  const char* command = fence ? "db fence" : "db unfence";
  dbadmin::FenceSpec spec;
  if (args.fence_method == "nft") {
    spec.method = dbadmin::FenceMethod::kNft;
  } else if (args.fence_method != "hba") {
    return UsageError(absl::StrCat(command, ": --method is hba or nft"));
  }
  if (args.from.empty()) return UsageError(absl::StrCat(command, ": give --from ADDRESS[/PREFIX]"));
  for (const std::string& a : args.from) {
    absl::StatusOr<std::string> cidr = dbadmin::NormalizeCidr(a);
    if (!cidr.ok()) return UsageError(absl::StrCat(command, ": ", cidr.status().message()));
    spec.addresses.push_back(*cidr);
  }
  spec.conninfo = args.conninfo;
  spec.hba_file = args.hba_file;
  spec.port = args.fence_port;
  spec.nft_table = args.nft_table;
  TANDEM_ASSIGN_OR_RETURN(dbadmin::FenceResult r,
                          fence ? dbadmin::Fence(spec) : dbadmin::Unfence(spec));
  if (Json(ctx)) {
    nlohmann::json out = {{fence ? "fenced" : "unfenced", r.changed},
                          {fence ? "already_fenced" : "not_fenced", r.unchanged},
                          {"sessions_ended", r.sessions_ended},
                          {"where", r.where}};
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  if (!r.changed.empty()) {
    ctx.out() << (fence ? "fenced: " : "unfenced: ") << absl::StrJoin(r.changed, ", ") << " ("
              << r.where << ")\n";
  }
  if (!r.unchanged.empty()) {
    ctx.out() << (fence ? "already fenced: " : "not fenced: ") << absl::StrJoin(r.unchanged, ", ")
              << " (nothing to do)\n";
  }
  if (r.sessions_ended > 0) ctx.out() << "ended " << r.sessions_ended << " session(s) from them\n";
  return absl::OkStatus();
}

void AddToolOptions(CLI::App* cmd, DbArgs& args) {
  cmd->add_option("--bin-dir", args.bin_dir, "where pg_basebackup, pg_rewind and pg_ctl are")
      ->capture_default_str();
  cmd->add_option("--os-user", args.os_user,
                  "owner of the data directory; the tools run as this user when tandemctl runs "
                  "as root")
      ->capture_default_str();
}

void AddStandbyOptions(CLI::App* cmd, DbArgs& args) {
  cmd->add_option("--primary", args.primary,
                  "conninfo of the primary; a user with REPLICATION (and superuser for the "
                  "checks)")
      ->required();
  cmd->add_option("--pgdata", args.pgdata, "the standby's data directory")->required();
  cmd->add_option("--name", args.name,
                  "the standby's application_name (lowercase, digits, '_'); "
                  "synchronous_standby_names lists it")
      ->capture_default_str();
  cmd->add_flag("--sync", args.sync,
                "make it synchronous: commits on the primary wait until it has the WAL");
  cmd->add_flag("--async", args.async, "asynchronous (the default)");
  cmd->add_option("--port", args.port, "write this port into the standby's postgresql.auto.conf");
  cmd->add_flag("--no-start", args.no_start, "only prepare the directory; do not start it");
  cmd->add_option("--start-options", args.start_options,
                  "server options for `pg_ctl start -o`, e.g. \"-k /run/postgresql\"");
  AddToolOptions(cmd, args);
}

}  // namespace

void AddDbCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* db = app.add_subcommand("db", "Operate the DBMS behind a configuration server");
  db->require_subcommand(1);
  auto args = std::make_shared<DbArgs>();
  auto on = [&ctx, args, action](CLI::App* cmd, auto fn) {
    cmd->callback([&ctx, args, action, fn] {
      *action = [&ctx, args, fn]() -> absl::Status {
        TANDEM_RETURN_IF_ERROR(
            RefuseServerFlags(ctx, "db", "the DBMS as --conninfo",
                              "--wait (promote) or connect_timeout in --conninfo"));
        return fn(ctx, *args);
      };
    });
  };
  db->footer(
      "Runs where the DBMS is reachable (fence, unfence, replica create and rebuild: on its\n"
      "host). docs/DBMS-OPERATIONS.md is the guide.\n"
      "Examples:\n"
      "  tandemctl db status --conninfo \"host=db1 dbname=tandem\" --conninfo \"host=db2 "
      "dbname=tandem\"\n"
      "  tandemctl db promote --conninfo \"host=db2 user=postgres dbname=tandem\"");

  CLI::App* init = db->add_subcommand(
      "init", "Create the Tandem schema in an empty database (a no-op if it is already there)");
  init->add_option("--conninfo", args->conninfo,
                   "PostgreSQL connection string, e.g. \"host=db1 dbname=tandem user=tandem\"");
  init->add_option("--sqlite", args->sqlite, "an SQLite database file instead");
  init->footer(
      "Refuses a database that holds another application's tables or a newer Tandem schema.\n"
      "Examples:\n  tandemctl db init --conninfo \"host=127.0.0.1 port=5432 dbname=tandem\"\n"
      "  tandemctl db init --sqlite /var/lib/tandem/config.db");
  on(init, RunInit);

  CLI::App* replica = db->add_subcommand("replica", "Streaming-replication standbys");
  replica->require_subcommand(1);
  CLI::App* create = replica->add_subcommand(
      "create",
      "Build a standby of the primary in an empty directory, start it, wait until it "
      "streams");
  AddStandbyOptions(create, *args);
  create->footer(
      "Runs on the standby's host. Refuses a non-empty directory; on failure removes what it "
      "copied.\nWith --sync the primary's synchronous_standby_names gets the name once the "
      "standby streams.\nExample:\n  tandemctl db replica create --primary \"host=db1 "
      "user=replicator\" \\\n      --pgdata /var/lib/postgresql/15/standby --name region2 --sync");
  on(create, RunReplicaCreate);

  CLI::App* status = db->add_subcommand(
      "status", "Role, replication, lag, fences and Configuration Database revision of each DBMS");
  status
      ->add_option("--conninfo", args->conninfos,
                   "a DBMS to look at (repeat for each: primary and standbys), with the "
                   "Configuration Database's dbname")
      ->required();
  status->add_option("--nft-table", args->nft_table, "also list this host's nft fences")
      ->capture_default_str();
  status->footer(
      "Exit status 1 when there are warnings (a DBMS unreachable, a synchronous standby missing,\n"
      "...), as for `tandemctl dr status`.\n"
      "Example:\n  tandemctl db status --conninfo \"host=db1 dbname=tandem\" --conninfo "
      "\"host=db2 dbname=tandem\"");
  on(status,
     [](CommandContext& c, const DbArgs& a) { return RunDbStatus(c, a.conninfos, a.nft_table); });

  CLI::App* promote =
      db->add_subcommand("promote", "Promote a standby and wait until it accepts writes");
  promote->add_option("--conninfo", args->conninfo, "the standby")->required();
  promote->add_option("--wait", args->timeout_s, "seconds to wait for writes to work")
      ->capture_default_str();
  promote->add_flag("--keep-sync", args->keep_sync,
                    "keep synchronous_standby_names (commits wait until a standby attaches)");
  promote->footer(
      "A primary is left alone (exit 0, \"already a primary\"). Clears inherited "
      "synchronous_standby_names unless --keep-sync.\nFence or stop the old primary first.\n"
      "Example:\n  tandemctl db promote --conninfo \"host=db2 user=postgres dbname=tandem\" "
      "--wait 30");
  on(promote, RunPromote);

  for (bool fence : {true, false}) {
    CLI::App* cmd = db->add_subcommand(
        fence ? "fence" : "unfence",
        fence ? "Refuse connections from source addresses to the DBMS port (idempotent)"
              : "Allow fenced source addresses again (idempotent)");
    cmd->add_option("--from", args->from, "source address or CIDR (repeat or comma-separate)")
        ->delimiter(',')
        ->required();
    cmd->add_option("--method", args->fence_method,
                    "hba: reject rules on top of pg_hba.conf + reload (no root needed); nft: "
                    "firewall rules on this host (root)")
        ->capture_default_str();
    cmd->add_option("--conninfo", args->conninfo,
                    "superuser connection that is not fenced (Unix socket best): finds the file "
                    "and port, reloads, ends fenced sessions");
    cmd->add_option("--hba-file", args->hba_file, "pg_hba.conf to edit (default: the server's)");
    cmd->add_option("--port", args->fence_port, "nft: the DBMS port (default: the server's)");
    cmd->add_option("--nft-table", args->nft_table, "nft: the table tandemctl owns")
        ->capture_default_str();
    cmd->footer(absl::StrCat(
        "Runs on the DBMS host. `tandemctl db status` lists the fences.\nExamples:\n  tandemctl "
        "db ",
        fence ? "fence" : "unfence",
        " --from 198.51.100.0/24 --conninfo \"host=/var/run/postgresql dbname=tandem\"\n"
        "  tandemctl db ",
        fence ? "fence" : "unfence",
        " --method nft --port 5432 --from 198.51.100.11,198.51.100.12"));
    on(cmd, [fence](CommandContext& c, const DbArgs& a) { return RunFence(c, a, fence); });
  }

  CLI::App* rebuild = db->add_subcommand(
      "rebuild", "Make a stopped old primary the standby of the new primary (for failback)");
  AddStandbyOptions(rebuild, *args);
  rebuild
      ->add_option("--method", args->method,
                   "auto: pg_rewind, else a new base backup; rewind; basebackup")
      ->capture_default_str();
  rebuild->footer(
      "Refuses a running server. A new base backup keeps the old directory as "
      "DIR.before-rebuild-<time>.\nExample:\n  tandemctl db rebuild --primary \"host=db2 "
      "user=replicator\" --pgdata /var/lib/postgresql/15/main --name region1 --sync");
  on(rebuild, RunRebuild);
}

}  // namespace tandem::ctl
