// tandemctl's subcommands. Each Add*Commands registers its subcommands on
// the CLI11 app; when one is chosen its callback stores the work in *action,
// which the caller runs after parsing succeeded.
#pragma once

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "ctl/context.h"
#include "ctl/input.h"

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

//! Reads one object by DBID or by name (in `tenant_dbid`).
absl::StatusOr<v1::ConfigObject> FetchObject(CommandContext& ctx, v1::ObjectType type,
                                             const ObjectKey& key, int64_t tenant_dbid);

}  // namespace tandem::ctl
