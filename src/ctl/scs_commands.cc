// tandemctl app start|stop|restart|switchover|status, host status, solution
// start|stop|status: the management layer as an operator drives it. The
// configuration server says which SCS owns what (Application.host ->
// Host.scs -> the SCS's host address and `default` port, and its backup);
// the SCS answers statuses and carries out actions after the master has
// checked the caller's Read or Execute right and the SCS has audited it.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "config/refs.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/help.h"
#include "ctl/lookup.h"
#include "ctl/scs_client.h"
#include "ctl/table_printer.h"
#include "nlohmann/json.hpp"

namespace tandem::ctl {
namespace {

using config::RefDbid;

//! One SCS of the site, and its partner when it is one of a pair.
struct ScsEndpoint {
  std::string name;
  std::string address;
  std::string partner;
  std::string partner_address;
};

absl::StatusOr<v1::ConfigObject> GetByDbid(CommandContext& ctx, v1::ObjectType type, int64_t dbid) {
  ObjectKey key;
  key.dbid = dbid;
  return FetchObject(ctx, type, key, 0, "find");
}

//! HOST:PORT of an SCS Application: its host's address and `default` port.
absl::StatusOr<std::string> ScsAddress(CommandContext& ctx, const v1::ConfigObject& scs) {
  const int64_t host = RefDbid(scs, "host");
  const int64_t port = config::AppPort(scs);
  if (host == 0 || port == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SCS '", scs.name(), "' has no host or no `default` port, so tandemctl cannot reach it: ",
        "give its Application a host and ports [{id: default, port: N}] (its [scs] listen)"));
  }
  absl::StatusOr<v1::ConfigObject> h = GetByDbid(ctx, v1::OBJECT_TYPE_HOST, host);
  if (!h.ok()) return h.status();
  auto addr = h->properties().find("address");
  return HostPort{addr == h->properties().end() ? "" : addr->second.string_value(),
                  static_cast<int>(port)}
      .ToString();
}

absl::StatusOr<ScsEndpoint> EndpointOf(CommandContext& ctx, int64_t scs_dbid) {
  absl::StatusOr<v1::ConfigObject> scs = GetByDbid(ctx, v1::OBJECT_TYPE_APPLICATION, scs_dbid);
  if (!scs.ok()) return scs.status();
  ScsEndpoint e;
  e.name = scs->name();
  absl::StatusOr<std::string> a = ScsAddress(ctx, *scs);
  if (!a.ok()) return a.status();
  e.address = *a;
  if (const int64_t b = RefDbid(*scs, "backup"); b != 0) {
    absl::StatusOr<v1::ConfigObject> backup = GetByDbid(ctx, v1::OBJECT_TYPE_APPLICATION, b);
    if (backup.ok()) {
      e.partner = backup->name();
      absl::StatusOr<std::string> pa = ScsAddress(ctx, *backup);
      if (pa.ok()) e.partner_address = *pa;
    }
  }
  return e;
}

//! The SCS that owns the host of Application `name` (NAME|DBID); the
//! Application's name in `*app_name`.
absl::StatusOr<ScsEndpoint> EndpointForApp(CommandContext& ctx, const std::string& name,
                                           std::string* app_name) {
  absl::StatusOr<ObjectKey> key = ParseKey(name);
  if (!key.ok()) return key.status();
  absl::StatusOr<v1::ConfigObject> app =
      FetchObject(ctx, v1::OBJECT_TYPE_APPLICATION, *key, 0, "control");
  if (!app.ok()) return app.status();
  *app_name = app->name();
  const int64_t host = RefDbid(*app, "host");
  if (host == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("Application '", app->name(),
                     "' has no host, so no SCS manages it: give it a host whose scs is set"));
  }
  absl::StatusOr<v1::ConfigObject> h = GetByDbid(ctx, v1::OBJECT_TYPE_HOST, host);
  if (!h.ok()) return h.status();
  const int64_t scs = RefDbid(*h, "scs");
  if (scs == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("Host '", h->name(), "' of Application '", app->name(),
                     "' has no scs, so no SCS manages it: set the Host's scs"));
  }
  return EndpointOf(ctx, scs);
}

