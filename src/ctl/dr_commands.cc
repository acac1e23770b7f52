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
#include "dr/status.h"

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
