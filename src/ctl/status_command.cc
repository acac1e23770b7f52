// status: what the server says about itself.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "ctl/commands.h"
#include "ctl/object_printer.h"
#include "ctl/table_printer.h"

namespace tandem::ctl {
namespace {

//! "0s", "59s", "3m 20s", "2h 5m", "3d 4h": two units at most, always one.
std::string FormatUptime(absl::Duration d) {
  int64_t s = std::max<int64_t>(0, absl::ToInt64Seconds(d));
  const int64_t days = s / 86400, hours = s / 3600 % 24, minutes = s / 60 % 60, seconds = s % 60;
  if (days > 0) return absl::StrCat(days, "d ", hours, "h");
  if (hours > 0) return absl::StrCat(hours, "h ", minutes, "m");
  if (minutes > 0) return absl::StrCat(minutes, "m ", seconds, "s");
  return absl::StrCat(seconds, "s");
}

absl::Status RunStatus(CommandContext& ctx) {
  absl::StatusOr<config::ConfigClient*> registered = ctx.Client();
  // Not logged in: what anyone may see (role, revision, mode), and a note.
  const bool limited = !registered.ok() && absl::IsUnauthenticated(registered.status());
  if (!registered.ok() && !limited) return registered.status();
  config::ConfigClient* client = registered.ok() ? *registered : nullptr;
  if (limited) {
    TANDEM_ASSIGN_OR_RETURN(client, ctx.UnauthenticatedClient());
    ctx.err() << "tandemctl: not logged in (" << registered.status().message()
              << "); showing what anyone may see\n";
  }
  auto info = client->GetServerInfo();
  if (!info.ok()) return ctx.Describe(info.status(), "read server info");
  absl::Time started = absl::FromUnixSeconds(info->started_at().seconds()) +
                       absl::Nanoseconds(info->started_at().nanos());
  absl::Duration uptime = absl::Trunc(absl::Now() - started, absl::Seconds(1));
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {
        {"server", ctx.options().server},
        {"role", RoleName(info->role())},
        {"application", info->application_name()},
        {"revision", info->revision()},
        {"history_id", info->history_id()},
        {"oldest_revision", info->oldest_revision()},
        {"revision_hash", absl::BytesToHexString(info->revision_hash())},
        {"objects", info->object_count()},
        {"schema_version", info->schema_version()},
        {"storage", info->storage()},
        {"version", info->version()},
        {"started_at", config::FormatTimestamp(info->started_at())},
        {"uptime_s", absl::ToInt64Seconds(uptime)},
        {"alarms", std::vector<std::string>(info->alarms().begin(), info->alarms().end())},
        {"refused_calls", info->refused_calls()},
    };
    if (!info->node().empty()) {
      out["node"] = info->node();
      out["epoch"] = info->epoch();
      out["primary"] = info->primary_address();
    }
    if (info->role() == v1::ROLE_PROXY) {
      out["proxy_mode"] = ProxyModeName(info->proxy_mode());
      out["master"] = info->master_address();
      out["proxy_detail"] = info->proxy_detail();
      if (info->has_limited_since()) {
        out["limited_since"] = config::FormatTimestamp(info->limited_since());
      }
    }
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  if (limited && ctx.options().output == OutputFormat::kTable) {
    TablePrinter table({"FIELD", "VALUE"}, 500);
    table.AddRow({"server", ctx.options().server});
    table.AddRow({"role", RoleName(info->role())});
    if (info->role() == v1::ROLE_PROXY) {
      table.AddRow({"proxy mode", ProxyModeName(info->proxy_mode())});
    }
    if (!info->primary_address().empty()) table.AddRow({"primary", info->primary_address()});
    table.AddRow({"revision", absl::StrCat(info->revision())});
    table.AddRow({"version", info->version()});
    table.Print(ctx.out());
    return absl::OkStatus();
  }
  TablePrinter table({"FIELD", "VALUE"}, 500);
  table.AddRow({"server", ctx.options().server});
  table.AddRow({"role", RoleName(info->role())});
  table.AddRow({"application", info->application_name()});
  if (!info->node().empty()) {
    table.AddRow({"ha node", absl::StrCat(info->node(), " (fencing epoch ", info->epoch(), ")")});
    table.AddRow({"primary", info->primary_address()});
  }
  if (info->role() == v1::ROLE_PROXY) {
    std::string mode = ProxyModeName(info->proxy_mode());
    if (info->has_limited_since()) {
      absl::StrAppend(&mode, " since ", config::FormatTimestamp(info->limited_since()));
    }
    table.AddRow({"proxy mode", mode});
    table.AddRow({"master", info->master_address()});
    table.AddRow({"proxy detail", info->proxy_detail()});
  }
  table.AddRow({"revision", absl::StrCat(info->revision())});
  table.AddRow({"history id", info->history_id()});
  table.AddRow({"oldest revision", absl::StrCat(info->oldest_revision())});
  table.AddRow({"objects", absl::StrCat(info->object_count())});
  table.AddRow({"storage", info->storage()});
  table.AddRow({"version", info->version()});
  table.AddRow({"uptime", FormatUptime(uptime)});
  if (info->refused_calls() > 0) {
    table.AddRow({"refused calls", absl::StrCat(info->refused_calls(),
                                                " since the start (each in the server's log)")});
  }
  for (const std::string& alarm : info->alarms()) table.AddRow({"alarm", alarm});
  table.Print(ctx.out());
  return absl::OkStatus();
}

}  // namespace

void AddStatusCommand(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* status = app.add_subcommand("status", "Show the server's role, revision and size");
  status->footer(
      "A proxy shows its mode (normal, limited, loading) and master; an HA master its node,\n"
      "fencing epoch and the primary's address.\n"
      "Examples:\n  tandemctl --server cs1:9000 status\n  tandemctl --server cs1:9000,cs2:9000 "
      "status"
      "   (the primary of the pair)\n  tandemctl status -o json");
  status->callback([&ctx, action] { *action = [&ctx] { return RunStatus(ctx); }; });
}

}  // namespace tandem::ctl
