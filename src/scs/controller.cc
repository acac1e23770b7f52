#include "scs/controller.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "lca/process_state.h"

namespace tandem::scs {
namespace {

using lca::FromProtoTime;
using lca::IsActive;

}  // namespace

const char* AppStatusName(AppStatus s) {
  switch (s) {
    case AppStatus::kUnknown:
      return "Unknown";
    case AppStatus::kStopped:
      return "Stopped";
    case AppStatus::kPending:
      return "Pending";
    case AppStatus::kInitializing:
      return "Initializing";
    case AppStatus::kStarted:
      return "Started";
    case AppStatus::kServiceUnavailable:
      return "Service Unavailable";
    case AppStatus::kSuspending:
      return "Suspending";
    case AppStatus::kSuspended:
      return "Suspended";
  }
  return "Unknown";
}

const std::string& Command::application() const {
  return std::visit(
      [](const auto& r) -> const std::string& {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, cv1::StartProcessRequest>) {
          return r.spec().application();
        } else {
          return r.application();
        }
      },
      request);
}

Controller::Controller(ControllerOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock), scs_epoch_(options_.scs_epoch) {}

void Controller::SetApplications(std::vector<AppConfig> apps) {
  std::map<std::string, AppConfig> next;
  for (AppConfig& a : apps) next[a.name] = std::move(a);
  apps_ = std::move(next);
  // Pairs: a configured primary with a backup and a redundancy type.
  std::map<std::string, Pair> pairs;
  for (const auto& [name, a] : apps_) {
    if (a.redundancy == Redundancy::kNone || a.backup.empty() || !apps_.contains(a.backup)) {
      continue;
    }
    Pair p;
    if (auto it = pairs_.find(name); it != pairs_.end() && it->second.second == a.backup) {
      p = it->second;
    } else {
      p.first = name;
      p.second = a.backup;
      p.primary = name;
    }
    pairs[name] = std::move(p);
  }
  pairs_ = std::move(pairs);
  for (const auto& [name, a] : apps_) {
    Runtime& rt = runtime_[name];
    if (!rt.known && HostUp(a.host)) {
      rt.known = true;
      rt.want_running = a.autostart || Running(a);
    }
    LearnModes(a.host);
  }
  for (auto it = runtime_.begin(); it != runtime_.end();) {
    it = apps_.contains(it->first) ? std::next(it) : runtime_.erase(it);
  }
}

void Controller::OnLcaUp(const std::string& host, const std::vector<cv1::ProcessStatus>& picture) {
  Host& h = hosts_[host];
  if (!h.up) h.up_since = clock_.Now();
  h.up = true;
  h.seen = true;
  h.processes.clear();
  for (const auto& p : picture) h.processes[p.application()] = p;
  for (const auto& [name, a] : apps_) {
    if (a.host != host) continue;
    Runtime& rt = runtime_[name];
    if (!rt.known) {
      rt.known = true;
      // Autostart when the host comes up; what runs already keeps running.
      rt.want_running = a.autostart || Running(a);
    }
    if (const cv1::ProcessStatus* p = Process(a)) {
      if (rt.accounted_start == 0 && !IsActive(p->state())) rt.accounted_start = p->starts();
      rt.ever_started = rt.ever_started || p->starts() > 0;
    }
  }
  LearnModes(host);
}

void Controller::OnLcaStatus(const std::string& host, const cv1::ProcessStatus& status) {
  Host& h = hosts_[host];
  h.processes[status.application()] = status;
  auto it = runtime_.find(status.application());
  if (it != runtime_.end() && status.starts() > 0) it->second.ever_started = true;
  LearnModes(host);
}

void Controller::OnLcaDown(const std::string& host, absl::Time last_heard) {
  Host& h = hosts_[host];
  if (h.up || !h.seen) {
    h.down_since = last_heard == absl::InfinitePast() ? clock_.Now() : last_heard;
  }
  h.up = false;
  h.seen = true;
}

void Controller::OnLcaHealth(const std::string& host, const cv1::LcaHealth& health) {
  hosts_[host].health = health;
}

