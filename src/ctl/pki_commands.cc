// pki: a small certificate authority for Tandem's TLS (src/pki).
//   pki init             a CA in --dir
//   pki issue NAME       a server/client certificate signed by it
//   pki show FILE...     subject, names, usages, expiry (warns at 30 days)
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/table_printer.h"
#include "pki/pki.h"

namespace tandem::ctl {
namespace {

//! Certificates this close to expiry are warned about (and alarmed on by
//! the servers that present them).
constexpr int64_t kWarnDays = 30;

struct PkiArgs {
  std::string dir;
  std::string name;
  std::string ca_name = "Tandem CA";
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  std::string out;
  int days = 0;
  bool client_only = false;
  bool server_only = false;
  bool force = false;
  std::vector<std::string> files;
};

std::string Date(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

nlohmann::json CertJson(const pki::CertInfo& c, absl::Time now) {
  return {{"subject", c.subject},
          {"issuer", c.issuer},
          {"dns", c.dns_names},
          {"ip", c.ip_addresses},
          {"serial", c.serial},
          {"not_before", absl::FormatTime(absl::RFC3339_sec, c.not_before, absl::UTCTimeZone())},
          {"not_after", absl::FormatTime(absl::RFC3339_sec, c.not_after, absl::UTCTimeZone())},
          {"days_left", c.DaysLeft(now)},
          {"ca", c.is_ca},
          {"server_auth", c.server_auth},
          {"client_auth", c.client_auth}};
}

void PrintIssued(CommandContext& ctx, const char* verb, const pki::CertInfo& c,
                 const std::string& cert, const std::string& key) {
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = CertJson(c, absl::Now());
    out["certificate"] = cert;
    out["key"] = key;
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return;
  }
  std::vector<std::string> names = c.dns_names;
  names.insert(names.end(), c.ip_addresses.begin(), c.ip_addresses.end());
  ctx.out() << verb << " " << c.subject << " (valid until " << Date(c.not_after)
            << (names.empty() ? "" : absl::StrCat("; names ", absl::StrJoin(names, ", "))) << ")\n"
            << "  certificate " << cert << "\n  key         " << key << " (mode 0600)\n";
}

absl::Status RunInit(CommandContext& ctx, const PkiArgs& a) {
  TANDEM_ASSIGN_OR_RETURN(
      pki::CertInfo ca,
      pki::InitCa(
          {.dir = a.dir, .name = a.ca_name, .days = a.days > 0 ? a.days : 3650, .force = a.force}));
  PrintIssued(ctx, "created CA", ca, pki::CaCertPath(a.dir), pki::CaKeyPath(a.dir));
  if (ctx.options().output == OutputFormat::kTable) {
    ctx.out() << "Give " << pki::CaCertPath(a.dir)
              << " to every server and client ([tls] ca, --ca); keep ca.key on this host only.\n";
  }
  return absl::OkStatus();
}

absl::Status RunIssue(CommandContext& ctx, const PkiArgs& a) {
  if (a.client_only && a.server_only) {
    return UsageError("--client-only and --server-only exclude each other");
  }
  pki::IssueOptions o;
  o.dir = a.dir;
  o.name = a.name;
  o.dns_names = a.dns;
  o.ip_addresses = a.ips;
  o.out_dir = a.out;
  o.days = a.days > 0 ? a.days : 397;
  o.server_auth = !a.client_only;
  o.client_auth = !a.server_only;
  o.force = a.force;
  TANDEM_ASSIGN_OR_RETURN(pki::CertInfo c, pki::Issue(o));
  const std::string out = a.out.empty() ? a.dir : a.out;
  PrintIssued(ctx, a.force ? "issued (replacing the old one)" : "issued", c,
              pki::CertPath(out, a.name), pki::KeyPath(out, a.name));
  return absl::OkStatus();
}

absl::Status RunShow(CommandContext& ctx, const PkiArgs& a) {
  const absl::Time now = absl::Now();
  nlohmann::json all = nlohmann::json::array();
  TablePrinter table({"FILE", "SUBJECT", "ISSUER", "NAMES", "USE", "EXPIRES", "DAYS LEFT"}, 60);
  std::vector<std::string> warnings;
  for (const std::string& file : a.files) {
    TANDEM_ASSIGN_OR_RETURN(std::vector<pki::CertInfo> certs, pki::ReadCertificates(file));
    for (const pki::CertInfo& c : certs) {
      const int64_t left = c.DaysLeft(now);
      if (left < 0) {
        warnings.push_back(absl::StrCat(file, ": ", c.subject, " expired on ", Date(c.not_after)));
      } else if (left <= kWarnDays) {
        warnings.push_back(absl::StrCat(file, ": ", c.subject, " expires in ", left,
                                        " days; issue a new one (pki issue ... --force)"));
      }
      nlohmann::json j = CertJson(c, now);
      j["file"] = file;
      all.push_back(j);
      std::vector<std::string> names = c.dns_names;
      names.insert(names.end(), c.ip_addresses.begin(), c.ip_addresses.end());
      std::vector<std::string> use;
      if (c.is_ca) use.push_back("ca");
      if (c.server_auth) use.push_back("server");
      if (c.client_auth) use.push_back("client");
      table.AddRow({file, c.subject, c.issuer, names.empty() ? "-" : absl::StrJoin(names, ","),
                    use.empty() ? "-" : absl::StrJoin(use, ","), Date(c.not_after),
                    absl::StrCat(left)});
    }
  }
  if (ctx.options().output == OutputFormat::kJson) {
    ctx.out() << config::DumpJson(all, 2) << "\n";
  } else {
    table.Print(ctx.out());
    for (const std::string& w : warnings) ctx.out() << "WARNING: " << w << "\n";
  }
  if (warnings.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(warnings.size(), " warning(s); see above"));
}

}  // namespace

void AddPkiCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* pki = app.add_subcommand(
      "pki", "A small certificate authority for Tandem's TLS: a CA, certificates, their expiry");
  pki->require_subcommand(1);
  pki->footer(
      "Certificates name a daemon's Application object (CN) and the names clients reach it by\n"
      "(SANs). The CA key stays where `pki init` ran. docs/SECURITY.md has the whole set-up.\n"
      "Examples:\n  tandemctl pki init --dir /etc/tandem/pki\n"
      "  tandemctl pki issue confserv --dns fw-p.tandem.test --ip 198.51.100.11 --dir "
      "/etc/tandem/pki\n  tandemctl pki show /etc/tandem/pki/*.crt");
  auto args = std::make_shared<PkiArgs>();
  const char* env = std::getenv("TANDEM_PKI_DIR");
  args->dir = env != nullptr && *env != '\0' ? env : "/etc/tandem/pki";
  auto on = [&ctx, args, action](CLI::App* cmd,
                                 absl::Status (*fn)(CommandContext&, const PkiArgs&)) {
    cmd->callback([&ctx, args, action, fn] {
      *action = [&ctx, args, fn]() -> absl::Status {
        TANDEM_RETURN_IF_ERROR(RefuseServerFlags(ctx, "pki", "files only (--dir)", "nothing"));
        return fn(ctx, *args);
      };
    });
  };
  auto dir_option = [&args](CLI::App* cmd) {
    cmd->add_option("--dir", args->dir, "the CA directory (ca.crt, ca.key) [env TANDEM_PKI_DIR]")
        ->capture_default_str();
  };

