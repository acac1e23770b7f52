// dr: disaster recovery across the two regions.
//   dr status   both regions at a glance (DBMS, masters, proxies, DNS, fences)
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "ctl/commands.h"
#include "ctl/object_printer.h"
#include "ctl/table_printer.h"
#include "dr/runbook.h"
#include "dr/scenarios.h"
#include "dr/status.h"
#include "tandem/storage/pg_admin.h"

namespace tandem::ctl {
namespace {

nlohmann::json ServerJson(const dr::ServerView& s) {
  nlohmann::json j = {{"address", s.address}, {"reachable", s.reachable}};
  if (!s.reachable) {
    j["error"] = s.error;
    return j;
  }
  j["role"] = RoleName(s.info.role());
  j["revision"] = s.info.revision();
  if (!s.info.node().empty()) {
    j["node"] = s.info.node();
    j["epoch"] = s.info.epoch();
  }
  if (s.info.role() == v1::ROLE_PROXY) {
    j["mode"] = ProxyModeName(s.info.proxy_mode());
    j["master"] = s.info.master_address();
  }
  return j;
}

absl::Status RunStatus(CommandContext& ctx, const std::string& site_file) {
  TANDEM_ASSIGN_OR_RETURN(dr::Site site, dr::LoadSite(site_file));
  dr::SiteView view = dr::GatherStatus(site);
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {{"live_region", view.live_region},
                          {"warnings", view.warnings},
                          {"regions", nlohmann::json::array()},
                          {"dns", nlohmann::json::array()}};
    for (const dr::RegionView& r : view.regions) {
      nlohmann::json j = {{"name", r.name}, {"dbms_reachable", r.dbms_reachable}};
      if (r.dbms_reachable) {
        j["dbms_role"] = r.dbms.in_recovery ? "standby" : "primary";
        j["dbms_endpoint"] = r.dbms.endpoint;
        j["revision"] = r.dbms.config.revision;
        j["fenced"] = r.dbms.hba_rejected;
        if (r.missing_revisions) j["missing_revisions"] = *r.missing_revisions;
        nlohmann::json standbys = nlohmann::json::array();
        for (const auto& s : r.dbms.standbys) {
          standbys.push_back({{"name", s.application_name},
                              {"sync_state", s.sync_state},
                              {"lag_bytes", s.lag_bytes}});
        }
        j["standbys"] = standbys;
      } else {
        j["dbms_error"] = r.dbms_error;
      }
      j["masters"] = nlohmann::json::array();
      for (const auto& m : r.masters) j["masters"].push_back(ServerJson(m));
      j["proxies"] = nlohmann::json::array();
      for (const auto& p : r.proxies) j["proxies"].push_back(ServerJson(p));
      out["regions"].push_back(j);
    }
    for (const dr::DnsView& d : view.dns) {
      out["dns"].push_back({{"name", d.name},
                            {"addresses", d.addresses},
                            {"ttl", d.ttl},
                            {"region", d.region},
                            {"error", d.error}});
    }
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << "live region: " << (view.live_region.empty() ? "NONE" : view.live_region) << "\n\n";
  TablePrinter dbms({"REGION", "DBMS", "ROLE", "REVISION", "BEHIND", "STANDBYS", "FENCED"}, 80);
  for (const dr::RegionView& r : view.regions) {
    if (!r.dbms_reachable) {
      dbms.AddRow({r.name, "unreachable", "-", "-", "-", "-", r.dbms_error});
      continue;
    }
    std::vector<std::string> standbys;
    for (const auto& s : r.dbms.standbys) {
      standbys.push_back(
          absl::StrCat(s.application_name, " ", s.sync_state, " lag ", s.lag_bytes, " B"));
    }
    dbms.AddRow({r.name, r.dbms.endpoint, r.dbms.in_recovery ? "standby" : "primary",
                 absl::StrCat(r.dbms.config.revision),
                 r.missing_revisions ? absl::StrCat(*r.missing_revisions, " revisions") : "-",
                 standbys.empty() ? "-" : absl::StrJoin(standbys, "; "),
                 r.dbms.hba_rejected.empty() ? "-" : absl::StrJoin(r.dbms.hba_rejected, ",")});
  }
  dbms.Print(ctx.out());
  ctx.out() << "\n";
  TablePrinter servers({"REGION", "SERVER", "ROLE", "NODE/EPOCH", "REVISION", "MODE"}, 80);
  for (const dr::RegionView& r : view.regions) {
    for (const auto* list : {&r.masters, &r.proxies}) {
      for (const dr::ServerView& s : *list) {
        if (!s.reachable) {
          servers.AddRow({r.name, s.address, "down", "-", "-", s.error});
          continue;
        }
        servers.AddRow(
            {r.name, s.address, RoleName(s.info.role()),
             s.info.node().empty() ? "-" : absl::StrCat(s.info.node(), "/", s.info.epoch()),
             absl::StrCat(s.info.revision()),
             s.info.role() == v1::ROLE_PROXY ? ProxyModeName(s.info.proxy_mode()) : "-"});
      }
    }
  }
  servers.Print(ctx.out());
  ctx.out() << "\n";
  TablePrinter names({"NAME", "ADDRESSES", "TTL", "REGION"});
  for (const dr::DnsView& d : view.dns) {
    names.AddRow({d.name, d.error.empty() ? absl::StrJoin(d.addresses, ",") : d.error,
                  absl::StrCat(d.ttl), d.region.empty() ? "-" : d.region});
  }
  names.Print(ctx.out());
  for (const std::string& w : view.warnings) ctx.out() << "WARNING: " << w << "\n";
  return absl::OkStatus();
}

struct FailoverArgs {
  std::string scenario;
  std::string to = "r2";
  bool dry_run = false;
  bool force = false;
  std::string journal;
};

absl::Status RunFailover(CommandContext& ctx, const std::string& site_file,
                         const FailoverArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(dr::Site site, dr::LoadSite(site_file));
  if (args.scenario != "dbms") {
    return absl::UnimplementedError(
        absl::StrCat("scenario '", args.scenario,
                     "' is not built yet; today: --scenario dbms (full and framework come next)"));
  }
  TANDEM_ASSIGN_OR_RETURN(std::vector<dr::Step> steps, dr::DbmsFailover(site, args.to));
  dr::RunOptions options;
  options.dry_run = args.dry_run;
  options.force = args.force;
  options.journal = args.journal.empty() ? site_file + ".journal" : args.journal;
  options.progress = [&ctx](const std::string& line) { ctx.err() << line << "\n"; };
  dr::RunReport report = dr::RunRunbook("failover-dbms", steps, options);
  ctx.out() << "runbook failover-dbms" << (args.dry_run ? " (dry run)" : "") << ": "
            << (report.status.ok() ? "ok" : "stopped") << " after "
            << absl::FormatDuration(absl::Trunc(report.total, absl::Milliseconds(1))) << "\n";
  for (const dr::StepResult& r : report.steps) {
    ctx.out() << "  " << r.id << ": " << r.outcome
              << (r.took > absl::ZeroDuration()
                      ? absl::StrCat(
                            " (", absl::FormatDuration(absl::Trunc(r.took, absl::Milliseconds(1))),
                            ")")
                      : "")
              << (r.detail.empty() ? "" : absl::StrCat(": ", r.detail)) << "\n";
  }
  // Revisions on each side: what the failover kept and what it may have lost.
  for (const dr::Region& region : site.regions) {
    auto state = storage::pgadmin::Probe(region.dbms);
    ctx.out() << "  revision on " << region.name << ": "
              << (state.ok() && state->config.present ? absl::StrCat(state->config.revision)
                                                      : "unknown (DBMS unreachable)")
              << "\n";
  }
  return report.status;
}

}  // namespace

void AddDrCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* dr = app.add_subcommand("dr", "Disaster recovery across the two regions");
  dr->require_subcommand(1);
  auto site = std::make_shared<std::string>();
  if (const char* env = std::getenv("TANDEM_DR_SITE")) *site = env;
  CLI::App* status = dr->add_subcommand(
      "status", "Both regions at a glance: DBMS roles and lag, masters, proxies, DNS, fences");
  status->add_option("--site", *site, "the site file (TOML; default $TANDEM_DR_SITE)");
  status->footer(
      "The site file lists the DNS server and names and, per region, the DBMS conninfo, the\n"
      "master pair and the proxies (see src/dr/site.h). In the lab: `lab/lab exec ops tandemctl "
      "dr status`.");
  auto failover_args = std::make_shared<FailoverArgs>();
  CLI::App* failover = dr->add_subcommand(
      "failover", "Carry on in the other region after losing (part of) the live one");
  failover->add_option("--site", *site, "the site file (TOML; default $TANDEM_DR_SITE)");
  failover->add_option("--scenario", failover_args->scenario, "dbms (full and framework: next)")
      ->required();
  failover->add_option("--to", failover_args->to, "the region that takes over")
      ->capture_default_str();
  failover->add_flag("--dry-run", failover_args->dry_run, "print the plan, change nothing");
  failover->add_flag("--force", failover_args->force,
                     "do unsafe steps anyway (e.g. promote while the old DBMS is writable)");
  failover->add_option("--journal", failover_args->journal,
                       "journal file (default: the site file + .journal)");
  failover->footer(
      "Each step is skipped when its effect is already there and verified before the next;\n"
      "run it again after an interruption to resume. Example (lab):\n"
      "  lab/lab exec ops tandemctl dr failover --scenario dbms --to r2 --dry-run");
  failover->callback([&ctx, site, failover_args, action] {
    *action = [&ctx, site, failover_args]() -> absl::Status {
      if (site->empty()) {
        return absl::InvalidArgumentError("give the site file with --site FILE or TANDEM_DR_SITE");
      }
      return RunFailover(ctx, *site, *failover_args);
    };
  });
  status->callback([&ctx, site, action] {
    *action = [&ctx, site]() -> absl::Status {
      if (site->empty()) {
        return absl::InvalidArgumentError("give the site file with --site FILE or TANDEM_DR_SITE");
      }
      return RunStatus(ctx, *site);
    };
  });
}

}  // namespace tandem::ctl
