#include "dr/status_json.h"

#include "config/object_types.h"

namespace tandem::dr {

using nlohmann::json;
namespace v1 = config::v1;

json ServerJson(const ServerView& s) {
  json j = {{"address", s.address}, {"reachable", s.reachable}};
  if (!s.reachable) {
    j["error"] = s.error;
    return j;
  }
  j["role"] = config::RoleName(s.info.role());
  j["revision"] = s.info.revision();
  if (!s.info.node().empty()) {
    j["node"] = s.info.node();
    j["epoch"] = s.info.epoch();
  }
  if (s.info.role() == v1::ROLE_PROXY) {
    j["mode"] = config::ProxyModeName(s.info.proxy_mode());
    j["master"] = s.info.master_address();
    if (!s.info.proxy_detail().empty()) j["detail"] = s.info.proxy_detail();
  }
  return j;
}

namespace {

json RegionJson(const RegionView& r) {
  json j = {{"name", r.name}, {"dbms_reachable", r.dbms_reachable}};
  if (r.dbms_reachable) {
    j["dbms_role"] = r.dbms.in_recovery ? "standby" : "primary";
    j["dbms_endpoint"] = r.dbms.endpoint;
    j["revision"] = r.dbms.config.revision;
    j["timeline"] = r.dbms.timeline;
    j["fenced"] = r.dbms.hba_rejected;
    if (r.missing_revisions) j["missing_revisions"] = *r.missing_revisions;
    if (r.unreplicated_revisions) j["unreplicated_revisions"] = *r.unreplicated_revisions;
    if (r.dbms.last_replay_age_s) j["last_replay_age_s"] = *r.dbms.last_replay_age_s;
    json standbys = json::array();
    for (const auto& s : r.dbms.standbys) {
      json sj = {
          {"name", s.application_name}, {"sync_state", s.sync_state}, {"lag_bytes", s.lag_bytes}};
      if (s.replay_lag_s) sj["replay_lag_s"] = *s.replay_lag_s;
      standbys.push_back(std::move(sj));
    }
    j["standbys"] = std::move(standbys);
  } else {
    j["dbms_error"] = r.dbms_error;
  }
  if (!r.runbook_fence.empty()) j["runbook_fence"] = r.runbook_fence;
  j["masters"] = json::array();
  for (const auto& m : r.masters) j["masters"].push_back(ServerJson(m));
  j["proxies"] = json::array();
  for (const auto& p : r.proxies) j["proxies"].push_back(ServerJson(p));
  j["scs"] = json::array();
  for (const auto& c : r.scs) {
    j["scs"].push_back({{"address", c.address},
                        {"reachable", c.reachable},
                        {"error", c.error},
                        {"application", c.name},
                        {"role", c.reachable ? (c.primary ? "primary" : "backup") : "down"},
                        {"epoch", c.epoch},
                        {"hosts", c.hosts},
                        {"applications", c.applications},
                        {"started", c.started}});
  }
  j["message_servers"] = json::array();
  for (const auto& m : r.message_servers) {
    json mj = {{"address", m.address},
               {"reachable", m.reachable},
               {"error", m.error},
               {"application", m.name},
               {"role", m.reachable ? (m.acting ? "acting" : "backup") : "down"},
               {"epoch", m.epoch}};
    if (m.log) {
      mj["log_database"] = m.store;
      mj["log_events"] = m.events;
      mj["last_store_error"] = m.last_store_error;
    }
    j["message_servers"].push_back(std::move(mj));
  }
  return j;
}

}  // namespace

json SiteViewJson(const SiteView& view) {
  json out = {{"live_region", view.live_region},
              {"warnings", view.warnings},
              {"regions", json::array()},
              {"dns", json::array()}};
  for (const RegionView& r : view.regions) out["regions"].push_back(RegionJson(r));
  for (const DnsView& d : view.dns) {
    out["dns"].push_back({{"name", d.name},
                          {"addresses", d.addresses},
                          {"ttl", d.ttl},
                          {"region", d.region},
                          {"error", d.error}});
  }
  return out;
}

}  // namespace tandem::dr