void Controller::OnCommandFailed(const Command& command, const absl::Status& why) {
  auto it = runtime_.find(command.application());
  if (it == runtime_.end()) return;
  Runtime& rt = it->second;
  rt.reason = absl::StrCat("the LCA of ", command.host, " refused: ", why.message());
  if (std::holds_alternative<cv1::StartProcessRequest>(command.request)) {
    rt.start_sent = absl::InfinitePast();
  } else if (std::holds_alternative<cv1::StopProcessRequest>(command.request)) {
    rt.stop_sent = absl::InfinitePast();
  } else if (Pair* p = PairOf(command.application())) {
    p->mode_sent.erase(command.application());
  }
}

// A pair's epoch and acting primary, learned from what the LCAs report (a
// new primary SCS carries on from there).
void Controller::LearnModes(const std::string& host) {
  for (auto& [name, pair] : pairs_) {
    for (const std::string* member : {&pair.first, &pair.second}) {
      auto a = apps_.find(*member);
      if (a == apps_.end() || a->second.host != host) continue;
      const cv1::ProcessStatus* p = Process(a->second);
      if (p == nullptr || p->mode_epoch() < pair.epoch) continue;
      if (p->mode_epoch() > pair.epoch) {
        pair.epoch = p->mode_epoch();
        if (p->mode() == cv1::HA_MODE_PRIMARY) pair.primary = *member;
        if (p->mode() == cv1::HA_MODE_BACKUP) {
          pair.primary = *member == pair.first ? pair.second : pair.first;
        }
      }
    }
  }
}

const cv1::ProcessStatus* Controller::Process(const AppConfig& app) const {
  auto h = hosts_.find(app.host);
  if (h == hosts_.end()) return nullptr;
  auto p = h->second.processes.find(app.name);
  return p == h->second.processes.end() ? nullptr : &p->second;
}

bool Controller::HostUp(const std::string& host) const {
  auto h = hosts_.find(host);
  return h != hosts_.end() && h->second.up;
}

bool Controller::Running(const AppConfig& app) const {
  const cv1::ProcessStatus* p = Process(app);
  return p != nullptr && IsActive(p->state());
}

// Able to serve as primary now.
bool Controller::Healthy(const AppConfig& app) const {
  const cv1::ProcessStatus* p = Process(app);
  return HostUp(app.host) && p != nullptr && p->state() == cv1::PROCESS_STATE_RUNNING &&
         !p->hung() && p->app_status() != cv1::APP_STATUS_SERVICE_UNAVAILABLE;
}

AppStatus Controller::StatusOf(const AppConfig& app) const {
  if (!HostUp(app.host)) return AppStatus::kUnknown;
  const cv1::ProcessStatus* p = Process(app);
  auto rt = runtime_.find(app.name);
  const bool want = rt != runtime_.end() && rt->second.want_running && !rt->second.gave_up;
  if (p == nullptr || !IsActive(p->state()))
    return want ? AppStatus::kPending : AppStatus::kStopped;
  switch (p->state()) {
    case cv1::PROCESS_STATE_STARTING:
      return AppStatus::kPending;
    case cv1::PROCESS_STATE_STOPPING:
      return AppStatus::kSuspending;
    default:
      break;
  }
  switch (p->app_status()) {
    case cv1::APP_STATUS_STARTED:
      return AppStatus::kStarted;
    case cv1::APP_STATUS_SERVICE_UNAVAILABLE:
      return AppStatus::kServiceUnavailable;
    case cv1::APP_STATUS_SUSPENDING:
      return AppStatus::kSuspending;
    case cv1::APP_STATUS_SUSPENDED:
      return AppStatus::kSuspended;
    case cv1::APP_STATUS_INITIALIZING:
      return AppStatus::kInitializing;
    default:
      return app.reports_status ? AppStatus::kInitializing : AppStatus::kStarted;
  }
}

const Controller::Pair* Controller::PairOf(const std::string& app) const {
  for (const auto& [name, p] : pairs_) {
    if (p.first == app || p.second == app) return &p;
  }
  return nullptr;
}

