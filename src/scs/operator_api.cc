#include "scs/operator_api.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "config/refs.h"
#include "lca/process_state.h"
#include "spdlog/spdlog.h"

namespace tandem::scs {

namespace cv1 = ::tandem::control::v1;
namespace v1 = ::tandem::config::v1;

namespace {

const char* ActionName(cv1::ControlAction a) {
  switch (a) {
    case cv1::CONTROL_ACTION_START:
      return "start";
    case cv1::CONTROL_ACTION_STOP:
      return "stop";
    case cv1::CONTROL_ACTION_RESTART:
      return "restart";
    case cv1::CONTROL_ACTION_SWITCHOVER:
      return "switchover";
    default:
      return "?";
  }
}

cv1::ApplicationState StateOf(const AppView& v, const std::string& scs) {
  cv1::ApplicationState s;
  s.set_name(v.name);
  s.set_host(v.host);
  s.set_scs(scs);
  s.set_status(AppStatusName(v.status));
  if (v.since != absl::InfinitePast()) *s.mutable_since() = lca::ToProtoTime(v.since);
  s.set_pid(v.pid);
  s.set_restarts(v.restarts);
  s.set_last_exit(v.last_exit);
  s.set_reason(v.reason);
  s.set_mode(v.mode);
  s.set_mode_epoch(v.mode_epoch);
  s.set_gave_up(v.gave_up);
  s.set_wanted(v.wanted);
  return s;
}

cv1::HostState HostStateOf(const HostView& h, const std::string& scs) {
  cv1::HostState s;
  s.set_name(h.name);
  s.set_lca_up(h.up);
  if (h.since != absl::InfinitePast()) *s.mutable_since() = lca::ToProtoTime(h.since);
  s.set_applications(h.applications);
  s.set_running(h.running);
  s.set_scs(scs);
  for (const std::string& w : h.warnings) s.add_warnings(w);
  for (const std::string& c : h.certificate) s.add_certificate(c);
  return s;
}

void AddObject(cv1::CheckAccessRequest& r, v1::ObjectType type, int64_t dbid) {
  cv1::CheckedObject* o = r.add_objects();
  o->set_type(type);
  o->set_dbid(dbid);
}

}  // namespace

cv1::ScsStatusResponse FullPicture(ScsServer& server) {
  ScsServer::Picture pic = server.Snapshot();
  cv1::ScsStatusResponse out;
  *out.mutable_info() = pic.info;
  for (const AppView& v : pic.apps) *out.add_applications() = StateOf(v, pic.info.application());
  for (const HostView& h : pic.hosts) *out.add_hosts() = HostStateOf(h, pic.info.application());
  for (const std::string& a : pic.alarms) out.add_alarms(a);
  return out;
}

cv1::CheckAccessRequest OperatorApi::CheckRequest(const net::OperatorCall& call, const char* right,
                                                  std::string action) const {
  cv1::CheckAccessRequest r;
  r.set_token(call.token);
  r.set_certificate(call.certificate);
  r.set_peer(call.peer);
  r.set_claimed(call.claimed);
  r.set_right(right);
  r.set_action(std::move(action));
  return r;
}

void OperatorApi::Audit(const net::OperatorCall& call, const std::string& who,
                        const std::string& action, const std::string& target,
                        const std::string& outcome, const std::string& detail) {
  absl::Status st = audit_.Append({clock_.Now(), who, call.peer, action, target, outcome, detail});
  if (!st.ok()) spdlog::error("scs: {}", std::string(st.message()));
}

absl::StatusOr<cv1::ScsStatusResponse> OperatorApi::Status(const net::OperatorCall& call,
                                                           const cv1::ScsStatusRequest& request) {
  if (request.applications_size() > 10000) {
    return absl::InvalidArgumentError("at most 10000 applications per status request");
  }
  ScsServer::Picture pic = server_.Snapshot();
  std::vector<const AppView*> apps;
  if (request.applications().empty()) {
    for (const AppView& v : pic.apps) apps.push_back(&v);
  } else {
    for (const std::string& name : request.applications()) {
      const AppView* found = nullptr;
      for (const AppView& v : pic.apps) found = v.name == name ? &v : found;
      if (found == nullptr) {
        return absl::NotFoundError(absl::StrCat("no Application ", name, " on a host that ",
                                                pic.info.application(), " owns"));
      }
      apps.push_back(found);
    }
  }
  // One check for everything shown: the applications, then the hosts.
  cv1::CheckAccessRequest check = CheckRequest(call, "read", "status");
  for (const AppView* v : apps) AddObject(check, v1::OBJECT_TYPE_APPLICATION, v->dbid);
  for (const HostView& h : pic.hosts) {
    std::optional<v1::ConfigObject> o = config_.Find(v1::OBJECT_TYPE_HOST, h.name);
    AddObject(check, v1::OBJECT_TYPE_HOST, o.has_value() ? o->dbid() : 0);
  }
  absl::StatusOr<cv1::CheckAccessResponse> verdict = check_(check);
  if (!verdict.ok()) return verdict.status();
  if (verdict->allowed_size() != check.objects_size()) {
    return absl::InternalError("the master's access check answered for other objects");
  }
  cv1::ScsStatusResponse out;
  *out.mutable_info() = pic.info;
  if (request.environment() && bus_ != nullptr) {
    // The others' pictures as heard on the bus, with the master deciding
    // what the caller may see of them as of everything else.
    std::vector<cv1::ApplicationState> remote_apps;
    std::vector<cv1::HostState> remote_hosts;
    cv1::CheckAccessRequest rc = CheckRequest(call, "read", "status");
    for (const auto& [scs, r] : bus_->Remotes()) {
      for (cv1::ApplicationState a : r.state.applications()) {
        if (r.stale) {
          a.set_reason(absl::StrCat(
              "as ", scs, " published it ",
              absl::FormatDuration(absl::Trunc(clock_.Now() - r.received, absl::Seconds(1))),
              " ago (no newer word on the Message Server)"));
        }
        std::optional<v1::ConfigObject> o = config_.Find(v1::OBJECT_TYPE_APPLICATION, a.name());
        AddObject(rc, v1::OBJECT_TYPE_APPLICATION, o.has_value() ? o->dbid() : 0);
        remote_apps.push_back(std::move(a));
      }
      for (const cv1::HostState& h : r.state.hosts()) {
        std::optional<v1::ConfigObject> o = config_.Find(v1::OBJECT_TYPE_HOST, h.name());
        AddObject(rc, v1::OBJECT_TYPE_HOST, o.has_value() ? o->dbid() : 0);
        remote_hosts.push_back(h);
      }
    }
    if (rc.objects_size() > 0) {
      absl::StatusOr<cv1::CheckAccessResponse> rv = check_(rc);
      if (!rv.ok()) return rv.status();
      if (rv->allowed_size() != rc.objects_size()) {
        return absl::InternalError("the master's access check answered for other objects");
      }
      int k = 0;
      for (cv1::ApplicationState& a : remote_apps) {
        if (rv->allowed(k++)) *out.add_applications() = std::move(a);
      }
      for (cv1::HostState& h : remote_hosts) {
        if (rv->allowed(k++)) *out.add_hosts() = std::move(h);
      }
    }
  }
  for (size_t i = 0; i < apps.size(); ++i) {
    if (verdict->allowed(static_cast<int>(i))) {
      *out.add_applications() = StateOf(*apps[i], pic.info.application());
    } else if (!request.applications().empty()) {
      return absl::PermissionDeniedError(
          absl::StrCat(verdict->who(), " may not read Application ", apps[i]->name));
    }
  }
  for (size_t i = 0; i < pic.hosts.size(); ++i) {
    if (!verdict->allowed(static_cast<int>(apps.size() + i))) continue;
    *out.add_hosts() = HostStateOf(pic.hosts[i], pic.info.application());
  }
  for (const std::string& a : pic.alarms) out.add_alarms(a);
  return out;
}

absl::StatusOr<cv1::ControlResponse> OperatorApi::Control(const net::OperatorCall& call,
                                                          const cv1::ControlRequest& request) {
  const cv1::ControlAction action = request.action();
  if (action == cv1::CONTROL_ACTION_UNSPECIFIED || !cv1::ControlAction_IsValid(action)) {
    return absl::InvalidArgumentError("action: give start, stop, restart or switchover");
  }
  if (request.application().empty() == request.solution().empty()) {
    return absl::InvalidArgumentError("give either an application or a solution");
  }
  const ScsServer::Picture pic = server_.Snapshot();
  std::set<std::string> managed;
  for (const AppView& v : pic.apps) managed.insert(v.name);
  std::vector<std::string> apps;
  std::string target;
  v1::ObjectType type;
  int64_t dbid = 0;
  if (!request.application().empty()) {
    target = absl::StrCat("application ", request.application());
    const std::string owner = OwnerOf(request.application());
    if (!managed.contains(request.application()) && bus_ != nullptr && !owner.empty() &&
        owner != pic.info.application() && owner != pic.info.partner()) {
      // Another SCS pair owns its host: it decides (with the master) and audits.
      spdlog::info("scs: {} {} forwarded to {}, which owns its host", ActionName(action),
                   request.application(), owner);
      return bus_->Forward(owner, call, request);
    }
    if (!managed.contains(request.application())) {
      return absl::NotFoundError(absl::StrCat("no Application ", request.application(),
                                              " on a host that ", pic.info.application(),
                                              " owns (Host.scs)"));
    }
    for (const AppView& v : pic.apps) dbid = v.name == request.application() ? v.dbid : dbid;
    type = v1::OBJECT_TYPE_APPLICATION;
    apps.push_back(request.application());
  } else {
    target = absl::StrCat("solution ", request.solution());
    if (action != cv1::CONTROL_ACTION_START && action != cv1::CONTROL_ACTION_STOP) {
      return absl::InvalidArgumentError(
          "a solution is started or stopped; restart or switch over its applications one by one");
    }
    std::optional<v1::ConfigObject> sol =
        config_.Find(v1::OBJECT_TYPE_SOLUTION, request.solution());
    if (!sol.has_value()) {
      return absl::NotFoundError(absl::StrCat("no Solution ", request.solution()));
    }
    type = v1::OBJECT_TYPE_SOLUTION;
    dbid = sol->dbid();
    auto list = sol->properties().find("applications");
    if (list != sol->properties().end()) {
      for (const v1::Value& ref : list->second.list_value().values()) {
        std::optional<v1::ConfigObject> a =
            config_.Get(v1::OBJECT_TYPE_APPLICATION, ref.ref_value().dbid());
        if (a.has_value() && managed.contains(a->name())) apps.push_back(a->name());
      }
    }
    if (apps.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("none of Solution ", request.solution(),
                                                        "'s applications is on a host that ",
                                                        pic.info.application(), " owns"));
    }
  }
  // Refused here already, before the master is asked and anything audited.
  if (pic.info.role() != cv1::SCS_ROLE_PRIMARY) return server_.RefuseAsBackup();
  const std::string verb = ActionName(action);
  cv1::CheckAccessRequest check = CheckRequest(call, "execute", absl::StrCat(verb, " ", target));
  AddObject(check, type, dbid);
  absl::StatusOr<cv1::CheckAccessResponse> verdict = check_(check);
  if (!verdict.ok()) {
    Audit(call,
          call.token.empty() && call.certificate.empty() ? "unauthenticated"
                                                         : "unauthenticated (credentials refused)",
          verb, target, "refused", std::string(verdict.status().message()));
    return verdict.status();
  }
  if (verdict->allowed_size() != 1 || !verdict->allowed(0)) {
    const bool solution = type == v1::OBJECT_TYPE_SOLUTION;
    const std::string& name = solution ? request.solution() : request.application();
    const std::string why =
        absl::StrCat(verdict->who(), " may not execute ", solution ? "Solution " : "Application ",
                     name, ": an administrator can grant it (tandemctl grant ",
                     solution ? "solution " : "app ", name, " --person NAME --rights execute)");
    Audit(call, verdict->who(), verb, target, "refused", why);
    return absl::PermissionDeniedError(why);
  }
  // Audited before it is carried out; what cannot be audited is not done.
  absl::Status audited = audit_.Append({clock_.Now(), verdict->who(), call.peer, verb, target,
                                        "allowed", absl::StrJoin(apps, ", ")});
  if (!audited.ok()) return audited;
  absl::Status done = server_.Act(action, apps);
  if (!done.ok()) {
    Audit(call, verdict->who(), verb, target, "failed", std::string(done.message()));
    return done;
  }
  cv1::ControlResponse out;
  out.set_who(verdict->who());
  for (const std::string& a : apps) out.add_applications(a);
  out.set_message(
      absl::StrCat(verb, " of ", target, " accepted by ", pic.info.application(),
                   apps.size() > 1 ? absl::StrCat(" (", apps.size(), " applications)") : ""));
  return out;
}

std::string OperatorApi::OwnerOf(const std::string& application) const {
  std::optional<v1::ConfigObject> app = config_.Find(v1::OBJECT_TYPE_APPLICATION, application);
  if (!app.has_value()) return "";
  std::optional<v1::ConfigObject> host =
      config_.Get(v1::OBJECT_TYPE_HOST, config::RefDbid(*app, "host"));
  if (!host.has_value()) return "";
  std::optional<v1::ConfigObject> scs =
      config_.Get(v1::OBJECT_TYPE_APPLICATION, config::RefDbid(*host, "scs"));
  return scs.has_value() ? scs->name() : "";
}

}  // namespace tandem::scs