  CLI::App* init = pki->add_subcommand("init", "Create a CA: DIR/ca.key (0600) and DIR/ca.crt");
  dir_option(init);
  init->add_option("--name", args->ca_name, "the CA's name (subject CN)")->capture_default_str();
  init->add_option("--days", args->days, "validity in days (default 3650)");
  init->add_flag("--force", args->force,
                 "replace an existing CA (every certificate it issued stops verifying)");
  init->footer("Example:\n  tandemctl pki init --dir /etc/tandem/pki --name \"Tandem CA site1\"");
  on(init, RunInit);

  CLI::App* issue =
      pki->add_subcommand("issue", "Issue a certificate and key: OUT/NAME.crt, OUT/NAME.key");
  issue
      ->add_option("NAME", args->name,
                   "subject CN: the daemon's Application name, or a person's user name")
      ->required();
  issue->add_option("--dns", args->dns, "a DNS name clients use (repeat)");
  issue->add_option("--ip", args->ips, "an IP address clients use (repeat)");
  dir_option(issue);
  issue->add_option("--out", args->out, "where to write the files (default: --dir)");
  issue->add_option("--days", args->days, "validity in days (default 397)");
  issue->add_flag("--client-only", args->client_only,
                  "a client certificate only (an operator, a libtandem application)");
  issue->add_flag("--server-only", args->server_only, "a server certificate only");
  issue->add_flag("--force", args->force,
                  "replace existing files (rotation; servers pick them up by themselves)");
  issue->footer(
      "A server certificate needs every name and address clients use to reach it.\n"
      "Examples:\n"
      "  tandemctl pki issue r1-fw-p --dns fw-p.tandem.test --dns cfgmaster.tandem.test "
      "--ip 198.51.100.11\n  tandemctl pki issue alice --client-only --out ~/.config/tandem");
  on(issue, RunIssue);

  CLI::App* show = pki->add_subcommand(
      "show", "Subject, issuer, names, usage and expiry of the certificates in PEM files");
  show->add_option("FILE", args->files, "PEM files (chains and bundles too)")->required();
  show->footer(
      "Exit status 1 when one has expired or expires within 30 days.\n"
      "Examples:\n  tandemctl pki show /etc/tandem/pki/confserv.crt\n"
      "  tandemctl -o json pki show /etc/tandem/pki/*.crt");
  on(show, RunShow);
}

}  // namespace tandem::ctl