cv1::HaMode Controller::ModeFor(const std::string& app) const {
  const Pair* p = PairOf(app);
  if (p == nullptr) return cv1::HA_MODE_UNSPECIFIED;
  return p->primary == app ? cv1::HA_MODE_PRIMARY : cv1::HA_MODE_BACKUP;
}

int64_t Controller::EpochFor(const std::string& app) const {
  const Pair* p = PairOf(app);
  return p == nullptr ? 0 : p->epoch;
}

void Controller::Failure(const AppConfig& app, Runtime& rt, const std::string& why) {
  const absl::Time now = clock_.Now();
  rt.failures.push_back(now);
  while (!rt.failures.empty() && now - rt.failures.front() > options_.failure_window) {
    rt.failures.pop_front();
  }
  rt.backoff = rt.backoff == absl::ZeroDuration() ? options_.backoff_initial
                                                  : std::min(rt.backoff * 2, options_.backoff_max);
  rt.next_start = now + rt.backoff;
  rt.reason = why;
  if (static_cast<int>(rt.failures.size()) >= options_.max_failures) {
    rt.gave_up = true;
    rt.reason = absl::StrCat("gave up after ", rt.failures.size(), " failures within ",
                             absl::FormatDuration(options_.failure_window), "; last: ", why,
                             ". Fix it, then `tandemctl app start ", app.name, "`");
  }
}

// Connections first (a server before its clients); cycles are broken by name.
std::vector<std::string> Controller::DependencyOrder() const {
  std::vector<std::string> order;
  std::set<std::string> done, visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    if (done.contains(n) || visiting.contains(n) || !apps_.contains(n)) return;
    visiting.insert(n);
    for (const std::string& c : apps_.at(n).connections) visit(c);
    visiting.erase(n);
    done.insert(n);
    order.push_back(n);
  };
  for (const auto& [name, a] : apps_) visit(name);
  return order;
}

void Controller::EvaluateApp(const AppConfig& app, std::vector<Command>& out) {
  Runtime& rt = runtime_[app.name];
  if (!HostUp(app.host)) return;
  const absl::Time now = clock_.Now();
  const cv1::ProcessStatus* p = Process(app);
  if (p != nullptr && IsActive(p->state())) {
    rt.start_sent = absl::InfinitePast();
    if (p->starts() != rt.running_start) {
      rt.running_start = p->starts();
      rt.ran_since = now;
    }
    if (p->state() == cv1::PROCESS_STATE_STOPPING) return;
    bool stop = !rt.want_running;
    int timeout_s = static_cast<int>(absl::ToInt64Seconds(app.stop_timeout));
    if (!stop && p->starts() == rt.restart_start) {
      stop = true;  // an operator's restart: this run ends, the next starts
    } else if (stop) {
      // Its clients stop first.
      for (const auto& [name, other] : apps_) {
        if (std::find(other.connections.begin(), other.connections.end(), app.name) !=
                other.connections.end() &&
            Running(other)) {
          return;
        }
      }
    } else if (p->starts() != rt.timeout_start) {
      const absl::Time since = FromProtoTime(p->since());
      if (app.reports_status && p->state() == cv1::PROCESS_STATE_RUNNING &&
          p->app_status() == cv1::APP_STATUS_UNSPECIFIED && now - since > app.start_timeout) {
        rt.timeout_start = p->starts();
        Failure(app, rt,
                absl::StrCat("did not report Started within ",
                             absl::FormatDuration(app.start_timeout), " (start_timeout_s)"));
        stop = true;
        timeout_s = 0;
      } else if (p->hung() && app.hangup_restart) {
        rt.timeout_start = p->starts();
        Failure(app, rt, absl::StrCat("hung: ", p->reason()));
        stop = true;
        timeout_s = 0;
      }
    }
    if (stop && now - rt.stop_sent > options_.command_retry) {
      rt.stop_sent = now;
      cv1::StopProcessRequest r;
      r.mutable_header()->set_scs_epoch(scs_epoch_);
      r.set_application(app.name);
      r.set_timeout_s(timeout_s);
      out.push_back({app.host, r});
    }
    return;
  }
  rt.stop_sent = absl::InfinitePast();
  // Not running: account for how the last run ended, once.
  if (p != nullptr && p->starts() > rt.accounted_start) {
    rt.accounted_start = p->starts();
    const bool asked =
        !rt.want_running || p->starts() == rt.timeout_start || p->starts() == rt.restart_start;
    if (p->state() == cv1::PROCESS_STATE_FAILED) {
      Failure(app, rt, p->reason());
    } else if (!asked) {
      // A run that lasted counts as the first failure of a new series.
      if (rt.ran_since != absl::InfinitePast() &&
          FromProtoTime(p->since()) - rt.ran_since >= options_.stable_after) {
        rt.failures.clear();
        rt.backoff = absl::ZeroDuration();
      }
      Failure(app, rt, p->last_exit().description());
      if (!app.auto_restart) {
        rt.want_running = false;
        rt.reason = absl::StrCat(p->last_exit().description(), " (no auto_restart)");
      }
    }
  }
  if (!rt.want_running || rt.gave_up) return;
  if (now < rt.next_start || now - rt.start_sent < options_.command_retry) return;
  // Its servers first.
  for (const std::string& c : app.connections) {
    auto it = apps_.find(c);
    if (it != apps_.end() && StatusOf(it->second) != AppStatus::kStarted) return;
  }
  rt.start_sent = now;
  if (rt.ever_started) ++rt.restarts;
  rt.ever_started = true;
  cv1::StartProcessRequest r;
  r.mutable_header()->set_scs_epoch(scs_epoch_);
  *r.mutable_spec() = app.spec;
  r.set_mode(ModeFor(app.name));
  r.set_mode_epoch(EpochFor(app.name));
  out.push_back({app.host, r});
}

