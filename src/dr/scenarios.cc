#include "dr/scenarios.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/at_once.h"
#include "common/status_macros.h"
#include "common/subprocess.h"
#include "common/tcp_probe.h"
#include "dns/dns_client.h"
#include "dr/servers.h"

namespace tandem::dr {
namespace {

namespace pgadmin = storage::pgadmin;

// "host=203.0.113.10,198.51.100.10 port=..." -> "203.0.113.10" (for matching
// a storage description); empty if the conninfo has no host.
std::string HostOfConninfo(const std::string& conninfo) {
  const std::string hosts = pgadmin::ConninfoValue(conninfo, "host");
  return hosts.substr(0, hosts.find(','));
}

// A conninfo's single host and port (5432 unless given); nullopt for several
// hosts, a socket directory or none (then nothing is short-cut).
std::optional<std::pair<std::string, std::string>> DbmsEndpoint(const std::string& conninfo) {
  const std::string host = pgadmin::ConninfoValue(conninfo, "host");
  const std::string port = pgadmin::ConninfoValue(conninfo, "port");
  if (host.empty() || host[0] == '/' || absl::StrContains(host, ",") ||
      absl::StrContains(port, ",")) {
    return std::nullopt;
  }
  return std::make_pair(host, port.empty() ? std::string("5432") : port);
}

// Runs a site-file command for a host with /bin/sh -c and the given
// environment; its output is in the error when it fails.
absl::Status RunHostCommand(const std::string& host, const char* what, const std::string& command,
                            std::vector<std::string> env) {
  std::vector<std::string> argv = {"env", absl::StrCat("TANDEM_HOST=", host)};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {"/bin/sh", "-c", command});
  SubprocessOptions options;
  options.timeout = absl::Minutes(10);
  absl::StatusOr<SubprocessResult> r = RunSubprocess(argv, options);
  if (!r.ok()) {
    return absl::Status(r.status().code(), absl::StrCat("[hosts.", host, "] ", what, " (`", command,
                                                        "`): ", r.status().message()));
  }
  if (r->exit_code != 0) {
    std::string out = r->output;
    if (out.size() > 2000) out = absl::StrCat("...", out.substr(out.size() - 2000));
    return absl::FailedPreconditionError(absl::StrCat("[hosts.", host, "] ", what, " (`", command,
                                                      "`) exited with ", r->exit_code, ": ", out));
  }
  return absl::OkStatus();
}

// Runs `what` (a HostCommands member) for every host at once, each host's
// command checked to exist before any runs; the errors of all that failed.
absl::Status RunOnHosts(const Site& site, const std::vector<std::string>& hosts, const char* what,
                        std::string HostCommands::*command, const std::string& missing) {
  std::vector<const std::string*> commands;
  for (const std::string& h : hosts) {
    const HostCommands* cmd = site.FindHost(h);
    if (cmd == nullptr || (cmd->*command).empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("[hosts.", h, "] has no ", what, " command", missing));
    }
    commands.push_back(&(cmd->*command));
  }
  std::vector<absl::Status> results(hosts.size());
  RunAtOnce(hosts.size(),
            [&](size_t i) { results[i] = RunHostCommand(hosts[i], what, *commands[i], {}); });
  std::vector<std::string> errors;
  for (const absl::Status& st : results) {
    if (!st.ok()) errors.push_back(std::string(st.message()));
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrJoin(errors, "; "));
}

// Everything the steps of one plan share.
struct Context {
  Site site;
  const Region* from = nullptr;  // losing (or, in a failback, the live one)
  const Region* to = nullptr;    // taking over
  std::shared_ptr<PlanFacts> facts;
  // Set by the fence step when the old DBMS was fenced in this run.
  std::shared_ptr<bool> fenced = std::make_shared<bool>(false);

