#include "dr/status.h"

#include <iterator>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/at_once.h"
#include "dns/dns_client.h"
#include "dr/runbook.h"
#include "dr/servers.h"

namespace tandem::dr {
namespace {

namespace v1 = config::v1;

// Every server of the list, asked at once (dr/servers.h).
std::vector<ServerView> AskAll(const std::vector<std::string>& addresses,
                               const ServerAccess& access) {
  std::vector<ServerView> views;
  const auto answers = AskServers(addresses, access);
  for (size_t i = 0; i < addresses.size(); ++i) {
    ServerView view;
    view.address = addresses[i];
    if (answers[i].ok()) {
      view.reachable = true;
      view.info = *answers[i];
    } else {
      view.error = std::string(answers[i].status().message());
    }
    views.push_back(std::move(view));
  }
  return views;
}

// Every SCS of the list, asked at once: Status with the operator's session.
std::vector<ScsView> AskScsAll(const std::vector<std::string>& addresses,
                               const ServerAccess& access) {
  std::vector<ScsView> views(addresses.size());
  RunAtOnce(addresses.size(), [&](size_t i) {
    ScsView& v = views[i];
    v.address = addresses[i];
    absl::StatusOr<control::v1::ScsStatusResponse> st = AskScs(addresses[i], access);
    if (!st.ok()) {
      v.error = std::string(st.status().message());
      return;
    }
    v.reachable = true;
    v.name = st->info().application();
    v.primary = st->info().role() == control::v1::SCS_ROLE_PRIMARY;
    v.epoch = st->info().epoch();
    v.hosts = st->info().hosts();
    v.applications = st->applications_size();
    for (const auto& a : st->applications()) v.started += a.status() == "Started" ? 1 : 0;
  });
  return views;
}

// Every Message Server of the list, asked at once.
std::vector<MsgServerView> AskMsgServersAll(const std::vector<std::string>& addresses,
                                            const ServerAccess& access) {
  std::vector<MsgServerView> views(addresses.size());
  RunAtOnce(addresses.size(), [&](size_t i) {
    MsgServerView& v = views[i];
    v.address = addresses[i];
    absl::StatusOr<MsgServerAnswer> a = AskMsgServer(addresses[i], access);
    if (!a.ok()) {
      v.error = std::string(a.status().message());
      return;
    }
    v.reachable = true;
    v.name = a->bus.application();
    v.acting = a->bus.acting();
    v.epoch = a->bus.epoch();
    if (a->log.has_value()) {
      v.log = true;
      v.store = a->log->store();
      v.events = a->log->events();
      v.last_store_error = a->log->last_store_error();
    }
  });
  return views;
}

// region -> when a runbook fenced its DBMS, from the journal's step events.
std::map<std::string, std::string> RunbookFences(const std::string& journal) {
  std::map<std::string, std::string> fenced;
  if (journal.empty()) return fenced;
  for (const JournalEntry& e : ReadJournal(journal)) {
    if (e.event != "step" || e.state != "done") continue;
    // Step ids "fence-R-dbms" and "unfence-R-dbms" (dr/scenarios.cc).
    absl::string_view region = e.step;
    if (!absl::ConsumeSuffix(&region, "-dbms")) continue;
    if (absl::ConsumePrefix(&region, "fence-")) {
      fenced[std::string(region)] = absl::StrCat(e.at, " (", e.runbook, ")");
    } else if (absl::ConsumePrefix(&region, "unfence-")) {
      fenced.erase(std::string(region));
    }
  }
  return fenced;
}

}  // namespace

void ProbePart(const Site& site, size_t region, StatusPart part, RegionView& into) {
  const Region& r = site.regions.at(region);
  const ServerAccess access{site.tls, site.token};
  into.name = r.name;
  switch (part) {
    case StatusPart::kDbms: {
      absl::StatusOr<storage::pgadmin::ServerState> dbms = storage::pgadmin::Probe(r.dbms);
      into.dbms_reachable = dbms.ok();
      into.dbms = dbms.ok() ? *dbms : storage::pgadmin::ServerState{};
      into.dbms_error = dbms.ok() ? "" : std::string(dbms.status().message());
      return;
    }
    case StatusPart::kMasters:
      into.masters = AskAll(r.masters, access);
      return;
    case StatusPart::kProxies:
      into.proxies = AskAll(r.proxies, access);
      return;
    case StatusPart::kScs:
      into.scs = AskScsAll(r.scs, access);
      return;
    case StatusPart::kMessageServers:
      into.message_servers = AskMsgServersAll(r.message_servers, access);
      return;
  }
}

std::vector<DnsView> LookupNames(const Site& site) {
  std::vector<DnsView> out;
  absl::StatusOr<dns::ServerAddress> server = dns::ParseServer(site.dns_server);
  dns::DnsClientPtr client = dns::NewDnsClient({.timeout = absl::Seconds(2)});
  for (const std::string& name : site.names) {
    DnsView d;
    d.name = name;
    absl::StatusOr<std::string> absolute = dns::NameInZone(name, site.zone);
    absl::StatusOr<dns::Answer> answer = !server.ok() ? absl::StatusOr<dns::Answer>(server.status())
                                         : !absolute.ok()
                                             ? absl::StatusOr<dns::Answer>(absolute.status())
                                             : client->Lookup(*server, *absolute, "A");
    if (!answer.ok()) {
      d.error = std::string(answer.status().message());
    } else {
      for (const dns::Record& rec : answer->records) {
        d.addresses.push_back(rec.address);
        d.ttl = rec.ttl;
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

RegionView CombineParts(RegionView* p) {
  RegionView v;
  v.name = p[0].name;
  v.dbms_reachable = p[0].dbms_reachable;
  v.dbms = std::move(p[0].dbms);
  v.dbms_error = std::move(p[0].dbms_error);
  v.masters = std::move(p[1].masters);
  v.proxies = std::move(p[2].proxies);
  v.scs = std::move(p[3].scs);
  v.message_servers = std::move(p[4].message_servers);
  return v;
}

SiteView GatherStatus(const Site& site, const std::string& journal) {
  // Every part of every region and DNS at once: a region that is down costs
  // its slowest timeout, not the sum of them.
  constexpr size_t kPartCount = std::size(kStatusParts);
  std::vector<RegionView> parts(site.regions.size() * kPartCount);
  std::vector<DnsView> dns;
  RunAtOnce(parts.size() + 1, [&](size_t i) {
    if (i == parts.size()) {
      dns = LookupNames(site);
    } else {
      ProbePart(site, i / kPartCount, kStatusParts[i % kPartCount], parts[i]);
    }
  });
  std::vector<RegionView> regions;
  for (size_t r = 0; r < site.regions.size(); ++r) {
    regions.push_back(CombineParts(&parts[r * kPartCount]));
    regions.back().name = site.regions[r].name;
  }
  return DeriveStatus(site, std::move(regions), std::move(dns), journal);
}

SiteView DeriveStatus(const Site& site, std::vector<RegionView> regions, std::vector<DnsView> dns,
                      const std::string& journal) {
  const std::map<std::string, std::string> fences = RunbookFences(journal);
  SiteView view;
  view.regions = std::move(regions);
  for (RegionView& r : view.regions) {
    r.runbook_fence.clear();
    r.missing_revisions.reset();
    r.unreplicated_revisions.reset();
    if (auto f = fences.find(r.name); f != fences.end()) r.runbook_fence = f->second;
  }
  // Revisions a standby lacks against the writable DBMS of the same configuration.
  std::vector<std::string> writable;
  for (const RegionView& r : view.regions) {
    if (r.dbms_reachable && !r.dbms.in_recovery) writable.push_back(r.name);
  }
  for (RegionView& r : view.regions) {
    if (!r.dbms_reachable) continue;
    for (const RegionView& p : view.regions) {
      if (!p.dbms_reachable) continue;
      if (auto behind = storage::pgadmin::RevisionsBehind(r.dbms, p.dbms))
        r.missing_revisions = behind;
    }
  }
  std::vector<std::string> primaries;
  std::string live_storage;  // "postgres:HOST:PORT/DB" of the primary master
  for (const RegionView& r : view.regions) {
    for (const ServerView& m : r.masters) {
      if (m.reachable && m.info.role() == v1::ROLE_PRIMARY) {
        primaries.push_back(r.name);
        live_storage = m.info.storage();
      }
    }
    for (const MsgServerView& m : r.message_servers) {
      if (m.reachable && m.acting && !m.last_store_error.empty()) {
        view.warnings.push_back(
            absl::StrCat("Log Message Server ", m.name, " (", m.address, ", ", r.name,
                         ") cannot store in its Log Database: ", m.last_store_error,
                         " (what applications log waits in their buffers)"));
      }
    }
    for (const ServerView& p : r.proxies) {
      if (p.reachable && p.info.proxy_mode() == v1::PROXY_MODE_LIMITED) {
        view.warnings.push_back(absl::StrCat("proxy ", p.address, " (", r.name,
                                             ") is in limited mode: ", p.info.proxy_detail()));
      } else if (!p.reachable) {
        view.warnings.push_back(
            absl::StrCat("proxy ", p.address, " (", r.name, ") does not answer: ", p.error));
      }
    }
  }
  // The live DBMS is the one the primary master writes to.
  const RegionView* live_dbms = nullptr;
  const Region* live_dbms_site = nullptr;
  for (size_t i = 0; i < view.regions.size(); ++i) {
    const RegionView& r = view.regions[i];
    if (primaries.size() == 1 && r.dbms_reachable && !r.dbms.in_recovery &&
        absl::StrContains(live_storage, r.dbms.endpoint)) {
      live_dbms = &r;
      live_dbms_site = &site.regions[i];
    }
  }
  if (live_dbms != nullptr) view.live_region = primaries[0];
  if (writable.size() > 1 && live_dbms == nullptr) {
    view.warnings.push_back(absl::StrCat("the DBMS of ", absl::StrJoin(writable, " and "),
                                         " are all writable: fence or stop all but one"));
  }
  for (size_t i = 0; i < view.regions.size(); ++i) {
    RegionView& r = view.regions[i];
    if (live_dbms == nullptr || &r == live_dbms || !r.dbms_reachable || r.dbms.in_recovery) {
      continue;
    }
    // A writable DBMS nobody writes to: an old primary left by a failover.
    absl::StatusOr<storage::pgadmin::HistoryComparison> cmp =
        storage::pgadmin::CompareHistories(site.regions[i].dbms, live_dbms_site->dbms);
    if (cmp.ok()) r.unreplicated_revisions = cmp->only_in_a;
    view.warnings.push_back(absl::StrCat(
        r.name, "'s DBMS is an old primary (timeline ", r.dbms.timeline, "; the live one, ",
        live_dbms->name, "'s, is on ", live_dbms->dbms.timeline, ")",
        cmp.ok() ? absl::StrCat(" with ", cmp->only_in_a, " revision(s) ", live_dbms->name,
                                " never received (lost by the failover)")
                 : "",
        ": keep it fenced; `tandemctl dr failback --to ", r.name, "` makes it a standby"));
  }
  if (primaries.empty()) {
    view.warnings.push_back("no master is primary: writes are refused everywhere");
  }
  // DNS: which region each name points at.
  view.dns = std::move(dns);
  for (DnsView& d : view.dns) {
    d.region.clear();
    if (!d.error.empty()) continue;
    for (const Region& region : site.regions) {
      for (const std::string& m : region.masters) {
        for (const std::string& a : d.addresses) {
          if (HostOfAddress(m) == a) d.region = region.name;
        }
      }
    }
    if (!view.live_region.empty() && !d.region.empty() && d.region != view.live_region) {
      view.warnings.push_back(
          absl::StrCat(d.name, " points at ", d.region, " but ", view.live_region, " is live"));
    }
  }
  return view;
}

}  // namespace tandem::dr