void Controller::Switch(Pair& pair, const std::string& reason, bool manual,
                        std::vector<Command>& out) {
  const std::string old = pair.primary;
  pair.primary = old == pair.first ? pair.second : pair.first;
  ++pair.epoch;
  const absl::Time now = clock_.Now();
  pair.flips.push_back(now);
  while (!pair.flips.empty() && now - pair.flips.front() > options_.flip_window) {
    pair.flips.pop_front();
  }
  if (manual) pair.held = false;
  if (!manual && static_cast<int>(pair.flips.size()) > options_.flip_max) pair.held = true;
  for (const std::string* member : {static_cast<const std::string*>(&pair.primary), &old}) {
    const AppConfig& a = apps_.at(*member);
    if (!Running(a) || !HostUp(a.host)) continue;
    cv1::SetModeRequest r;
    r.mutable_header()->set_scs_epoch(scs_epoch_);
    r.set_application(*member);
    r.set_mode(*member == pair.primary ? cv1::HA_MODE_PRIMARY : cv1::HA_MODE_BACKUP);
    r.set_mode_epoch(pair.epoch);
    pair.mode_sent[*member] = pair.epoch;
    out.push_back({a.host, r});
  }
  runtime_[pair.primary].reason =
      absl::StrCat("primary since epoch ", pair.epoch, ": ", old, " ", reason);
}