//! A Solution (NAME|DBID) and the names of its applications.
absl::StatusOr<std::pair<v1::ConfigObject, std::vector<std::string>>> SolutionApps(
    CommandContext& ctx, const std::string& name, absl::string_view verb) {
  absl::StatusOr<ObjectKey> key = ParseKey(name);
  if (!key.ok()) return key.status();
  absl::StatusOr<v1::ConfigObject> sol = FetchObject(ctx, v1::OBJECT_TYPE_SOLUTION, *key, 0, verb);
  if (!sol.ok()) return sol.status();
  std::vector<std::string> apps;
  if (auto list = sol->properties().find("applications"); list != sol->properties().end()) {
    for (const v1::Value& ref : list->second.list_value().values()) {
      absl::StatusOr<v1::ConfigObject> app =
          GetByDbid(ctx, v1::OBJECT_TYPE_APPLICATION, ref.ref_value().dbid());
      if (!app.ok()) return app.status();
      apps.push_back(app->name());
    }
  }
  if (apps.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Solution '", sol->name(), "' has no applications"));
  }
  return std::make_pair(*std::move(sol), std::move(apps));
}

//! Every SCS (pair) that owns a host, once each.
absl::StatusOr<std::vector<ScsEndpoint>> AllEndpoints(CommandContext& ctx) {
  absl::StatusOr<config::ConfigClient*> client = ctx.Client();
  if (!client.ok()) return client.status();
  std::set<int64_t> owners;
  v1::ListRequest list;
  list.set_type(v1::OBJECT_TYPE_HOST);
  absl::Status st = (*client)->List(list, [&](const v1::ListResponse& chunk) {
    for (const v1::ConfigObject& h : chunk.objects()) {
      if (const int64_t s = RefDbid(h, "scs"); s != 0) owners.insert(s);
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return ctx.Describe(st, "list hosts");
  std::vector<ScsEndpoint> out;
  std::set<std::string> seen;
  for (int64_t dbid : owners) {
    absl::StatusOr<ScsEndpoint> e = EndpointOf(ctx, dbid);
    if (!e.ok()) return e.status();
    if (seen.contains(e->name)) continue;
    seen.insert(e->name);
    if (!e->partner.empty()) seen.insert(e->partner);
    out.push_back(*e);
  }
  if (out.empty()) {
    return absl::NotFoundError("no Host has an scs: no Solution Control Server manages anything");
  }
  return out;
}

class Session {
 public:
  Session(CommandContext& ctx, const ScsClientFactory& factory) : ctx_(ctx), factory_(factory) {}

  //! Calls `fn` at the acting SCS of `e`: the one named first, else its
  //! partner when the first does not answer or is the pair's backup.
  template <typename T>
  absl::StatusOr<T> AtPrimary(const ScsEndpoint& e,
                              const std::function<absl::StatusOr<T>(ScsClient&)>& fn) {
    absl::StatusOr<T> first = fn(Client(e.address));
    if (first.ok() || e.partner_address.empty() ||
        (first.status().code() != absl::StatusCode::kUnavailable &&
         first.status().code() != absl::StatusCode::kFailedPrecondition &&
         first.status().code() != absl::StatusCode::kDeadlineExceeded)) {
      return Explain(first, e.name, e.address);
    }
    absl::StatusOr<T> second = fn(Client(e.partner_address));
    if (second.ok()) return second;
    if (first.status().code() == absl::StatusCode::kFailedPrecondition) {
      return Explain(first, e.name, e.address);
    }
    return Explain(second, e.partner, e.partner_address);
  }

  //! The status from the acting SCS of `e` (a backup's answer only when
  //! its partner does not answer).
  absl::StatusOr<cv1::ScsStatusResponse> Status(const ScsEndpoint& e,
                                                const cv1::ScsStatusRequest& r) {
    absl::StatusOr<cv1::ScsStatusResponse> first = Client(e.address).Status(r);
    if (first.ok() && first->info().role() == cv1::SCS_ROLE_PRIMARY) return first;
    if (e.partner_address.empty()) return Explain(first, e.name, e.address);
    absl::StatusOr<cv1::ScsStatusResponse> second = Client(e.partner_address).Status(r);
    if (second.ok() && (second->info().role() == cv1::SCS_ROLE_PRIMARY || !first.ok())) {
      return second;
    }
    if (first.ok()) return first;
    return Explain(first, e.name, e.address);
  }

 private:
  template <typename T>
  absl::StatusOr<T> Explain(absl::StatusOr<T> r, const std::string& name,
                            const std::string& address) {
    if (r.ok()) return r;
    if (r.status().code() == absl::StatusCode::kUnavailable ||
        r.status().code() == absl::StatusCode::kDeadlineExceeded) {
      return absl::Status(r.status().code(),
                          absl::StrCat("SCS '", name, "' at ", address, " does not answer (",
                                       ShortReason(r.status()), "); is it running?"));
    }
    return r.status();
  }

  ScsClient& Client(const std::string& address) {
    auto it = clients_.find(address);
    if (it != clients_.end()) return *it->second;
    ScsClientOptions o;
    o.address = address;
    absl::StatusOr<TlsFiles> tls = ClientTls(ctx_.options());
    if (tls.ok()) o.tls = *tls;
    o.token = SessionToken();
    o.claimed = absl::StrCat(ctx_.options().app, " (", ctx_.options().os_user, "@",
                             ctx_.options().os_host, ")");
    o.timeout = absl::Seconds(ctx_.options().timeout_s);
    return *(clients_[address] = factory_(o));
  }

  CommandContext& ctx_;
  const ScsClientFactory& factory_;
  std::map<std::string, std::unique_ptr<ScsClient>> clients_;
};

std::string Since(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  const absl::Time at = absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", at, absl::LocalTimeZone());
}

std::string Mode(const cv1::ApplicationState& s) {
  switch (s.mode()) {
    case cv1::HA_MODE_PRIMARY:
      return absl::StrCat("primary (", s.mode_epoch(), ")");
    case cv1::HA_MODE_BACKUP:
      return absl::StrCat("backup (", s.mode_epoch(), ")");
    default:
      return "";
  }
}

nlohmann::json AppJson(const cv1::ApplicationState& s) {
  return {{"application", s.name()},
          {"host", s.host()},
          {"scs", s.scs()},
          {"mode", s.mode() == cv1::HA_MODE_PRIMARY  ? "primary"
                   : s.mode() == cv1::HA_MODE_BACKUP ? "backup"
                                                     : ""},
          {"mode_epoch", s.mode_epoch()},
          {"status", s.status()},
          {"since", Since(s.since())},
          {"pid", s.pid()},
          {"restarts", s.restarts()},
          {"last_exit", s.last_exit()},
          {"reason", s.reason()},
          {"gave_up", s.gave_up()}};
}

void PrintApps(CommandContext& ctx, const std::vector<cv1::ApplicationState>& apps) {
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& s : apps) j.push_back(AppJson(s));
    ctx.out() << j.dump(2) << "\n";
    return;
  }
  TablePrinter t(
      {"APPLICATION", "HOST", "SCS", "MODE", "STATUS", "SINCE", "PID", "RESTARTS", "LAST EXIT"});
  std::vector<std::string> reasons;
  for (const auto& s : apps) {
    t.AddRow({s.name(), s.host(), s.scs(), Mode(s), s.status(), Since(s.since()),
              s.pid() > 0 ? std::to_string(s.pid()) : "", std::to_string(s.restarts()),
              s.last_exit()});
    if (!s.reason().empty()) reasons.push_back(absl::StrCat("  ", s.name(), ": ", s.reason()));
  }
  t.Print(ctx.out());
  if (!reasons.empty()) ctx.out() << "\n" << absl::StrJoin(reasons, "\n") << "\n";
}

cv1::ControlAction ActionOf(const std::string& verb) {
  if (verb == "start") return cv1::CONTROL_ACTION_START;
  if (verb == "stop") return cv1::CONTROL_ACTION_STOP;
  if (verb == "restart") return cv1::CONTROL_ACTION_RESTART;
  return cv1::CONTROL_ACTION_SWITCHOVER;
}

struct ControlArgs {
  std::string verb;
  std::string name;
  //! Send the command to this SCS (it forwards it to the owner over the
  //! Message Server) instead of the owner.
  std::string via;
  bool wait = false;
  double wait_timeout_s = 120;
};

struct Target {
  ScsEndpoint scs;
  std::vector<std::string> apps;
};

//! Waits until every application reached what `verb` asks, printing each
//! change of status; the final statuses.
absl::StatusOr<std::vector<cv1::ApplicationState>> WaitFor(
    CommandContext& ctx, Session& session, const std::vector<Target>& targets,
    const std::string& verb, const std::map<std::string, cv1::ApplicationState>& before,
    absl::Duration timeout) {
  std::ostream& progress = ctx.options().output == OutputFormat::kJson ? ctx.err() : ctx.out();
  const absl::Time start = absl::Now();
  std::map<std::string, std::string> shown;
  for (const auto& [name, s] : before) shown[name] = s.status();
  while (true) {
    std::vector<cv1::ApplicationState> now;
    std::vector<std::string> waiting;
    for (const Target& t : targets) {
      cv1::ScsStatusRequest r;
      for (const std::string& a : t.apps) r.add_applications(a);
      absl::StatusOr<cv1::ScsStatusResponse> st = session.Status(t.scs, r);
      if (!st.ok()) {
        // The SCS may be failing over; keep asking until the deadline.
        waiting.push_back(absl::StrCat(t.scs.name, ": ", st.status().message()));
        continue;
      }
      for (const cv1::ApplicationState& s : st->applications()) {
        now.push_back(s);
        const double secs = absl::ToDoubleSeconds(absl::Now() - start);
        if (shown[s.name()] != s.status()) {
          progress << absl::StrFormat("%s: %s -> %s (%.1f s)%s\n", s.name(),
                                      shown[s.name()].empty() ? "?" : shown[s.name()], s.status(),
                                      secs, s.reason().empty() ? "" : "  " + s.reason());
          progress.flush();
          shown[s.name()] = s.status();
        }
        const auto b = before.find(s.name());
        bool done = false;
        if (verb == "start") {
          done = s.status() == "Started";
        } else if (verb == "stop") {
          done = s.status() == "Stopped";
        } else if (verb == "restart") {
          done = s.status() == "Started" && (b == before.end() || s.pid() != b->second.pid() ||
                                             s.restarts() > b->second.restarts());
        } else {  // switchover: the pair's epoch moved on (or it does not run to take a mode)
          done = b == before.end() || s.mode_epoch() > b->second.mode_epoch() ||
                 (s.status() != "Started" && s.status() != "Initializing");
        }
        if (s.gave_up() && verb != "stop") {
          return absl::FailedPreconditionError(
              absl::StrCat(s.name(), " cannot be started: ", s.reason()));
        }
        if (!done) waiting.push_back(absl::StrCat(s.name(), " is ", s.status()));
      }
    }
    if (waiting.empty()) return now;
    if (absl::Now() - start > timeout) {
      return absl::DeadlineExceededError(
          absl::StrCat("waited ", absl::FormatDuration(timeout), " for ", verb, ": ",
                       absl::StrJoin(waiting, "; "), " (--wait-timeout to wait longer)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

//! The current statuses of the targets' applications, by name.
std::map<std::string, cv1::ApplicationState> Before(Session& session,
                                                    const std::vector<Target>& targets) {
  std::map<std::string, cv1::ApplicationState> out;
  for (const Target& t : targets) {
    cv1::ScsStatusRequest r;
    for (const std::string& a : t.apps) r.add_applications(a);
    absl::StatusOr<cv1::ScsStatusResponse> st = session.Status(t.scs, r);
    if (!st.ok()) continue;
    for (const auto& s : st->applications()) out[s.name()] = s;
  }
  return out;
}

absl::Status RunControl(CommandContext& ctx, const ScsClientFactory& factory,
                        const ControlArgs& args, bool solution) {
  if (!factory) return absl::UnimplementedError("this tandemctl cannot reach an SCS");
  Session session(ctx, factory);
  std::vector<Target> targets;
  std::vector<std::string> messages;
  std::string who;
  const auto control = [&](const ScsEndpoint& scs,
                           const cv1::ControlRequest& req) -> absl::StatusOr<cv1::ControlResponse> {
    return session.AtPrimary<cv1::ControlResponse>(scs,
                                                   [&](ScsClient& c) { return c.Control(req); });
  };
  cv1::ControlRequest req;
  req.set_action(ActionOf(args.verb));
  std::map<std::string, cv1::ApplicationState> before;
  if (!solution) {
    std::string app_name;
    absl::StatusOr<ScsEndpoint> scs = EndpointForApp(ctx, args.name, &app_name);
    if (!scs.ok()) return scs.status();
    req.set_application(app_name);
    targets.push_back({*scs, {app_name}});
    before = Before(session, targets);
    ScsEndpoint to = *scs;
    if (!args.via.empty()) {
      absl::StatusOr<ObjectKey> key = ParseKey(args.via);
      if (!key.ok()) return key.status();
      absl::StatusOr<v1::ConfigObject> via =
          FetchObject(ctx, v1::OBJECT_TYPE_APPLICATION, *key, 0, "send the command through");
      if (!via.ok()) return via.status();
      absl::StatusOr<ScsEndpoint> e = EndpointOf(ctx, via->dbid());
      if (!e.ok()) return e.status();
      to = *e;
    }
    absl::StatusOr<cv1::ControlResponse> r = control(to, req);
    if (!r.ok()) return r.status();
    messages.push_back(r->message());
    who = r->who();
  } else {
    // Every SCS that manages one of the solution's applications acts on its own.
    auto sol = SolutionApps(ctx, args.name, args.verb);
    if (!sol.ok()) return sol.status();
    std::map<std::string, Target> by_scs;
    for (const std::string& app : sol->second) {
      std::string app_name;
      absl::StatusOr<ScsEndpoint> scs = EndpointForApp(ctx, "name:" + app, &app_name);
      if (!scs.ok()) return scs.status();
      Target& t = by_scs[scs->name];
      t.scs = *scs;
      t.apps.push_back(app_name);
    }
    req.set_solution(sol->first.name());
    for (auto& [name, t] : by_scs) targets.push_back(t);
    before = Before(session, targets);
    for (const Target& t : targets) {
      absl::StatusOr<cv1::ControlResponse> r = control(t.scs, req);
      if (!r.ok()) return r.status();
      messages.push_back(r->message());
      who = r->who();
    }
  }
  std::vector<cv1::ApplicationState> final_states;
  if (args.wait) {
    if (ctx.options().output == OutputFormat::kTable) {
      for (const std::string& m : messages) ctx.out() << m << "\n";
    }
    absl::StatusOr<std::vector<cv1::ApplicationState>> done =
        WaitFor(ctx, session, targets, args.verb, before, absl::Seconds(args.wait_timeout_s));
    if (!done.ok()) return done.status();
    final_states = std::move(*done);
  }
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json apps = nlohmann::json::array();
    for (const auto& s : final_states) apps.push_back(AppJson(s));
    nlohmann::json out = {{"action", args.verb}, {solution ? "solution" : "application", args.name},
                          {"who", who},          {"accepted", messages},
                          {"waited", args.wait}, {"applications", apps}};
    ctx.out() << out.dump(2) << "\n";
    return absl::OkStatus();
  }
  if (args.wait) {
    ctx.out() << "\n";
    PrintApps(ctx, final_states);
  } else {
    for (const std::string& m : messages) ctx.out() << m << "\n";
    ctx.out() << "(tandemctl " << (solution ? "solution" : "app") << " status " << args.name
              << " shows its progress; --wait waits for it)\n";
  }
  return absl::OkStatus();
}

absl::Status RunAppStatus(CommandContext& ctx, const ScsClientFactory& factory,
                          const std::vector<std::string>& names) {
  if (!factory) return absl::UnimplementedError("this tandemctl cannot reach an SCS");
  Session session(ctx, factory);
  std::vector<cv1::ApplicationState> apps;
  if (names.empty()) {
    absl::StatusOr<std::vector<ScsEndpoint>> all = AllEndpoints(ctx);
    if (!all.ok()) return all.status();
    std::vector<std::string> unreachable;
    for (const ScsEndpoint& e : *all) {
      absl::StatusOr<cv1::ScsStatusResponse> st = session.Status(e, {});
      if (!st.ok()) {
        unreachable.push_back(std::string(st.status().message()));
        continue;
      }
      apps.insert(apps.end(), st->applications().begin(), st->applications().end());
    }
    PrintApps(ctx, apps);
    if (!unreachable.empty()) {
      return absl::UnavailableError(absl::StrJoin(unreachable, "; "));
    }
    return absl::OkStatus();
  }
  for (const std::string& name : names) {
    std::string app_name;
    absl::StatusOr<ScsEndpoint> e = EndpointForApp(ctx, name, &app_name);
    if (!e.ok()) return e.status();
    cv1::ScsStatusRequest r;
    r.add_applications(app_name);
    absl::StatusOr<cv1::ScsStatusResponse> st = session.Status(*e, r);
    if (!st.ok()) return st.status();
    apps.insert(apps.end(), st->applications().begin(), st->applications().end());
  }
  PrintApps(ctx, apps);
  return absl::OkStatus();
}

absl::Status RunSolutionStatus(CommandContext& ctx, const ScsClientFactory& factory,
                               const std::string& name) {
  auto sol = SolutionApps(ctx, name, "show");
  if (!sol.ok()) return sol.status();
  std::vector<std::string> names;
  for (const std::string& app : sol->second) names.push_back("name:" + app);
  return RunAppStatus(ctx, factory, names);
}

absl::Status RunHostStatus(CommandContext& ctx, const ScsClientFactory& factory,
                           const std::string& name) {
  if (!factory) return absl::UnimplementedError("this tandemctl cannot reach an SCS");
  Session session(ctx, factory);
  std::vector<ScsEndpoint> endpoints;
  if (name.empty()) {
    absl::StatusOr<std::vector<ScsEndpoint>> all = AllEndpoints(ctx);
    if (!all.ok()) return all.status();
    endpoints = *all;
  } else {
    absl::StatusOr<ObjectKey> key = ParseKey(name);
    if (!key.ok()) return key.status();
    absl::StatusOr<v1::ConfigObject> h = FetchObject(ctx, v1::OBJECT_TYPE_HOST, *key, 0, "show");
    if (!h.ok()) return h.status();
    const int64_t scs = RefDbid(*h, "scs");
    if (scs == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Host '", h->name(), "' has no scs, so no SCS manages it: set the Host's scs"));
    }
    absl::StatusOr<ScsEndpoint> e = EndpointOf(ctx, scs);
    if (!e.ok()) return e.status();
    endpoints.push_back(*e);
  }
  std::vector<cv1::HostState> hosts;
  std::vector<std::string> problems;
  for (const ScsEndpoint& e : endpoints) {
    absl::StatusOr<cv1::ScsStatusResponse> st = session.Status(e, {});
    if (!st.ok()) {
      problems.push_back(std::string(st.status().message()));
      continue;
    }
    for (const cv1::HostState& h : st->hosts()) {
      if (name.empty() || h.name() == name || name == "name:" + h.name()) hosts.push_back(h);
    }
  }
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& h : hosts) {
      j.push_back({{"host", h.name()},
                   {"scs", h.scs()},
                   {"lca", h.lca_up() ? "up" : "unreachable"},
                   {"since", Since(h.since())},
                   {"applications", h.applications()},
                   {"running", h.running()},
                   {"warnings", std::vector<std::string>(h.warnings().begin(), h.warnings().end())},
                   {"certificate",
                    std::vector<std::string>(h.certificate().begin(), h.certificate().end())}});
    }
    ctx.out() << j.dump(2) << "\n";
  } else {
    TablePrinter t({"HOST", "SCS", "LCA", "SINCE", "APPLICATIONS", "RUNNING"});
    for (const auto& h : hosts) {
      t.AddRow({h.name(), h.scs(), h.lca_up() ? "up" : "unreachable", Since(h.since()),
                std::to_string(h.applications()), std::to_string(h.running())});
    }
    t.Print(ctx.out());
    // What an LCA says is wrong with itself, under the table.
    for (const auto& h : hosts) {
      for (const auto& w : h.warnings()) ctx.out() << "warning: " << h.name() << ": " << w << "\n";
      for (const auto& c : h.certificate()) {
        ctx.out() << "warning: " << h.name() << ": " << c << "\n";
      }
    }
  }
  if (!problems.empty()) return absl::UnavailableError(absl::StrJoin(problems, "; "));
  if (!name.empty() && hosts.empty()) {
    return absl::NotFoundError(absl::StrCat("the SCS of host ", name, " does not report it"));
  }
  return absl::OkStatus();
}

void AddWaitFlags(CLI::App* cmd, ControlArgs* args) {
  cmd->add_flag("--wait", args->wait, "wait until it is done, printing each change of status");
  cmd->add_option("--wait-timeout", args->wait_timeout_s, "seconds --wait waits at most")
      ->check(PositiveSeconds(86400))
      ->type_name("SECONDS")
      ->capture_default_str();
}

}  // namespace

void AddScsCommands(CLI::App& app, CommandContext& ctx, const ScsClientFactory& factory,
                    Action* action) {
  CLI::App* apps = app.add_subcommand(
      "app", "Start, stop, restart, switch over and watch applications (through their SCS)");
  apps->require_subcommand(1);
  for (const std::string verb : {"start", "stop", "restart", "switchover"}) {
    auto args = std::make_shared<ControlArgs>();
    args->verb = verb;
    const std::string help =
        verb == "start"     ? "Start an application (its servers, `connections`, first)"
        : verb == "stop"    ? "Stop an application: SIGTERM, stop_timeout_s, then its whole "
                              "process tree is killed"
        : verb == "restart" ? "Stop an application gracefully and start it again"
                            : "Make an HA pair's backup the primary (a new mode epoch)";
    CLI::App* cmd = apps->add_subcommand(verb, help);
    cmd->add_option("NAME", args->name, "the Application (NAME|DBID)")->required();
    cmd->add_option("--via", args->via,
                    "send it to this SCS (NAME|DBID), which forwards it over the Message Server "
                    "to the SCS that owns the host (when only that SCS is reachable from here)");
    AddWaitFlags(cmd, args.get());
    cmd->footer(absl::StrCat(
        "Needs the execute right on the Application; the SCS that owns its host records every "
        "action in its audit file.\nExamples:\n  tandemctl app ",
        verb, " billing --wait\n  tandemctl -o json app ", verb, " billing\n  tandemctl app ", verb,
        " billing --via scs-r1"));
    cmd->callback([&ctx, &factory, action, args] {
      *action = [&ctx, &factory, args] { return RunControl(ctx, factory, *args, false); };
    });
  }
  auto status_names = std::make_shared<std::vector<std::string>>();
  CLI::App* status = apps->add_subcommand(
      "status", "Applications as their SCS sees them: host, mode, status, since, pid, restarts");
  status->add_option("NAME", *status_names, "Applications (NAME|DBID); none: every one");
  status->footer(
      "Statuses: Started, Stopped, Pending, Initializing, Service Unavailable, Suspending,\n"
      "Suspended, Unknown (its host's LCA is unreachable). A reason below the table says why\n"
      "one is so (gave up after failures, held pair, changed since it started).\n"
      "Examples:\n  tandemctl app status\n  tandemctl app status billing -o json");
  status->callback([&ctx, &factory, action, status_names] {
    *action = [&ctx, &factory, status_names] { return RunAppStatus(ctx, factory, *status_names); };
  });

  CLI::App* hosts = app.add_subcommand("host", "Hosts as their SCS sees them");
  hosts->require_subcommand(1);
  auto host_name = std::make_shared<std::string>();
  CLI::App* hs = hosts->add_subcommand(
      "status",
      "Each host's SCS, whether its LCA answers, and how many of its applications run; under "
      "the table a 'warning:' line for what an LCA says is wrong with itself (a certificate "
      "that expires within 30 days, a feature it cannot use)");
  hs->add_option("NAME", *host_name, "a Host (NAME|DBID); none: every host an SCS owns");
  hs->footer("Examples:\n  tandemctl host status\n  tandemctl host status r1-app-p");
  hs->callback([&ctx, &factory, action, host_name] {
    *action = [&ctx, &factory, host_name] { return RunHostStatus(ctx, factory, *host_name); };
  });

  CLI::App* solutions = app.add_subcommand("solution", "Start and stop solutions");
  solutions->require_subcommand(1);
  for (const std::string verb : {"start", "stop"}) {
    auto args = std::make_shared<ControlArgs>();
    args->verb = verb;
    CLI::App* cmd = solutions->add_subcommand(
        verb, verb == "start" ? "Start a solution's applications, servers (connections) first"
                              : "Stop a solution's applications, clients first");
    cmd->add_option("NAME", args->name, "the Solution (NAME|DBID)")->required();
    AddWaitFlags(cmd, args.get());
    cmd->footer(
        absl::StrCat("Needs the execute right on the Solution.\nExample:\n  tandemctl "
                     "solution ",
                     verb, " payments --wait"));
    cmd->callback([&ctx, &factory, action, args] {
      *action = [&ctx, &factory, args] { return RunControl(ctx, factory, *args, true); };
    });
  }
  auto sol_name = std::make_shared<std::string>();
  CLI::App* ss = solutions->add_subcommand("status", "The statuses of a solution's applications");
  ss->add_option("NAME", *sol_name, "the Solution (NAME|DBID)")->required();
  ss->callback([&ctx, &factory, action, sol_name] {
    *action = [&ctx, &factory, sol_name] { return RunSolutionStatus(ctx, factory, *sol_name); };
  });
}

}  // namespace tandem::ctl