  // A DBMS that did not answer costs its connect timeout at each check;
  // within one run, one that did not answer a moment ago is taken as gone
  // (kGoneFor) instead of being waited for again.
  static constexpr absl::Duration kGoneFor = absl::Seconds(15);
  mutable absl::Mutex mu;
  mutable std::map<std::string, absl::Time> gone_at ABSL_GUARDED_BY(mu);

  // Before libpq: a DBMS that did not answer a moment ago, or does not
  // accept a TCP connection now (then marked gone), is UNAVAILABLE.
  absl::Status Reachable(const Region& region) const {
    if (RecentlyGone(region)) {
      return absl::UnavailableError(
          absl::StrCat(region.name, "'s DBMS did not answer a moment ago"));
    }
    if (auto ep = DbmsEndpoint(region.dbms); ep && !TcpAnswers(ep->first, ep->second, kTcpProbe)) {
      MarkGone(region);
      return absl::UnavailableError(absl::StrCat(region.name, "'s DBMS (", ep->first, ":",
                                                 ep->second, ") does not accept connections"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<pgadmin::ServerState> Probe(const Region& region) const {
    TANDEM_RETURN_IF_ERROR(Reachable(region));
    absl::StatusOr<pgadmin::ServerState> st = pgadmin::Probe(region.dbms);
    if (!st.ok() && absl::IsUnavailable(st.status())) MarkGone(region);
    return st;
  }
  bool RecentlyGone(const Region& region) const {
    absl::MutexLock lock(&mu);
    auto it = gone_at.find(region.name);
    return it != gone_at.end() && absl::Now() - it->second < kGoneFor;
  }
  void MarkGone(const Region& region) const {
    absl::MutexLock lock(&mu);
    gone_at[region.name] = absl::Now();
  }

  ServerAccess Access() const { return {site.tls, site.token}; }

  // Every host of every region that writes to a DBMS, as CIDRs: what a
  // fence shuts out. The framework VMs (masters) and the hosts of the
  // Message Servers: a Log Message Server writes the Log Database, which
  // is in the same cluster (it runs on application VMs, which a framework
  // fence alone would leave writing to the old primary).
  std::string FenceFrom() const {
    std::vector<std::string> cidrs;
    auto add = [&cidrs](const std::string& address) {
      const std::string h = HostOfAddress(address);
      std::string cidr =
          absl::StrContains(h, ":") ? absl::StrCat(h, "/128") : absl::StrCat(h, "/32");
      if (std::find(cidrs.begin(), cidrs.end(), cidr) == cidrs.end()) cidrs.push_back(cidr);
    };
    for (const Region& r : site.regions) {
      for (const std::string& m : r.masters) add(m);
      for (const std::string& m : r.message_servers) add(m);
    }
    return absl::StrJoin(cidrs, ",");
  }
};
using ContextPtr = std::shared_ptr<const Context>;

// Runs the region's DBMS host's fence (or unfence) command with the
// framework VMs in TANDEM_FENCE_FROM; false when the site has none.
absl::StatusOr<bool> RunFenceCommand(const Context& c, const Region& region, bool fence) {
  const HostCommands* cmd = c.site.FindHost(region.dbms_host);
  const std::string command = cmd == nullptr ? "" : fence ? cmd->fence : cmd->unfence;
  if (command.empty()) return false;
  absl::Status st = RunHostCommand(region.dbms_host, fence ? "fence" : "unfence", command,
                                   {absl::StrCat("TANDEM_FENCE_FROM=", c.FenceFrom())});
  if (!st.ok()) return st;
  return true;
}

// --- the building blocks -------------------------------------------------

Step StopFramework(ContextPtr c, const Region& region) {
  Step s;
  s.id = absl::StrCat("stop-", region.name, "-framework");
  s.description = absl::StrCat("stop ", region.name, "'s framework VMs (no master there answers)");
  s.done = [c, masters = region.masters]() -> absl::StatusOr<bool> {
    for (const auto& info : AskServers(masters, c->Access())) {
      if (info.ok()) return false;
    }
    return true;
  };
  s.run = [c, &region]() -> absl::Status {
    if (region.framework_hosts.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("a master of ", region.name,
                       " still answers and the site file names no framework VMs "
                       "to stop: add framework_hosts to [regions.",
                       region.name, "] and a stop command to each"));
    }
    return RunOnHosts(c->site, region.framework_hosts, "stop", &HostCommands::stop,
                      absl::StrCat(", and a master of ", region.name, " still answers"));
  };
  return s;
}

Step FenceDbms(ContextPtr c, const Region& region) {
  Step s;
  s.id = absl::StrCat("fence-", region.name, "-dbms");
  s.description = absl::StrCat(
      "fence ", region.name, "'s DBMS against every host that writes to it (", c->FenceFrom(), ")");
  auto ran = std::make_shared<bool>(false);
  // A fence kept by the DBMS host cannot be seen from here: the step runs in
  // every run (fence commands are idempotent). Its effect is checked where
  // it can be: a DBMS that answers has no session left from a framework VM.
  s.done = [c, &region, ran]() -> absl::StatusOr<bool> {
    if (!*ran) return false;
    if (!*c->fenced) return true;                 // forced without a command: nothing to check
    if (!c->Reachable(region).ok()) return true;  // gone: nobody writes there
    absl::StatusOr<int64_t> sessions =
        pgadmin::CountSessionsFrom(region.dbms, absl::StrSplit(c->FenceFrom(), ','));
    if (!sessions.ok()) {
      c->MarkGone(region);
      return true;  // not answering: nobody can write there either
    }
    return *sessions == 0;
  };
  s.unsafe = [c, &region]() -> std::string {
    const HostCommands* cmd = c->site.FindHost(region.dbms_host);
    if (cmd != nullptr && !cmd->fence.empty()) return "";
    return absl::StrCat("the site file has no fence command for ", region.name,
                        "'s DBMS host (dbms_host and [hosts.NAME] fence): if it returns, nothing "
                        "keeps framework VMs from writing to it");
  };
  s.run = [c, &region, ran]() -> absl::Status {
    absl::StatusOr<bool> fenced = RunFenceCommand(*c, region, /*fence=*/true);
    if (!fenced.ok()) return fenced.status();
    *c->fenced = *fenced;
    *ran = true;  // also forced without a command: the operator took it on
    return absl::OkStatus();
  };
  s.assume_ran = [c, &region] {
    const HostCommands* cmd = c->site.FindHost(region.dbms_host);
    *c->fenced = cmd != nullptr && !cmd->fence.empty();
  };
  return s;
}

Step UnfenceDbms(ContextPtr c, const Region& region) {
  Step s;
  s.id = absl::StrCat("unfence-", region.name, "-dbms");
  s.description = absl::StrCat("let the framework VMs reach ", region.name, "'s DBMS again");
  auto ran = std::make_shared<bool>(false);
  s.done = [ran]() -> absl::StatusOr<bool> { return *ran; };
  s.run = [c, &region, ran]() -> absl::Status {
    absl::StatusOr<bool> unfenced = RunFenceCommand(*c, region, /*fence=*/false);
    if (!unfenced.ok()) return unfenced.status();
    *ran = true;
    return absl::OkStatus();
  };
  return s;
}

// The new DBMS has replayed everything the old one wrote (after the fence
// nothing more is written there). `strict`: the old one must answer.
Step CatchUp(ContextPtr c, const Region& from, const Region& to, bool strict) {
  Step s;
  s.id = absl::StrCat("catch-up-", to.name, "-dbms");
  s.description = absl::StrCat(to.name, "'s DBMS has replayed everything ", from.name,
                               "'s wrote (nothing is lost by promoting it)");
  s.done = [c, &from, &to, strict]() -> absl::StatusOr<bool> {
    absl::StatusOr<pgadmin::ServerState> target = pgadmin::Probe(to.dbms);
    if (!target.ok()) return target.status();
    absl::StatusOr<pgadmin::ServerState> old = c->Probe(from);
    if (!old.ok()) {
      if (strict) {
        return absl::FailedPreconditionError(
            absl::StrCat(from.name, "'s DBMS does not answer (", old.status().message(),
                         "): a planned switch needs it; use `tandemctl dr failover`"));
      }
      if (target->in_recovery) c->facts->old_dbms_unreachable_at_promote = true;
      return true;  // gone: what it did not send is lost; the report says so
    }
    if (!target->in_recovery) return true;  // promoted already (a resumed run)
    if (old->in_recovery) return true;      // not a primary: nothing to catch up with
    absl::StatusOr<uint64_t> written = pgadmin::ParseLsn(old->wal_lsn);
    absl::StatusOr<uint64_t> replayed = pgadmin::ParseLsn(target->wal_lsn);
    if (!written.ok() || !replayed.ok()) return absl::InternalError("unreadable WAL position");
    if (*replayed < *written) return false;
    c->facts->caught_up = true;
    return true;
  };
  s.run = [] { return absl::OkStatus(); };  // the standby streams by itself: wait
  return s;
}

Step Promote(ContextPtr c, const Region& from, const Region& to) {
  Step s;
  s.id = absl::StrCat("promote-", to.name, "-dbms");
  s.description = absl::StrCat("promote ", to.name, "'s DBMS and wait until it takes writes");
  s.done = [&to]() -> absl::StatusOr<bool> {
    absl::StatusOr<pgadmin::ServerState> st = pgadmin::Probe(to.dbms);
    if (!st.ok()) return st.status();
    return !st->in_recovery;
  };
  s.unsafe = [c, &from]() -> std::string {
    if (*c->fenced) return "";
    absl::StatusOr<pgadmin::ServerState> st = c->Probe(from);
    if (!st.ok() || st->in_recovery) return "";  // gone, or a standby: safe
    return absl::StrCat(from.name, "'s DBMS (", st->endpoint,
                        ") still answers, is writable and was not fenced: stop it or fence it "
                        "(tandemctl db fence) first, or two primaries would take writes");
  };
  s.run = [&to]() -> absl::Status {
    return pgadmin::Promote(to.dbms, pgadmin::PromoteOptions()).status();
  };
  return s;
}

// A master is primary, with `region`'s DBMS as its storage.
absl::StatusOr<bool> PrimaryOn(const std::vector<std::string>& masters, const Region& region,
                               const ServerAccess& access) {
  const std::string host = HostOfConninfo(region.dbms);
  for (const auto& info : AskServers(masters, access)) {
    if (info.ok() && info->role() == config::v1::ROLE_PRIMARY &&
        (host.empty() || absl::StrContains(info->storage(), host))) {
      return true;
    }
  }
  return false;
}

Step StartFramework(ContextPtr c, const Region& region) {
  Step s;
  s.id = absl::StrCat("start-", region.name, "-framework");
  s.description = absl::StrCat("start ", region.name,
                               "'s framework VMs; wait until a master there is primary on ",
                               region.name, "'s DBMS");
  s.done = [c, &region]() { return PrimaryOn(region.masters, region, c->Access()); };
  s.run = [c, &region]() -> absl::Status {
    if (region.framework_hosts.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the site file names no framework VMs for ", region.name,
          ": add framework_hosts to [regions.", region.name, "] and a start command to each"));
    }
    return RunOnHosts(c->site, region.framework_hosts, "start", &HostCommands::start, "");
  };
  return s;
}

Step MastersFollow(const Site& site, const Region& to) {
  Step s;
  s.id = absl::StrCat("masters-on-", to.name, "-dbms");
  s.description = absl::StrCat("a master is primary again, on ", to.name, "'s DBMS");
  std::vector<std::string> masters;
  for (const Region& r : site.regions)
    masters.insert(masters.end(), r.masters.begin(), r.masters.end());
  s.done = [masters, &to, access = ServerAccess{site.tls, site.token}]() {
    return PrimaryOn(masters, to, access);
  };
  s.run = [] { return absl::OkStatus(); };  // they reconnect by themselves: wait
  return s;
}

Step PointDns(ContextPtr c, const Region& region) {
  Step s;
  s.id = absl::StrCat("dns-to-", region.name);
  std::vector<std::string> pairs;
  for (const auto& [name, address] : region.addresses)
    pairs.push_back(absl::StrCat(name, "=", address));
  s.description = absl::StrCat("point the framework names at ", region.name, " (",
                               absl::StrJoin(pairs, ", "), ", TTL ", c->site.ttl, " s)");
  s.done = [c, &region]() -> absl::StatusOr<bool> {
    if (region.addresses.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "[regions.", region.name, "] has no addresses: give what each DNS name points at"));
    }
    absl::StatusOr<dns::ServerAddress> server = dns::ParseServer(c->site.dns_server);
    if (!server.ok()) return server.status();
    dns::DnsClientPtr client = dns::NewDnsClient({.timeout = absl::Seconds(2)});
    for (const auto& [name, address] : region.addresses) {
      absl::StatusOr<std::string> absolute = dns::NameInZone(name, c->site.zone);
      if (!absolute.ok()) return absolute.status();
      absl::StatusOr<dns::Answer> answer =
          client->Lookup(*server, *absolute, absl::StrContains(address, ":") ? "AAAA" : "A");
      if (!answer.ok()) return answer.status();
      if (answer->records.size() != 1 || answer->records[0].address != address) return false;
    }
    return true;
  };
  s.run = [c, &region]() -> absl::Status {
    absl::StatusOr<dns::ServerAddress> server = dns::ParseServer(c->site.dns_server);
    if (!server.ok()) return server.status();
    absl::StatusOr<dns::TsigKey> key = dns::LoadTsigKey(c->site.key_file);
    if (!key.ok()) return key.status();
    dns::DnsClientPtr client = dns::NewDnsClient();
    for (const auto& [name, address] : region.addresses) {
      dns::SetAddressRequest req;
      req.server = *server;
      req.zone = c->site.zone;
      req.name = name;
      req.address = address;
      req.ttl = c->site.ttl;
      req.key = *key;
      if (absl::Status st = client->SetAddress(req); !st.ok()) {
        return absl::Status(st.code(), absl::StrCat(name, ": ", st.message()));
      }
    }
    return absl::OkStatus();
  };
  return s;
}