void Controller::EvaluatePair(Pair& pair, std::vector<Command>& out) {
  const AppConfig& primary = apps_.at(pair.primary);
  const AppConfig& other = apps_.at(pair.primary == pair.first ? pair.second : pair.first);
  const absl::Time now = clock_.Now();
  if (pair.epoch == 0) pair.epoch = 1;
  std::string lost;
  auto h = hosts_.find(primary.host);
  if (h == hosts_.end() || !h->second.up) {
    if (h != hosts_.end() && h->second.seen && now - h->second.down_since > options_.grace_period) {
      lost = absl::StrCat("lost: the LCA of ", primary.host, " has been unreachable for more than ",
                          absl::FormatDuration(options_.grace_period));
    }
  } else if (const cv1::ProcessStatus* p = Process(primary);
             p == nullptr || !IsActive(p->state())) {
    // Not yet started at all is not a loss; an exit or a failure to start is.
    if (p != nullptr && p->state() == cv1::PROCESS_STATE_FAILED) {
      lost = absl::StrCat("cannot start: ", p->reason());
    } else if (p != nullptr && p->starts() > 0) {
      lost = absl::StrCat("exited (", p->last_exit().description(), ")");
    }
  } else if (p->hung()) {
    lost = "is hung";
  } else if (p->app_status() == cv1::APP_STATUS_SERVICE_UNAVAILABLE) {
    lost = "reports Service Unavailable";
  }
  if (!lost.empty() && Healthy(other) && !pair.held) {
    Switch(pair, lost, /*manual=*/false, out);
    return;
  }
  // Everyone running holds the mode of the current epoch.
  for (const std::string* member : {&pair.first, &pair.second}) {
    const AppConfig& a = apps_.at(*member);
    const cv1::ProcessStatus* p = Process(a);
    if (!HostUp(a.host) || p == nullptr || p->state() != cv1::PROCESS_STATE_RUNNING) continue;
    const cv1::HaMode want = *member == pair.primary ? cv1::HA_MODE_PRIMARY : cv1::HA_MODE_BACKUP;
    if (p->mode() == want && p->mode_epoch() == pair.epoch) continue;
    if (p->mode_epoch() > pair.epoch) continue;  // learned next time
    auto sent = pair.mode_sent.find(*member);
    if (sent != pair.mode_sent.end() && sent->second == pair.epoch) continue;
    if (p->mode_epoch() == pair.epoch) {
      // Same epoch, other mode: a new epoch is needed to change it.
      ++pair.epoch;
    }
    cv1::SetModeRequest r;
    r.mutable_header()->set_scs_epoch(scs_epoch_);
    r.set_application(*member);
    r.set_mode(want);
    r.set_mode_epoch(pair.epoch);
    pair.mode_sent[*member] = pair.epoch;
    out.push_back({a.host, r});
  }
}

std::vector<Command> Controller::Tick() {
  std::vector<Command> out;
  for (auto& [name, pair] : pairs_) EvaluatePair(pair, out);
  for (const std::string& name : DependencyOrder()) EvaluateApp(apps_.at(name), out);
  return out;
}

absl::Status Controller::RequestStart(const std::string& app) {
  auto it = apps_.find(app);
  if (it == apps_.end()) {
    return absl::NotFoundError(absl::StrCat("no Application ", app, " on a host this SCS owns"));
  }
  Runtime& rt = runtime_[app];
  rt.known = true;
  rt.want_running = true;
  rt.gave_up = false;
  rt.failures.clear();
  rt.backoff = absl::ZeroDuration();
  rt.next_start = absl::InfinitePast();
  rt.start_sent = absl::InfinitePast();
  rt.reason.clear();
  return absl::OkStatus();
}

absl::Status Controller::RequestStop(const std::string& app) {
  if (!apps_.contains(app)) {
    return absl::NotFoundError(absl::StrCat("no Application ", app, " on a host this SCS owns"));
  }
  Runtime& rt = runtime_[app];
  rt.known = true;
  rt.want_running = false;
  rt.reason = "stopped by request";
  return absl::OkStatus();
}

absl::Status Controller::RequestRestart(const std::string& app) {
  auto it = apps_.find(app);
  if (it == apps_.end()) {
    return absl::NotFoundError(absl::StrCat("no Application ", app, " on a host this SCS owns"));
  }
  const cv1::ProcessStatus* p = Process(it->second);
  const bool running = p != nullptr && IsActive(p->state());
  absl::Status st = RequestStart(app);
  if (running) {
    Runtime& rt = runtime_[app];
    rt.restart_start = p->starts();
    rt.stop_sent = absl::InfinitePast();
  }
  return st;
}

