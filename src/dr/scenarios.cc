#include "dr/scenarios.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/config_client.h"
#include "tandem/storage/pg_admin.h"

namespace tandem::dr {
namespace {

namespace pgadmin = storage::pgadmin;

const Region* Find(const Site& site, const std::string& name) {
  for (const Region& r : site.regions) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// "host=203.0.113.10 port=..." -> "203.0.113.10" (for matching a storage
// description); empty if the conninfo has no plain host.
std::string HostOf(const std::string& conninfo) {
  const size_t at = conninfo.find("host=");
  if (at == std::string::npos) return "";
  const size_t end = conninfo.find_first_of(" ,", at + 5);
  return conninfo.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
}

}  // namespace

absl::StatusOr<std::vector<Step>> DbmsFailover(const Site& site, const std::string& to) {
  const Region* target = Find(site, to);
  if (target == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("no region '", to, "' in the site file"));
  }
  const Region* old = nullptr;
  for (const Region& r : site.regions) {
    if (r.name != to) old = &r;
  }
  std::vector<Step> steps;
  Step promote;
  promote.id = absl::StrCat("promote-", to, "-dbms");
  promote.description = absl::StrCat("promote ", to, "'s DBMS and wait until it takes writes");
  promote.done = [dbms = target->dbms]() -> absl::StatusOr<bool> {
    absl::StatusOr<pgadmin::ServerState> s = pgadmin::Probe(dbms);
    if (!s.ok()) return s.status();
    return !s->in_recovery;
  };
  promote.unsafe = [old_dbms = old->dbms, old_name = old->name]() -> std::string {
    absl::StatusOr<pgadmin::ServerState> s = pgadmin::Probe(old_dbms);
    if (!s.ok() || s->in_recovery) return "";  // gone, or a standby: safe
    return absl::StrCat(old_name, "'s DBMS (", s->endpoint,
                        ") still answers and is writable: stop it or fence it (tandemctl db "
                        "fence) first, or two primaries would take writes");
  };
  promote.run = [dbms = target->dbms]() -> absl::Status {
    return pgadmin::Promote(dbms, pgadmin::PromoteOptions()).status();
  };
  steps.push_back(std::move(promote));

  // The live region's masters reconnect by themselves; the step waits for
  // a primary whose storage is the promoted DBMS.
  Step follow;
  follow.id = absl::StrCat("masters-on-", to, "-dbms");
  follow.description = absl::StrCat("a master is primary again, on ", to, "'s DBMS");
  std::vector<std::string> masters = old->masters;
  masters.insert(masters.end(), target->masters.begin(), target->masters.end());
  follow.done = [masters, host = HostOf(target->dbms)]() -> absl::StatusOr<bool> {
    for (const std::string& m : masters) {
      config::ClientOptions o;
      o.server = m;
      o.application_name = "tandemctl-dr";
      o.timeout = absl::Seconds(2);
      absl::StatusOr<config::v1::ServerInfo> info = net::NewGrpcConfigClient(o)->GetServerInfo();
      if (info.ok() && info->role() == config::v1::ROLE_PRIMARY &&
          (host.empty() || absl::StrContains(info->storage(), host))) {
        return true;
      }
    }
    return false;
  };
  follow.run = [] { return absl::OkStatus(); };  // nothing to do but wait
  steps.push_back(std::move(follow));
  return steps;
}

}  // namespace tandem::dr
