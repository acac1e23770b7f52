// `tandemctl dr status`: both regions at a glance — DBMS roles, lag and
// revisions, fences, the master pair (role, epoch, revision), each proxy's
// mode, each SCS's role and what it runs, and what DNS answers for the
// framework names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dr/site.h"
#include "tandem/config/v1/config.pb.h"
#include "tandem/storage/pg_admin.h"

namespace tandem::dr {

struct ServerView {
  std::string address;
  bool reachable = false;
  std::string error;
  config::v1::ServerInfo info;
};

//! One SCS: its role and epoch, what it manages and how much of it runs
//! (as the operator's session may see it).
struct ScsView {
  std::string address;
  bool reachable = false;
  std::string error;
  std::string name;
  bool primary = false;
  int64_t epoch = 0;
  int hosts = 0;
  int applications = 0;
  int started = 0;
};

//! One Message Server: its pair role and, for a Log Message Server, its Log
//! Database.
struct MsgServerView {
  std::string address;
  bool reachable = false;
  std::string error;
  std::string name;
  bool acting = false;
  int64_t epoch = 0;
  bool log = false;
  std::string store;
  int64_t events = 0;
  std::string last_store_error;
};

struct RegionView {
  std::string name;
  bool dbms_reachable = false;
  std::string dbms_error;
  storage::pgadmin::ServerState dbms;
  //! Standby: the primary's revision minus its own (same configuration).
  std::optional<int64_t> missing_revisions;
  //! An old primary (writable, but not the live DBMS): revisions it has
  //! that the live DBMS does not.
  std::optional<int64_t> unreplicated_revisions;
  //! When a runbook last fenced this region's DBMS (the journal's
  //! fence-R-dbms step) and did not unfence it since; empty if not. Fences
  //! made by per-host commands (e.g. nft on the DBMS host) are not visible
  //! from here: the journal is what tells.
  std::string runbook_fence;
  std::vector<ServerView> masters;
  std::vector<ServerView> proxies;
  std::vector<ScsView> scs;
  std::vector<MsgServerView> message_servers;
};

struct DnsView {
  std::string name;
  std::vector<std::string> addresses;
  uint32_t ttl = 0;
  std::string error;
  //! The region whose master (or DBMS) has that address, if any.
  std::string region;
};

struct SiteView {
  std::vector<RegionView> regions;
  std::vector<DnsView> dns;
  //! The region of the primary master, when the DBMS it writes to is
  //! writable (its DBMS may be the other region's, after a DBMS failover).
  std::string live_region;
  std::vector<std::string> warnings;
};

//! Asks everything the site lists, all at once (a region that is down costs
//! its slowest timeout: the DBMS's connect_timeout); never fails as a whole
//! (each part says what it could not reach). `journal`: the runbooks'
//! journal, for the fences they set (may be empty or missing).
SiteView GatherStatus(const Site& site, const std::string& journal = "");

//! The parts GatherStatus asks of each region, each on its own (the
//! console's Regions page keeps each one fresh by itself, so a DBMS that
//! does not answer does not hold back what the masters say).
enum class StatusPart { kDbms, kMasters, kProxies, kScs, kMessageServers };
//! Every part, in the order CombineParts takes them.
inline constexpr StatusPart kStatusParts[] = {StatusPart::kDbms, StatusPart::kMasters,
                                              StatusPart::kProxies, StatusPart::kScs,
                                              StatusPart::kMessageServers};
//! Asks one part of site.regions[region]; fills only that part's fields of
//! `into` (and its name).
void ProbePart(const Site& site, size_t region, StatusPart part, RegionView& into);
//! One region from its parts' answers (parts[i] answered kStatusParts[i];
//! they are moved from).
RegionView CombineParts(RegionView* parts);
//! What DNS answers for each of site.names (addresses, TTL or the error).
std::vector<DnsView> LookupNames(const Site& site);
//! Everything derived from the parts: fences from the journal, revisions a
//! standby lacks, the live region, old primaries (asks their DBMS what they
//! hold that the live one does not), where each name points, warnings.
//! `regions` are in site.regions' order.
SiteView DeriveStatus(const Site& site, std::vector<RegionView> regions, std::vector<DnsView> dns,
                      const std::string& journal);

}  // namespace tandem::dr
