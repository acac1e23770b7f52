#include "scs/scs_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "config/refs.h"
#include "nlohmann/json.hpp"
#include "scs/app_config.h"
#include "spdlog/spdlog.h"

namespace tandem::scs {
namespace {

namespace v1 = ::tandem::config::v1;
using config::RefDbid;

class GrpcHostLink : public HostLink {
 public:
  GrpcHostLink(const std::string& host, const std::string& address, TlsFiles tls,
               net::LcaEvents events)
      : link_(host, address, std::move(tls), std::move(events)) {}
  void Send(const Command& command) override {
    std::visit([&](const auto& r) { link_.Send(r); }, command.request);
  }

 private:
  net::LcaLink link_;
};

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfinitePast()) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace

HostLinkFactory MakeGrpcHostLinks(TlsFiles tls) {
  return [tls](const std::string& host, const std::string& address, net::LcaEvents events) {
    return std::make_unique<GrpcHostLink>(host, address, tls, std::move(events));
  };
}

ScsServer::ScsServer(std::string application, ControllerOptions options, Clock& clock,
                     HostLinkFactory links, std::string status_file)
    : application_(std::move(application)),
      clock_(clock),
      link_factory_(std::move(links)),
      status_file_(std::move(status_file)),
      controller_(std::move(options), clock) {}

ScsServer::~ScsServer() { Stop(); }

void ScsServer::Start(client::TandemClient& config, PairRole* role, std::string partner) {
  config_ = &config;
  role_ = role;
  partner_ = std::move(partner);
  loop_ = std::thread([this] { Loop(); });
}

void ScsServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (loop_.joinable()) loop_.join();
}

void ScsServer::ConfigChanged() {
  absl::MutexLock lock(&mu_);
  config_dirty_ = true;
}

std::vector<AppView> ScsServer::Views() {
  absl::MutexLock lock(&mu_);
  return views_;
}

control::v1::ScsInfo ScsServer::Info() {
  absl::MutexLock lock(&mu_);
  control::v1::ScsInfo info;
  info.set_application(application_);
  info.set_role(acting_ ? control::v1::SCS_ROLE_PRIMARY : control::v1::SCS_ROLE_BACKUP);
  info.set_epoch(epoch_);
  info.set_hosts(hosts_);
  info.set_applications(static_cast<int32_t>(views_.size()));
  info.set_partner(partner_);
  return info;
}

absl::Status ScsServer::RefuseAsBackup() const {
  return absl::FailedPreconditionError(
      absl::StrCat(application_, " is the backup of its SCS pair and acts on nothing",
                   partner_.empty() ? "" : absl::StrCat("; ask its partner ", partner_)));
}

ScsServer::Picture ScsServer::Snapshot() {
  Picture p;
  p.info = Info();
  absl::MutexLock lock(&mu_);
  p.apps = views_;
  p.hosts = host_views_;
  p.alarms = alarms_;
  p.deposed = deposed_;
  p.deposed_why = deposed_why_;
  return p;
}

absl::Status ScsServer::Act(cv1::ControlAction action, const std::vector<std::string>& apps) {
  struct Outcome {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    absl::Status status ABSL_GUARDED_BY(mu);
  };
  auto outcome = std::make_shared<Outcome>();
  Post([this, action, apps, outcome] {
    absl::Status st;
    bool acting;
    {
      absl::MutexLock lock(&mu_);
      acting = acting_;
    }
    if (!acting) st = RefuseAsBackup();
    for (const std::string& app : apps) {
      if (!st.ok()) break;
      switch (action) {
        case cv1::CONTROL_ACTION_START:
          st = controller_.RequestStart(app);
          break;
        case cv1::CONTROL_ACTION_STOP:
          st = controller_.RequestStop(app);
          break;
        case cv1::CONTROL_ACTION_RESTART:
          st = controller_.RequestRestart(app);
          break;
        case cv1::CONTROL_ACTION_SWITCHOVER:
          st = controller_.RequestSwitchover(app);
          break;
        default:
          st = absl::InvalidArgumentError("give an action: start, stop, restart or switchover");
      }
    }
    absl::MutexLock lock(&outcome->mu);
    outcome->status = st;
    outcome->done = true;
  });
  absl::MutexLock lock(&outcome->mu);
  auto done = [&outcome]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(outcome->mu) { return outcome->done; };
  if (!outcome->mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10))) {
    return absl::DeadlineExceededError("the SCS did not carry out the action within 10 s");
  }
  return outcome->status;
}