// Every proxy that answers is in normal mode with a master in `region`
// (an address of its masters, or a DNS name that now points there).
Step ProxiesFollow(ContextPtr c, const Region& region) {
  Step s;
  s.id = absl::StrCat("proxies-on-", region.name);
  s.description = absl::StrCat("every proxy that answers serves from ", region.name,
                               "'s master again (normal mode)");
  s.done = [c, &region]() -> absl::StatusOr<bool> {
    std::vector<std::string> hosts;
    for (const std::string& m : region.masters) hosts.push_back(HostOfAddress(m));
    absl::StatusOr<dns::ServerAddress> server = dns::ParseServer(c->site.dns_server);
    dns::DnsClientPtr client = dns::NewDnsClient({.timeout = absl::Seconds(2)});
    std::vector<std::string> proxies;
    for (const Region& r : c->site.regions) {
      proxies.insert(proxies.end(), r.proxies.begin(), r.proxies.end());
    }
    for (const auto& info : AskServers(proxies, c->Access())) {
      {
        if (!info.ok()) continue;  // a proxy VM that is down has nothing to follow
        if (info->proxy_mode() != config::v1::PROXY_MODE_NORMAL) return false;
        std::string master = HostOfAddress(info->master_address());
        bool there = std::find(hosts.begin(), hosts.end(), master) != hosts.end();
        if (!there && server.ok()) {
          // A name: what the site's DNS server says it is now.
          absl::StatusOr<dns::Answer> a =
              client->Lookup(*server, dns::AbsoluteName(master).value_or(master), "A");
          if (a.ok()) {
            for (const dns::Record& rec : a->records) {
              there = there || std::find(hosts.begin(), hosts.end(), rec.address) != hosts.end();
            }
          }
        }
        if (!there) return false;
      }
    }
    return true;
  };
  s.run = [] { return absl::OkStatus(); };  // they re-resolve and reconnect: wait
  return s;
}

