// tandemctl's subcommands. Each Add*Commands registers its subcommands on
// the CLI11 app; when one is chosen its callback stores the work in *action,
// which the caller runs after parsing succeeded.
#pragma once

#include <functional>
#include <optional>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "ctl/context.h"
#include "ctl/input.h"
#include "ctl/scs_client.h"

namespace tandem::ctl {

//! get, list.
void AddReadCommands(CLI::App& app, CommandContext& ctx, Action* action);
//! create, update, delete, set-option.
void AddWriteCommands(CLI::App& app, CommandContext& ctx, Action* action);
//! export, import.
void AddTransferCommands(CLI::App& app, CommandContext& ctx, Action* action);
//! watch, history.
void AddChangeCommands(CLI::App& app, CommandContext& ctx, Action* action);
//! status.
void AddStatusCommand(CLI::App& app, CommandContext& ctx, Action* action);
//! db init.
void AddDbCommands(CLI::App& app, CommandContext& ctx, Action* action);
//! dns set, dns show.
void AddDnsCommands(CLI::App& app, CommandContext& ctx, Action* action);
//! dr status.
void AddDrCommands(CLI::App& app, CommandContext& ctx, Action* action);

//! pki init, issue, show.
void AddPkiCommands(CLI::App& app, CommandContext& ctx, Action* action);
//! login, logout, whoami, passwd, auth bootstrap.
void AddAuthCommands(CLI::App& app, CommandContext& ctx, Action* action);
//! Where `login` keeps the session token: TANDEM_TOKEN_FILE, else
//! ~/.config/tandem/token.
std::string TokenFile();

//! Prints the outcome of a write: a sentence (table; by default "updated
//! Host 'x' at revision N"), or the same JSON shape for every write command:
//! {"action": "created", "object": {...}, "revision": N} (action
//! "unchanged": nothing was written; N is the object's revision).
void ReportWrite(CommandContext& ctx, absl::string_view action, const v1::ConfigObject& object,
                 int64_t revision, absl::string_view sentence = "");

//! Read-edit-update of one object: `edit` changes a copy of the object read
//! (false: nothing to write; nullopt is returned). The update expects the
//! revision read; when the object changed meanwhile (ABORTED) it is read and
//! edited again, up to 3 times. `*object` is the object as last read. `verb`
//! starts error messages ("set option on").
absl::StatusOr<std::optional<v1::UpdateResponse>> EditObject(
    CommandContext& ctx, v1::ObjectType type, const ObjectKey& key, int64_t tenant,
    absl::string_view verb, const std::function<bool(v1::ConfigObject*)>& edit,
    v1::ConfigObject* object);

//! logs, alarms, alarms clear.
void AddLogCommands(CLI::App& app, CommandContext& ctx, Action* action);
//! bus status.
void AddBusCommands(CLI::App& app, CommandContext& ctx, Action* action);

//! grant, revoke.
void AddGrantCommands(CLI::App& app, CommandContext& ctx, Action* action);

//! app start|stop|restart|switchover|status, host status, solution
//! start|stop|status (through the SCSs; `factory` reaches them).
void AddScsCommands(CLI::App& app, CommandContext& ctx, const ScsClientFactory& factory,
                    Action* action);

//! version, completion.
void AddToolCommands(CLI::App& app, CommandContext& ctx, Action* action);

//! For commands that do not talk to a configuration server (db, dns, dr):
//! the global --server and --timeout on their command line are a mistake;
//! the error says what `command` takes instead (`server_instead`,
//! `timeout_instead`).
absl::Status RefuseServerFlags(const CommandContext& ctx, absl::string_view command,
                               absl::string_view server_instead, absl::string_view timeout_instead);

//! Help of every NAME|DBID and --tenant argument.
inline constexpr char kKeyHelp[] =
    "object name or DBID (a number may be either; dbid:N or name:N says which)";
inline constexpr char kTenantHelp[] = "tenant (NAME|DBID) the NAME is in (default: none)";

}  // namespace tandem::ctl