void ScsServer::Post(std::function<void()> event) {
  absl::MutexLock lock(&mu_);
  events_.push_back(std::move(event));
}

// The owned hosts and their applications, from the configuration cache;
// links follow the hosts (a changed address or port makes a new one).
void ScsServer::Rebuild() {
  // The hosts of this SCS, and of its partner in a pair (the pair owns them
  // together; its epoch says which of the two acts).
  std::set<int64_t> owners;
  for (const std::string* name : {&application_, static_cast<const std::string*>(&partner_)}) {
    if (name->empty()) continue;
    if (auto a = config_->Find(v1::OBJECT_TYPE_APPLICATION, *name)) owners.insert(a->dbid());
  }
  std::map<int64_t, v1::ConfigObject> owned;
  for (v1::ConfigObject& h : config_->All(v1::OBJECT_TYPE_HOST)) {
    if (owners.contains(RefDbid(h, "scs"))) owned[h.dbid()] = std::move(h);
  }
  std::vector<AppConfig> apps;
  for (const v1::ConfigObject& a : config_->All(v1::OBJECT_TYPE_APPLICATION)) {
    if (!owned.contains(RefDbid(a, "host")) || !a.enabled()) continue;
    // The host's LCA is what the SCS talks to, not something it starts.
    if (config::AppType(a) == "LCA") continue;
    absl::StatusOr<AppConfig> c =
        AppConfigFrom(a, [&](v1::ObjectType t, int64_t dbid) { return config_->Get(t, dbid); });
    if (!c.ok()) {
      spdlog::warn("scs: {}", c.status().message());
      continue;
    }
    apps.push_back(std::move(*c));
  }
  controller_.SetApplications(std::move(apps));
  std::map<std::string, std::string> want;  // host -> address
  for (const auto& [dbid, h] : owned) {
    auto port = h.properties().find("lca_port");
    const int64_t p = port == h.properties().end() ? 4999 : port->second.int_value();
    auto addr = h.properties().find("address");
    want[h.name()] = HostPort{addr == h.properties().end() ? "" : addr->second.string_value(),
                              static_cast<int>(p)}
                         .ToString();
  }
  for (auto it = links_.begin(); it != links_.end();) {
    auto w = want.find(it->first);
    if (w == want.end() || w->second != it->second.first) {
      spdlog::info("scs: no longer following the LCA of {}", it->first);
      controller_.OnLcaDown(it->first);
      it = links_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [host, address] : want) {
    if (links_.contains(host)) continue;
    spdlog::info("scs: following the LCA of {} at {}", host, address);
    net::LcaEvents events;
    events.up = [this](const std::string& h, std::vector<cv1::ProcessStatus> picture) {
      Post([this, h, picture = std::move(picture)] {
        spdlog::info("scs: the LCA of {} answers ({} processes)", h, picture.size());
        controller_.OnLcaUp(h, picture);
      });
    };
    events.status = [this](const std::string& h, cv1::ProcessStatus s) {
      Post([this, h, s = std::move(s)] { controller_.OnLcaStatus(h, s); });
    };
    events.health = [this](const std::string& h, cv1::LcaHealth health) {
      Post([this, h, health = std::move(health)] {
        for (const std::string& c : health.certificate()) {
          spdlog::warn("scs: the LCA of {}: {}", h, c);
        }
        controller_.OnLcaHealth(h, health);
      });
    };
    events.down = [this](const std::string& h, const std::string& why, absl::Time last_heard) {
      Post([this, h, why, last_heard] {
        spdlog::warn("scs: the LCA of {} is unreachable: {}", h, why);
        controller_.OnLcaDown(h, last_heard);
      });
    };
    events.failed = [this](const std::string& h, const net::LcaCommand& cmd,
                           const absl::Status& why) {
      Post([this, h, cmd, why] {
        Command c;
        c.host = h;
        std::visit([&](const auto& r) { c.request = r; }, cmd);
        spdlog::warn("scs: the LCA of {} refused a command for {}: {}", h, c.application(),
                     why.message());
        if (role_ != nullptr && absl::IsFailedPrecondition(why) &&
            absl::StrContains(why.message(), "no longer the primary SCS")) {
          const bool was_acting = role_->acting();
          role_->Deposed(std::string(why.message()));
          if (was_acting) {
            absl::MutexLock lock(&mu_);
            ++deposed_;
            deposed_why_ = absl::StrCat("the LCA of ", h, ": ", why.message());
          }
        }
        controller_.OnCommandFailed(c, why);
      });
    };
    links_[host] = {address, link_factory_(host, address, std::move(events))};
  }
}

void ScsServer::Loop() {
  while (true) {
    std::deque<std::function<void()>> batch;
    bool dirty = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !events_.empty() || config_dirty_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(100));
      if (stopping_) break;
      batch.swap(events_);
      dirty = config_dirty_;
      config_dirty_ = false;
    }
    if (dirty) Rebuild();
    for (auto& e : batch) e();
    bool acting = true;
    int64_t epoch = 1;  // a single SCS: the options' epoch
    if (role_ != nullptr) {
      const PairRole::Decision d = role_->Step();
      if (!d.change.empty()) spdlog::warn("scs: {} is now {}", application_, d.change);
      acting = d.acting;
      epoch = d.epoch;
      if (acting) controller_.SetScsEpoch(epoch);
    }
    {
      absl::MutexLock lock(&mu_);
      acting_ = acting;
      epoch_ = epoch;
      hosts_ = static_cast<int>(links_.size());
    }
    // A backup follows the LCAs (warm) and decides nothing: the Controller's
    // timers and counters start when it acts.
    const std::vector<Command> commands = acting ? controller_.Tick() : std::vector<Command>{};
    for (const Command& c : commands) {
      auto it = links_.find(c.host);
      if (it != links_.end()) it->second.second->Send(c);
    }
    // The picture for operators: after anything happened, else once a
    // second (timers change statuses too), not on every idle round.
    const absl::Time now = clock_.Now();
    if (batch.empty() && commands.empty() && !dirty && now - views_at_ < absl::Seconds(1)) {
      continue;
    }
    views_at_ = now;
    std::vector<AppView> views = controller_.Views();
    WriteStatus(views);
    std::vector<std::string> owned;
    for (const auto& [host, link] : links_) owned.push_back(host);
    std::vector<HostView> hosts = controller_.HostViews(owned);
    std::vector<std::string> alarms = controller_.Alarms();
    absl::MutexLock lock(&mu_);
    views_ = std::move(views);
    host_views_ = std::move(hosts);
    alarms_ = std::move(alarms);
  }
  links_.clear();
}