Step StartDbms(ContextPtr c, const Region& region) {
  Step s;
  s.id = absl::StrCat("start-", region.name, "-dbms");
  s.description = absl::StrCat("start ", region.name, "'s DBMS VM (it stays fenced)");
  s.done = [&region]() -> absl::StatusOr<bool> { return pgadmin::Probe(region.dbms).ok(); };
  s.run = [c, &region]() -> absl::Status {
    const HostCommands* cmd = c->site.FindHost(region.dbms_host);
    if (cmd == nullptr || cmd->start.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(region.name,
                       "'s DBMS does not answer and the site file has no start command for it "
                       "(dbms_host and [hosts.NAME] start): start it, then run this again"));
    }
    return RunHostCommand(region.dbms_host, "start", cmd->start, {});
  };
  return s;
}

// `old` (a primary left behind) becomes a streaming standby of `primary`.
// Before, what only `old` has is compared and kept for the report.
Step RebuildDbms(ContextPtr c, const Region& old, const Region& primary) {
  Step s;
  s.id = absl::StrCat("rebuild-", old.name, "-dbms");
  s.description = absl::StrCat("make ", old.name, "'s DBMS a standby of ", primary.name,
                               "'s (what only it has is reported, then discarded)");
  s.done = [&old, &primary]() -> absl::StatusOr<bool> {
    absl::StatusOr<pgadmin::ServerState> st = pgadmin::Probe(old.dbms);
    if (!st.ok()) return false;  // stopped for the rebuild, or down
    const std::string host = HostOfConninfo(primary.dbms);
    return st->in_recovery && st->receiver_status == "streaming" &&
           (host.empty() || absl::StartsWith(st->upstream, host));
  };
  s.run = [c, &old, &primary]() -> absl::Status {
    if (!c->facts->discarded) {
      absl::StatusOr<pgadmin::HistoryComparison> cmp =
          pgadmin::CompareHistories(old.dbms, primary.dbms);
      if (cmp.ok()) c->facts->discarded = *cmp;
    }
    const HostCommands* cmd = c->site.FindHost(old.dbms_host);
    if (cmd == nullptr || cmd->rebuild.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the site file has no rebuild command for ", old.name,
          "'s DBMS host (dbms_host and [hosts.NAME] rebuild; e.g. stop it, then `tandemctl db "
          "rebuild --primary \"$TANDEM_PRIMARY_CONNINFO\" ...` on it)"));
    }
    return RunHostCommand(old.dbms_host, "rebuild", cmd->rebuild,
                          {absl::StrCat("TANDEM_PRIMARY_CONNINFO=", primary.dbms),
                           absl::StrCat("TANDEM_PRIMARY_HOST=", HostOfConninfo(primary.dbms))});
  };
  return s;
}

