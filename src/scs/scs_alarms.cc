#include "scs/scs_alarms.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "spdlog/spdlog.h"

namespace tandem::scs {
namespace {

namespace fm = client::framework_message;

// The first application of a held pair ("HA pair a/b switched over ...").
std::string HeldPair(const std::string& alarm) {
  constexpr char kPrefix[] = "HA pair ";
  if (!absl::StartsWith(alarm, kPrefix)) return "";
  const size_t slash = alarm.find('/');
  if (slash == std::string::npos) return "";
  return alarm.substr(sizeof(kPrefix) - 1, slash - (sizeof(kPrefix) - 1));
}

FrameworkEvent GaveUp(const AppView& v) {
  return {v.name, v.host, client::LogLevel::kAlarm, fm::kGaveUpRestarting,
          absl::StrCat(v.name, " on ", v.host, ": ", v.reason, "; `tandemctl app start ", v.name,
                       "` tries again")};
}

FrameworkEvent Started(const AppView& v) {
  return {v.name, v.host, client::LogLevel::kStandard, fm::kApplicationStarted,
          absl::StrCat(v.name, " on ", v.host, " is Started")};
}

}  // namespace

std::vector<FrameworkEvent> SplitBrainWatch::Step(const ScsServer::Picture& now, absl::Time at) {
  std::map<std::string, const AppView*> by_name;
  for (const AppView& v : now.apps) by_name[v.name] = &v;
  auto primary = [](const AppView& v) { return v.pid != 0 && v.mode == cv1::HA_MODE_PRIMARY; };
  std::set<std::string> both;
  std::vector<FrameworkEvent> out;
  for (const AppView& v : now.apps) {
    if (v.partner.empty() || v.name > v.partner || !primary(v)) continue;
    auto p = by_name.find(v.partner);
    if (p == by_name.end() || !primary(*p->second)) continue;
    both.insert(v.name);
    const absl::Time since = since_.emplace(v.name, at).first->second;
    if (at - since < hold_ || !raised_.insert(v.name).second) continue;
    const AppView& w = *p->second;
    out.push_back({v.name, "", client::LogLevel::kAlarm, fm::kSplitBrain,
                   absl::StrCat("split brain: both members of the HA pair ", v.name, "/", w.name,
                                " run as primary (", v.name, " on ", v.host, " epoch ",
                                v.mode_epoch, ", ", w.name, " on ", w.host, " epoch ", w.mode_epoch,
                                ") for ", absl::FormatDuration(at - since))});
  }
  for (auto it = since_.begin(); it != since_.end();) {
    it = both.contains(it->first) ? std::next(it) : since_.erase(it);
  }
  for (auto it = raised_.begin(); it != raised_.end();) {
    if (both.contains(*it)) {
      ++it;
      continue;
    }
    out.push_back({*it, "", client::LogLevel::kStandard, fm::kSplitBrainResolved,
                   absl::StrCat("the HA pair of ", *it, " has one primary again")});
    it = raised_.erase(it);
  }
  return out;
}

std::vector<FrameworkEvent> FrameworkEventsBetween(const ScsServer::Picture& before,
                                                   const ScsServer::Picture& after) {
  std::vector<FrameworkEvent> out;
  std::map<std::string, const AppView*> was;
  for (const AppView& v : before.apps) was[v.name] = &v;
  for (const AppView& v : after.apps) {
    auto it = was.find(v.name);
    if (it == was.end()) continue;  // new to this SCS: nothing happened to it yet
    const AppView& b = *it->second;
    // It exited and it should run: still wanted (a restart comes), given up,
    // or not restarted for want of auto_restart. A stop that was asked for
    // (an operator's stop or restart, a pair's switch: the LCA says
    // "stopped: ...") is none.
    const bool unasked = (v.wanted || v.gave_up || absl::EndsWith(v.reason, "(no auto_restart)")) &&
                         !absl::StartsWith(v.last_exit, "stopped: ");
    if (v.last_exit != b.last_exit && !v.last_exit.empty() && unasked) {
      out.push_back(
          {v.name, v.host, client::LogLevel::kAlarm, fm::kApplicationFailed,
           absl::StrCat(v.name, " on ", v.host, " exited while it should run: ", v.last_exit)});
    }
    if (v.gave_up && !b.gave_up) out.push_back(GaveUp(v));
    if (v.status == AppStatus::kStarted && b.status != AppStatus::kStarted) {
      out.push_back(Started(v));
    }
    if (v.mode == cv1::HA_MODE_PRIMARY && b.mode == cv1::HA_MODE_BACKUP) {
      out.push_back({v.name, v.host, client::LogLevel::kAlarm, fm::kSwitchover,
                     absl::StrCat(v.name, " on ", v.host, " is now primary (mode epoch ",
                                  v.mode_epoch, ")")});
    }
  }
  std::set<std::string> held_before, held_after;
  for (const std::string& a : before.alarms) {
    if (std::string p = HeldPair(a); !p.empty()) held_before.insert(p);
  }
  for (const std::string& a : after.alarms) {
    std::string p = HeldPair(a);
    if (p.empty()) continue;
    held_after.insert(p);
    if (held_before.count(p) == 0) {
      out.push_back({p, "", client::LogLevel::kAlarm, fm::kPairHeld, a});
    }
  }
  for (const std::string& p : held_before) {
    if (held_after.count(p) == 0) {
      out.push_back({p, "", client::LogLevel::kStandard, fm::kPairReleased,
                     absl::StrCat("HA pair of ", p, " switches over automatically again")});
    }
  }
  std::map<std::string, const HostView*> host_was;
  for (const HostView& h : before.hosts) host_was[h.name] = &h;
  for (const HostView& h : after.hosts) {
    auto it = host_was.find(h.name);
    if (it == host_was.end()) continue;
    for (FrameworkEvent& e :
         CertificateEvents("", h.name, it->second->certificate, h.certificate)) {
      out.push_back(std::move(e));
    }
    if (it->second->up == h.up) continue;
    if (!h.up) {
      out.push_back({"", h.name, client::LogLevel::kAlarm, fm::kLcaUnreachable,
                     absl::StrCat("the LCA of ", h.name,
                                  " is unreachable: its applications' "
                                  "statuses are Unknown")});
    } else {
      out.push_back({"", h.name, client::LogLevel::kStandard, fm::kLcaReachable,
                     absl::StrCat("the LCA of ", h.name, " answers again")});
    }
  }
  return out;
}

std::vector<FrameworkEvent> FrameworkEventsOfState(const ScsServer::Picture& now) {
  std::vector<FrameworkEvent> out;
  for (const HostView& h : now.hosts) {
    if (!h.up) {
      out.push_back({"", h.name, client::LogLevel::kAlarm, fm::kLcaUnreachable,
                     absl::StrCat("the LCA of ", h.name,
                                  " is unreachable (found so by an SCS that began to act): its "
                                  "applications' statuses are Unknown")});
    } else {
      out.push_back({"", h.name, client::LogLevel::kStandard, fm::kLcaReachable,
                     absl::StrCat("the LCA of ", h.name, " answers")});
    }
    // Expiring, or (an LCA that answers) fine: a certificate renewed while
    // no SCS acted clears what was raised.
    if (!h.certificate.empty() || h.up) {
      for (FrameworkEvent& e : CertificateEvents("", h.name, h.certificate)) {
        out.push_back(std::move(e));
      }
    }
  }
  for (const AppView& v : now.apps) {
    if (v.gave_up) {
      out.push_back(GaveUp(v));
    } else if (v.status == AppStatus::kStarted) {
      out.push_back(Started(v));
    }
  }
  for (const std::string& a : now.alarms) {
    if (std::string p = HeldPair(a); !p.empty()) {
      out.push_back({p, "", client::LogLevel::kAlarm, fm::kPairHeld, a});
    }
  }
  return out;
}

ScsAlarmReporter::ScsAlarmReporter(ScsServer& server, client::Logger& log, absl::Duration settle,
                                   std::function<std::vector<std::string>()> own_certificate)
    : server_(server),
      log_(log),
      settle_(settle),
      own_certificate_(std::move(own_certificate)),
      host_(ThisHost()),
      thread_(absl::Milliseconds(500), [this] { Tick(); }) {}

void ScsAlarmReporter::Log(const std::vector<FrameworkEvent>& events) {
  for (const FrameworkEvent& e : events) {
    absl::StatusOr<std::string> id =
        log_.LogFor(e.application, e.host, e.level, e.message_id, e.text);
    if (!id.ok()) {
      spdlog::warn("scs: cannot log '{}': {}", e.text, std::string(id.status().message()));
    }
  }
}

void ScsAlarmReporter::Tick() {
  ScsServer::Picture now = server_.Snapshot();
  const std::string& me = now.info.application();
  // At the start "renewed" when it is fine: clears an alarm raised before a
  // restart with a new certificate.
  if (own_certificate_) Log(own_said_.Step(me, host_, own_certificate_()));
  if (now.deposed > deposed_said_) {
    deposed_said_ = now.deposed;
    Log({{me, host_, client::LogLevel::kAlarm, fm::kScsDeposed,
          absl::StrCat("split brain: ", me,
                       " acted while another SCS of its pair acted with a "
                       "newer epoch, and stepped down (",
                       now.deposed_why, ")")}});
  }
  if (now.info.role() != control::v1::SCS_ROLE_PRIMARY) {
    last_.reset();
    acting_since_ = absl::InfiniteFuture();
    state_said_ = false;
    split_.Reset();
    return;
  }
  Log(split_.Step(now, absl::Now()));
  if (acting_since_ == absl::InfiniteFuture()) acting_since_ = absl::Now();
  if (last_.has_value()) Log(FrameworkEventsBetween(*last_, now));
  // What a partner that died with its host could not say: once this SCS
  // has acted long enough to have heard from its LCAs, the state as it is
  // (the Log Message Server keeps one alarm per condition, so what was said
  // before is not doubled).
  if (!state_said_ && absl::Now() - acting_since_ >= settle_) {
    Log(FrameworkEventsOfState(now));
    state_said_ = true;
  }
  last_ = std::move(now);
}

}  // namespace tandem::scs