void ScsServer::WriteStatus(const std::vector<AppView>& views) {
  nlohmann::json j = nlohmann::json::array();
  for (const AppView& v : views) {
    j.push_back({{"application", v.name},
                 {"host", v.host},
                 {"status", AppStatusName(v.status)},
                 {"since", Rfc3339(v.since)},
                 {"pid", v.pid},
                 {"restarts", v.restarts},
                 {"last_exit", v.last_exit},
                 {"reason", v.reason},
                 {"mode", cv1::HaMode_Name(v.mode)},
                 {"mode_epoch", v.mode_epoch},
                 {"gave_up", v.gave_up}});
  }
  bool acting;
  int64_t epoch;
  {
    absl::MutexLock lock(&mu_);
    acting = acting_;
    epoch = epoch_;
  }
  nlohmann::json doc = {{"scs", application_},
                        {"role", acting ? "primary" : "backup"},
                        {"epoch", epoch},
                        {"applications", j},
                        {"alarms", controller_.Alarms()}};
  std::string text = doc.dump(2);
  if (text == last_status_json_) return;
  last_status_json_ = text;
  for (const AppView& v : views) spdlog::debug("scs: {} {}", v.name, AppStatusName(v.status));
  if (status_file_.empty()) return;
  if (absl::Status st = WriteFileAtomically(status_file_, text + "\n"); !st.ok()) {
    spdlog::warn("scs: status file not written: {}", st.message());
  }
}

}  // namespace tandem::scs