absl::StatusOr<std::shared_ptr<Context>> MakeContext(const Site& site, const std::string& to) {
  auto c = std::make_shared<Context>();
  c->site = site;
  c->to = c->site.FindRegion(to);
  if (c->to == nullptr) {
    std::vector<std::string> names;
    for (const Region& r : site.regions) names.push_back(r.name);
    return absl::InvalidArgumentError(absl::StrCat("no region '", to, "' in the site file (it has ",
                                                   absl::StrJoin(names, ", "), ")"));
  }
  for (const Region& r : c->site.regions) {
    if (r.name != to) c->from = &r;
  }
  c->facts = std::make_shared<PlanFacts>();
  c->facts->from = c->from->name;
  c->facts->to = c->to->name;
  c->facts->old_primary = c->from->name;
  return c;
}

// Stop the old framework, fence the old DBMS, catch up, promote, start the
// new framework, DNS, proxies: the common core of framework/full failover
// and switchover.
void MoveFramework(const ContextPtr& c, const Region& from, const Region& to, bool strict,
                   std::vector<Step>& steps) {
  steps.push_back(StopFramework(c, from));
  steps.push_back(FenceDbms(c, from));
  steps.push_back(CatchUp(c, from, to, strict));
  steps.push_back(Promote(c, from, to));
  const HostCommands* to_dbms = c->site.FindHost(to.dbms_host);
  if (to_dbms != nullptr && !to_dbms->unfence.empty()) steps.push_back(UnfenceDbms(c, to));
  steps.push_back(StartFramework(c, to));
  steps.push_back(PointDns(c, to));
  steps.push_back(ProxiesFollow(c, to));
}