absl::Status Controller::RequestSwitchover(const std::string& app) {
  Pair* pair = PairOf(app);
  if (pair == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(app, " is not part of an HA pair (redundancy and backup)"));
  }
  const std::string& other = pair->primary == pair->first ? pair->second : pair->first;
  if (!Healthy(apps_.at(other))) {
    return absl::FailedPreconditionError(
        absl::StrCat("the backup ", other, " is not running and healthy (",
                     AppStatusName(StatusOf(apps_.at(other))), "): no switchover"));
  }
  std::vector<Command> ignored;  // the next Tick sends the modes
  Switch(*pair, "switched over by request", /*manual=*/true, ignored);
  pair->mode_sent.clear();
  return absl::OkStatus();
}

AppView Controller::View(const std::string& app) const {
  AppView v;
  auto it = apps_.find(app);
  if (it == apps_.end()) return v;
  const AppConfig& a = it->second;
  v.name = a.name;
  v.dbid = a.dbid;
  v.host = a.host;
  v.status = StatusOf(a);
  if (const cv1::ProcessStatus* p = Process(a)) {
    v.pid = p->pid();
    v.since = FromProtoTime(p->since());
    v.last_exit = p->last_exit().description();
    v.mode = p->mode();
    v.mode_epoch = p->mode_epoch();
    if (!p->reason().empty()) v.reason = p->reason();
  }
  if (const Pair* p = PairOf(app)) v.partner = p->first == app ? p->second : p->first;
  auto h = hosts_.find(a.host);
  if (v.status == AppStatus::kUnknown && h != hosts_.end()) v.since = h->second.down_since;
  if (auto rt = runtime_.find(app); rt != runtime_.end()) {
    v.restarts = rt->second.restarts;
    v.gave_up = rt->second.gave_up;
    v.wanted = rt->second.want_running && !rt->second.gave_up;
    if (!rt->second.reason.empty()) v.reason = rt->second.reason;
  }
  // A running process keeps the spec it was started from; say so when the
  // Application has changed since (a restart applies it).
  if (const cv1::ProcessStatus* p = Process(a);
      p != nullptr && IsActive(p->state()) && p->has_spec() && !p->service() &&
      !google::protobuf::util::MessageDifferencer::Equals(p->spec(), a.spec)) {
    v.reason = absl::StrCat("runs from an older spec (the Application changed since it started): ",
                            "restart it to apply", v.reason.empty() ? "" : "; ", v.reason);
  }
  return v;
}

std::vector<AppView> Controller::Views() const {
  std::vector<AppView> out;
  for (const auto& [name, a] : apps_) out.push_back(View(name));
  return out;
}

std::vector<HostView> Controller::HostViews(const std::vector<std::string>& owned) const {
  std::map<std::string, HostView> out;
  for (const std::string& h : owned) out[h].name = h;
  for (const auto& [name, a] : apps_) {
    HostView& v = out[a.host];
    v.name = a.host;
    ++v.applications;
    if (Running(a)) ++v.running;
  }
  for (auto& [name, v] : out) {
    auto h = hosts_.find(name);
    if (h == hosts_.end()) continue;
    v.up = h->second.up;
    v.since = h->second.up ? h->second.up_since : h->second.down_since;
    if (!v.up) v.running = 0;
    const cv1::LcaHealth& health = h->second.health;
    v.warnings.assign(health.warnings().begin(), health.warnings().end());
    v.certificate.assign(health.certificate().begin(), health.certificate().end());
  }
  std::vector<HostView> list;
  for (auto& [name, v] : out) list.push_back(std::move(v));
  return list;
}

std::vector<std::string> Controller::Alarms() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : pairs_) {
    if (p.held) {
      out.push_back(absl::StrCat("HA pair ", p.first, "/", p.second, " switched over ",
                                 p.flips.size(), " times within ",
                                 absl::FormatDuration(options_.flip_window),
                                 ": held (no automatic switchover); `tandemctl app switchover` "
                                 "resumes it"));
    }
  }
  for (const auto& [name, rt] : runtime_) {
    if (rt.gave_up) out.push_back(absl::StrCat(name, ": ", rt.reason));
  }
  return out;
}

}  // namespace tandem::scs
