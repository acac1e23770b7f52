// dr: disaster recovery across the two regions.
//   dr status       both regions at a glance (DBMS, masters, proxies, DNS, fences)
//   dr failover     --scenario full|framework|dbms --to REGION
//   dr switchover   --to REGION (planned, no loss)
//   dr failback     --to REGION (after a failover away from it)
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/help.h"
#include "ctl/object_printer.h"
#include "ctl/table_printer.h"
#include "dr/runbook.h"
#include "dr/scenarios.h"
#include "dr/status.h"
#include "dr/status_json.h"
#include "tandem/storage/pg_admin.h"

namespace tandem::ctl {
namespace {

// The site file, with the TLS tandemctl reaches its servers with: given on
// the command line, else the site file's [tls], else tandemctl's defaults.
absl::StatusOr<dr::Site> LoadSiteWithTls(const CommandContext& ctx, const std::string& file) {
  TANDEM_ASSIGN_OR_RETURN(dr::Site site, dr::LoadSite(file));
  const TlsFiles& given = ctx.options().tls;
  if (given.plaintext || !given.ca.empty() || !given.cert.empty() || !site.tls_given) {
    TANDEM_ASSIGN_OR_RETURN(site.tls, ClientTls(ctx.options()));
  }
  site.token = SessionToken();
  return site;
}

// dr reads every server from the site file.
absl::Status CheckFlags(const CommandContext& ctx) {
  return RefuseServerFlags(ctx, "dr", "the servers from the site file (--site)",
                           "--step-timeout (runbooks)");
}

// pg_hba fences the server reports, and the runbooks' (from the journal).
std::string FencedText(const dr::RegionView& r) {
  std::vector<std::string> parts;
  if (!r.dbms.hba_rejected.empty()) {
    parts.push_back(absl::StrCat("hba ", absl::StrJoin(r.dbms.hba_rejected, ",")));
  }
  if (!r.runbook_fence.empty()) parts.push_back(absl::StrCat("by runbook ", r.runbook_fence));
  return parts.empty() ? "-" : absl::StrJoin(parts, "; ");
}

// Where the runbooks journal unless --journal says otherwise; dr status
// reads fences there.
std::string DefaultJournal(const std::string& site_file) { return site_file + ".journal"; }

absl::Status RunStatus(CommandContext& ctx, const std::string& site_file) {
  TANDEM_ASSIGN_OR_RETURN(dr::Site site, LoadSiteWithTls(ctx, site_file));
  dr::SiteView view = dr::GatherStatus(site, DefaultJournal(site_file));
  if (ctx.options().output == OutputFormat::kJson) {
    const nlohmann::json out = dr::SiteViewJson(view);
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return WarningsStatus(view.warnings);
  }
  ctx.out() << "live region: " << (view.live_region.empty() ? "NONE" : view.live_region) << "\n\n";
  TablePrinter dbms({"REGION", "DBMS", "ROLE", "REVISION", "BEHIND", "STANDBYS", "FENCED"}, 80);
  for (const dr::RegionView& r : view.regions) {
    if (!r.dbms_reachable) {
      // (no pg_hba to read: only the runbooks' fences)
      dbms.AddRow({r.name, "unreachable", "-", "-", "-", "-",
                   r.runbook_fence.empty() ? r.dbms_error
                                           : absl::StrCat(FencedText(r), "; ", r.dbms_error)});
      continue;
    }
    std::vector<std::string> standbys;
    for (const auto& s : r.dbms.standbys) {
      standbys.push_back(
          absl::StrCat(s.application_name, " ", s.sync_state, " lag ", s.lag_bytes, " B"));
    }
    dbms.AddRow({r.name, r.dbms.endpoint, r.dbms.in_recovery ? "standby" : "primary",
                 absl::StrCat(r.dbms.config.revision),
                 r.missing_revisions ? absl::StrCat(*r.missing_revisions, " revisions")
                 : r.unreplicated_revisions
                     ? absl::StrCat("old primary, ", *r.unreplicated_revisions, " unreplicated")
                     : "-",
                 standbys.empty() ? "-" : absl::StrJoin(standbys, "; "), FencedText(r)});
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
  for (const dr::RegionView& r : view.regions) {
    for (const dr::ScsView& c : r.scs) {
      if (!c.reachable) {
        servers.AddRow({r.name, c.address, "scs down", "-", "-", c.error});
        continue;
      }
      servers.AddRow({r.name, c.address, c.primary ? "scs primary" : "scs backup",
                      absl::StrCat(c.name, "/", c.epoch), "-",
                      absl::StrCat(c.hosts, " hosts, ", c.started, "/", c.applications,
                                   " applications Started")});
    }
  }
  for (const dr::RegionView& r : view.regions) {
    for (const dr::MsgServerView& m : r.message_servers) {
      if (!m.reachable) {
        servers.AddRow({r.name, m.address, "ms down", "-", "-", m.error});
        continue;
      }
      const std::string role = absl::StrCat(m.log ? "lms " : "ms ", m.acting ? "acting" : "backup");
      servers.AddRow({r.name, m.address, role, absl::StrCat(m.name, "/", m.epoch), "-",
                      !m.log ? "-"
                      : m.last_store_error.empty()
                          ? absl::StrCat(m.store, ", ", m.events, " events")
                          : absl::StrCat(m.store, ", ", m.events,
                                         " events; last error: ", m.last_store_error)});
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
  return WarningsStatus(view.warnings);
}

struct RunbookArgs {
  std::string scenario;
  std::string to;
  bool dry_run = false;
  bool force = false;
  std::string journal;
  double timeout_s = 120;
};

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(d));
}

absl::Status RunPlan(CommandContext& ctx, const std::string& site_file, const dr::Site& site,
                     const dr::Plan& plan, const RunbookArgs& args) {
  dr::RunOptions options;
  options.dry_run = args.dry_run;
  options.force = args.force;
  options.journal = args.journal.empty() ? DefaultJournal(site_file) : args.journal;
  options.verify_timeout = absl::Seconds(args.timeout_s);
  options.progress = [&ctx](const std::string& line) { ctx.err() << line << "\n"; };
  if (!args.dry_run)
    ctx.err() << "runbook " << plan.name << " (journal " << options.journal << ")\n";
  const dr::RunReport report = dr::RunRunbook(plan.name, plan.steps, options);

  // RTO: from the runbook's start until the new region took writes.
  std::optional<absl::Duration> rto;
  for (const dr::StepResult& r : report.steps) {
    if (r.id == plan.writable_after && (r.outcome == "done" || r.outcome == "already done")) {
      rto = r.finished - report.started;
    }
  }
  // Revisions on each side, and what the failover lost.
  const dr::PlanFacts& facts = *plan.facts;
  const dr::Region* from = site.FindRegion(facts.from);
  const dr::Region* to = site.FindRegion(facts.to);
  nlohmann::json revisions = nlohmann::json::object();
  for (const dr::Region& region : site.regions) {
    auto state = storage::pgadmin::Probe(region.dbms);
    if (state.ok() && state->config.present) {
      revisions[region.name] = state->config.revision;
    } else {
      revisions[region.name] = nullptr;
    }
  }
  std::optional<int64_t> lost;
  std::string lost_note;
  if (!args.dry_run) {
    const dr::Region* loser = site.FindRegion(facts.old_primary);
    const dr::Region* winner = loser == from ? to : from;
    if (facts.discarded) {
      lost = facts.discarded->only_in_a;
      lost_note =
          facts.discarded->only_in_a == 0
              ? absl::StrCat(loser->name, "'s DBMS had nothing that ", winner->name,
                             " lacked (compared before it became a standby)")
              : absl::StrCat(loser->name, "'s DBMS had ", facts.discarded->only_in_a,
                             " revision(s) after revision ", facts.discarded->common_revision,
                             " that ", winner->name, " never received; they were discarded",
                             facts.discarded->beyond_window
                                 ? " (at least: the fork lies further back)"
                                 : "");
    } else if (report.status.ok() && loser == from) {
      auto cmp = storage::pgadmin::CompareHistories(from->dbms, to->dbms);
      if (cmp.ok()) {
        lost = cmp->only_in_a;
        lost_note = absl::StrCat(from->name, "'s DBMS answers: ", cmp->only_in_a,
                                 " revision(s) there that ", to->name, " does not have");
      } else if (facts.caught_up) {
        lost = 0;
        lost_note = absl::StrCat(to->name, "'s DBMS had replayed everything ", from->name,
                                 "'s wrote before the promotion");
      } else {
        lost_note = absl::StrCat(
            from->name, "'s DBMS does not answer",
            facts.old_dbms_unreachable_at_promote
                ? absl::StrCat(" and did not when ", to->name, "'s was promoted")
                : "",
            "; what it had not replicated is counted when it returns (`tandemctl dr status` "
            "shows it; `tandemctl dr failback --to ",
            from->name, "` reports it before discarding it)");
      }
    }
  }

  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {
        {"runbook", plan.name},
        {"ok", report.status.ok()},
        {"dry_run", args.dry_run},
        {"total_s", absl::ToDoubleSeconds(report.total)},
        {"rto_s", rto ? nlohmann::json(absl::ToDoubleSeconds(*rto)) : nlohmann::json()},
        {"revisions", revisions},
        {"revisions_lost", lost ? nlohmann::json(*lost) : nlohmann::json()},
        {"lost_note", lost_note},
        {"steps", nlohmann::json::array()}};
    if (!report.status.ok()) out["error"] = std::string(report.status.message());
    for (const dr::StepResult& r : report.steps) {
      out["steps"].push_back({{"id", r.id},
                              {"outcome", r.outcome},
                              {"took_s", absl::ToDoubleSeconds(r.took)},
                              {"detail", r.detail}});
    }
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return report.status;
  }
  ctx.out() << "runbook " << plan.name << (args.dry_run ? " (dry run)" : "") << ": "
            << (report.status.ok() ? "ok" : "stopped") << " after " << Seconds(report.total)
            << "\n";
  for (const dr::StepResult& r : report.steps) {
    ctx.out() << "  " << r.id << ": " << r.outcome
              << (r.took > absl::ZeroDuration() ? absl::StrCat(" (", Seconds(r.took), ")") : "")
              << (r.detail.empty() ? "" : absl::StrCat(": ", r.detail)) << "\n";
  }
  if (args.dry_run) return report.status;
  if (rto) {
    ctx.out() << "RTO: " << Seconds(*rto) << " from the runbook's start until " << facts.to
              << " took writes (" << plan.writable_after << ")\n";
  }
  for (const dr::Region& region : site.regions) {
    ctx.out() << "revision on " << region.name << ": "
              << (revisions[region.name].is_null()
                      ? std::string("unknown (DBMS unreachable)")
                      : absl::StrCat(revisions[region.name].get<int64_t>()))
              << "\n";
  }
  if (!lost_note.empty()) {
    ctx.out() << "revisions lost: " << (lost ? absl::StrCat(*lost) : "unknown") << " (" << lost_note
              << ")\n";
  }
  return report.status;
}

absl::Status RunRunbookCommand(CommandContext& ctx, const std::string& site_file,
                               const std::string& kind, const RunbookArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(dr::Site site, LoadSiteWithTls(ctx, site_file));
  absl::StatusOr<dr::Plan> plan = kind == "failover"
                                      ? dr::FailoverPlan(site, args.scenario, args.to)
                                  : kind == "switchover" ? dr::SwitchoverPlan(site, args.to)
                                                         : dr::FailbackPlan(site, args.to);
  if (!plan.ok()) return plan.status();
  return RunPlan(ctx, site_file, site, *plan, args);
}

}  // namespace

void AddDrCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* dr = app.add_subcommand("dr", "Disaster recovery across the two regions");
  dr->require_subcommand(1);
  dr->footer(
      "Every command reads the site file (--site FILE or TANDEM_DR_SITE); docs/DR.md is the\n"
      "operator's guide.\nExamples:\n  tandemctl dr status\n"
      "  tandemctl dr failover --scenario full --to r2 --dry-run\n"
      "  tandemctl dr switchover --to r2");
  auto site = std::make_shared<std::string>();
  if (const char* env = std::getenv("TANDEM_DR_SITE")) *site = env;
  CLI::App* status = dr->add_subcommand(
      "status", "Both regions at a glance: DBMS roles and lag, masters, proxies, DNS, fences");
  status->add_option("--site", *site, "the site file (TOML; default $TANDEM_DR_SITE)");
  status->footer(
      "The site file lists the DNS server and names and, per region, the DBMS conninfo, the\n"
      "master pair and the proxies (docs/DR.md, \"The site file\"). Exit status 1 when there\n"
      "are warnings, as for `tandemctl db status`.\n"
      "Examples:\n  tandemctl dr status --site /etc/tandem/site.toml\n"
      "  lab/lab exec ops tandemctl dr status -o json     # in the lab");
  struct Runbook {
    const char* name;
    const char* help;
    const char* footer;
  };
  const Runbook runbooks[] = {
      {"failover", "Carry on in the other region after losing (part of) the live one",
       "Scenarios (the seed's): full (the whole live region is lost), framework (its framework\n"
       "VMs), dbms (its DBMS). Example (lab):\n"
       "  lab/lab exec ops tandemctl dr failover --scenario full --to r2 --dry-run"},
      {"switchover", "Planned move of the live region to the other one, with no loss",
       "Stops the live framework VMs, fences and drains the live DBMS, promotes the other,\n"
       "starts its framework VMs, moves DNS and the proxies, and makes the old DBMS a standby.\n"
       "Example (lab):\n  lab/lab exec ops tandemctl dr switchover --to r2"},
      {"failback", "Back to a region after a failover away from it",
       "Starts its DBMS, reports what it had that was never replicated (lost by the failover),\n"
       "makes it a standby of the live DBMS, then switches over to it. Example (lab):\n"
       "  lab/lab exec ops tandemctl dr failback --to r1"},
  };
  for (const Runbook& rb : runbooks) {
    auto args = std::make_shared<RunbookArgs>();
    CLI::App* cmd = dr->add_subcommand(rb.name, rb.help);
    cmd->add_option("--site", *site, "the site file (TOML; default $TANDEM_DR_SITE)");
    if (std::string(rb.name) == "failover") {
      cmd->add_option("--scenario", args->scenario, "full, framework or dbms")
          ->required()
          ->check(CLI::IsMember({"full", "framework", "dbms"}));
    }
    cmd->add_option("--to", args->to,
                    std::string(rb.name) == "failback" ? "the region to go back to"
                                                       : "the region that takes over")
        ->required();
    cmd->add_flag("--dry-run", args->dry_run, "print the plan, change nothing");
    cmd->add_flag("--force", args->force,
                  "do unsafe steps anyway (e.g. promote while the old DBMS is writable and not "
                  "fenced), and ignore another runbook's unfinished journal");
    cmd->add_option("--journal", args->journal, "journal file (default: the site file + .journal)");
    cmd->add_option("--step-timeout", args->timeout_s,
                    "seconds each step may take to show its effect")
        ->capture_default_str()
        ->check(PositiveSeconds(3600));
    cmd->footer(absl::StrCat(
        "Each step is skipped when its effect is already there and verified before the next;\n"
        "run it again after an interruption to resume. The report gives the RTO, the revision\n"
        "on each side and the revisions lost. docs/DR.md is the operator's guide.\n",
        rb.footer));
    const std::string kind = rb.name;
    cmd->callback([&ctx, site, args, action, kind] {
      *action = [&ctx, site, args, kind]() -> absl::Status {
        TANDEM_RETURN_IF_ERROR(CheckFlags(ctx));
        if (site->empty())
          return UsageError("give the site file with --site FILE or TANDEM_DR_SITE");
        return RunRunbookCommand(ctx, *site, kind, *args);
      };
    });
  }
  status->callback([&ctx, site, action] {
    *action = [&ctx, site]() -> absl::Status {
      TANDEM_RETURN_IF_ERROR(CheckFlags(ctx));
      if (site->empty()) return UsageError("give the site file with --site FILE or TANDEM_DR_SITE");
      return RunStatus(ctx, *site);
    };
  });
}

}  // namespace tandem::ctl