// An empty plan whose owner is the context for region `to` (see MakeContext).
absl::StatusOr<Plan> NewPlan(const Site& site, const std::string& to, std::string name) {
  absl::StatusOr<std::shared_ptr<Context>> made = MakeContext(site, to);
  if (!made.ok()) return made.status();
  Plan plan;
  plan.name = std::move(name);
  plan.facts = (*made)->facts;
  plan.owner = *made;
  return plan;
}

}  // namespace

absl::StatusOr<Plan> FailoverPlan(const Site& site, const std::string& scenario,
                                  const std::string& to) {
  if (scenario != "full" && scenario != "framework" && scenario != "dbms") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown scenario '", scenario, "': full, framework or dbms"));
  }
  TANDEM_ASSIGN_OR_RETURN(Plan plan, NewPlan(site, to, absl::StrCat("failover-", scenario)));
  ContextPtr c = std::static_pointer_cast<const Context>(plan.owner);
  if (scenario == "dbms") {
    plan.steps.push_back(FenceDbms(c, *c->from));
    plan.steps.push_back(CatchUp(c, *c->from, *c->to, /*strict=*/false));
    plan.steps.push_back(Promote(c, *c->from, *c->to));
    const HostCommands* to_dbms = c->site.FindHost(c->to->dbms_host);
    if (to_dbms != nullptr && !to_dbms->unfence.empty())
      plan.steps.push_back(UnfenceDbms(c, *c->to));
    plan.steps.push_back(MastersFollow(c->site, *c->to));
    plan.writable_after = plan.steps.back().id;
    return plan;
  }
  MoveFramework(c, *c->from, *c->to, /*strict=*/false, plan.steps);
  plan.writable_after = absl::StrCat("start-", to, "-framework");
  return plan;
}

absl::StatusOr<Plan> SwitchoverPlan(const Site& site, const std::string& to) {
  TANDEM_ASSIGN_OR_RETURN(Plan plan, NewPlan(site, to, "switchover"));
  ContextPtr c = std::static_pointer_cast<const Context>(plan.owner);
  MoveFramework(c, *c->from, *c->to, /*strict=*/true, plan.steps);
  plan.steps.push_back(RebuildDbms(c, *c->from, *c->to));
  plan.writable_after = absl::StrCat("start-", to, "-framework");
  return plan;
}

absl::StatusOr<Plan> FailbackPlan(const Site& site, const std::string& to) {
  TANDEM_ASSIGN_OR_RETURN(Plan plan, NewPlan(site, to, "failback"));
  ContextPtr c = std::static_pointer_cast<const Context>(plan.owner);
  // Here `to` is the region coming back and `from` the live one.
  c->facts->old_primary = c->to->name;
  plan.steps.push_back(StartDbms(c, *c->to));
  plan.steps.push_back(RebuildDbms(c, *c->to, *c->from));
  MoveFramework(c, *c->from, *c->to, /*strict=*/true, plan.steps);
  plan.steps.push_back(RebuildDbms(c, *c->from, *c->to));
  plan.writable_after = absl::StrCat("start-", to, "-framework");
  return plan;
}

}  // namespace tandem::dr
