#include "msg/alarm_engine.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "tandem/client/log_client.h"

namespace tandem::msg {

std::vector<AlarmRule> BuiltInAlarmRules() {
  namespace fm = client::framework_message;
  return {
      {.name = "framework.application-failed",
       .category = "major",
       .detect = fm::kApplicationFailed,
       .cancel = fm::kApplicationStarted},
      {.name = "framework.gave-up-restarting",
       .category = "critical",
       .detect = fm::kGaveUpRestarting,
       .cancel = fm::kApplicationStarted},
      {.name = "framework.switchover",
       .category = "minor",
       .detect = fm::kSwitchover,
       .cancel = 0,
       .timeout = absl::Minutes(10)},
      {.name = "framework.pair-held",
       .category = "critical",
       .detect = fm::kPairHeld,
       .cancel = fm::kPairReleased},
      {.name = "framework.lca-unreachable",
       .category = "critical",
       .detect = fm::kLcaUnreachable,
       .cancel = fm::kLcaReachable},
      {.name = "framework.sync-replication-degraded",
       .category = "critical",
       .detect = fm::kSyncDegraded,
       .cancel = fm::kSyncRestored,
       .cancel_from_anyone = true},  // the primary now says so, whichever master raised it
      {.name = "framework.certificate-expiring",
       .category = "major",
       .detect = fm::kCertificateExpiring,
       .cancel = fm::kCertificateRenewed},
      {.name = "framework.split-brain",
       .category = "critical",
       .detect = fm::kSplitBrain,
       .cancel = fm::kSplitBrainResolved,
       .cancel_from_anyone = true},  // an SCS that took over may say it is resolved
      {.name = "framework.scs-split-brain",
       .category = "major",
       .detect = fm::kScsDeposed,
       .cancel = 0,
       .timeout = absl::Minutes(30)},
  };
}

AlarmEngine::AlarmEngine(logdb::LogStore& store, Rules rules, Publish publish, Clock& clock)
    : store_(store), rules_(std::move(rules)), publish_(std::move(publish)), clock_(clock) {}

absl::Status AlarmEngine::Load() {
  absl::MutexLock lock(&mu_);
  ForgetIfAskedLocked();
  return LoadLocked();
}

absl::Status AlarmEngine::LoadLocked() {
  absl::StatusOr<std::vector<logdb::Alarm>> active = store_.Alarms(false, 100000);
  if (!active.ok()) return active.status();
  // Alarms raised while the Log Database could not take them stay.
  std::map<Key, logdb::Alarm> unsaved;
  for (auto& [k, a] : active_) {
    if (a.id == 0) unsaved.emplace(k, std::move(a));
  }
  active_ = std::move(unsaved);
  for (logdb::Alarm& a : *active) {
    Key k{a.condition, a.application, a.host};
    active_.emplace(std::move(k), std::move(a));
  }
  loaded_ = true;
  spdlog::info("alarms: {} active, taken from the Log Database", active_.size());
  return absl::OkStatus();
}

bool AlarmEngine::EnsureLoadedLocked() {
  if (loaded_) return true;
  if (absl::Status st = LoadLocked(); !st.ok()) {
    spdlog::error("alarms: cannot take the active alarms from the Log Database: {}",
                  std::string(st.message()));
    return false;
  }
  return true;
}

void AlarmEngine::Forget() {
  forget_ = true;
  // Called from the server's main loop, which must never wait for the Log
  // Database: a thread that holds the lock (stuck in the store, perhaps)
  // forgets when it next takes it.
  if (!mu_.TryLock()) return;
  ForgetIfAskedLocked();
  mu_.Unlock();
}

void AlarmEngine::ForgetIfAskedLocked() {
  if (!forget_.exchange(false)) return;
  active_.clear();
  loaded_ = false;
}

void AlarmEngine::OnEvents(const std::vector<logdb::LogEvent>& events) {
  const std::vector<AlarmRule> rules = rules_();
  if (rules.empty()) return;
  std::multimap<int64_t, const AlarmRule*> detect, cancel;
  for (const AlarmRule& r : rules) {
    if (r.detect != 0) detect.emplace(r.detect, &r);
    if (r.cancel != 0) cancel.emplace(r.cancel, &r);
  }
  absl::MutexLock lock(&mu_);
  ForgetIfAskedLocked();
  // Without the active alarms a detection would raise a second one: the
  // events are evaluated all the same (an alarm must not be missed).
  EnsureLoadedLocked();
  for (const logdb::LogEvent& e : events) {
    for (auto [it, end] = cancel.equal_range(e.message_id); it != end; ++it) {
      const AlarmRule& r = *it->second;
      if (r.cancel_from_anyone) {
        absl::Time& c = cancelled_at_[r.name];
        c = std::max(c, e.at);
      }
      const std::string by = absl::StrCat("event ", e.event_id, " (message ", e.message_id, ")");
      if (!r.cancel_from_anyone) {
        auto a = active_.find(Key{r.name, e.application, e.host});
        if (a == active_.end()) continue;
        logdb::Alarm cleared = a->second;
        active_.erase(a);
        ClearLocked(std::move(cleared), by);
        continue;
      }
      for (auto a = active_.begin(); a != active_.end();) {
        if (std::get<0>(a->first) != r.name) {
          ++a;
          continue;
        }
        logdb::Alarm cleared = a->second;
        a = active_.erase(a);
        ClearLocked(std::move(cleared), by);
      }
    }
    for (auto [it, end] = detect.equal_range(e.message_id); it != end; ++it) {
      const AlarmRule& r = *it->second;
      if (r.cancel_from_anyone) {
        // A detection that happened before the last cancel (it waited in its
        // sender's buffer) is over already.
        auto c = cancelled_at_.find(r.name);
        if (c != cancelled_at_.end() && e.at <= c->second) continue;
      }
      Key k{r.name, e.application, e.host};
      auto a = active_.find(k);
      if (a != active_.end()) {
        a->second.last_seen = clock_.Now();
        if (absl::StatusOr<int64_t> st = store_.SaveAlarm(a->second); !st.ok()) {
          spdlog::warn("alarms: cannot note a new detection of {}: {}", r.name,
                       std::string(st.status().message()));
        }
        continue;
      }
      logdb::Alarm n;
      n.condition = r.name;
      n.category = r.category;
      n.application = e.application;
      n.host = e.host;
      n.text = e.text;
      n.event_id = e.event_id;
      n.raised_at = n.last_seen = clock_.Now();
      absl::StatusOr<int64_t> id = store_.SaveAlarm(n);
      if (!id.ok()) {
        // Raised all the same (shown and published); stored once it can be.
        spdlog::error("alarms: cannot store the alarm {} of {}: {}", r.name, e.application,
                      std::string(id.status().message()));
      } else {
        n.id = *id;
      }
      spdlog::warn("alarms: {} alarm {} raised for {} on {}: {}", n.category, n.condition,
                   n.application, n.host, n.text);
      publish_(n, true);
      active_.emplace(std::move(k), std::move(n));
    }
  }
}

void AlarmEngine::ClearLocked(logdb::Alarm a, const std::string& by) {
  a.cleared_at = clock_.Now();
  a.cleared_by = by;
  if (a.id == 0) {
    // It was never stored: store it now, cleared.
    if (absl::StatusOr<int64_t> id = store_.SaveAlarm(a); id.ok()) a.id = *id;
  } else if (absl::StatusOr<int64_t> st = store_.SaveAlarm(a); !st.ok()) {
    spdlog::warn("alarms: cannot store that {} cleared: {}", a.condition,
                 std::string(st.status().message()));
  }
  spdlog::info("alarms: {} of {} on {} cleared by {}", a.condition, a.application, a.host, by);
  publish_(a, false);
}

void AlarmEngine::Tick() {
  std::map<std::string, absl::Duration> timeouts;
  for (const AlarmRule& r : rules_()) {
    if (r.timeout > absl::ZeroDuration()) timeouts[r.name] = r.timeout;
  }
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ForgetIfAskedLocked();
  // Clearing means storing: not while the Log Database does not take
  // appends (it could hold this lock for as long); the timeouts run after.
  if (store_failing_since_ != absl::InfiniteFuture()) return;
  if (!EnsureLoadedLocked()) return;
  for (auto it = active_.begin(); it != active_.end();) {
    auto t = timeouts.find(it->second.condition);
    if (t == timeouts.end() || now - it->second.last_seen < t->second) {
      ++it;
      continue;
    }
    logdb::Alarm a = it->second;
    it = active_.erase(it);
    ClearLocked(std::move(a), absl::StrCat("timeout: not detected again within ",
                                           absl::FormatDuration(t->second)));
  }
}

absl::Status AlarmEngine::Clear(int64_t id, const std::string& who) {
  absl::MutexLock lock(&mu_);
  ForgetIfAskedLocked();
  // Clearing means storing: not while the Log Database fails (the call
  // would wait for it, and the clearing would not be kept).
  if (store_failing_since_ != absl::InfiniteFuture()) {
    return absl::UnavailableError(
        absl::StrCat("the Log Database has not taken writes since ",
                     absl::FormatTime(absl::RFC3339_sec, store_failing_since_, absl::UTCTimeZone()),
                     " (alarm ", kLogDatabaseUnreachable,
                     "): an alarm cannot be cleared until it does; mend it and clear again"));
  }
  EnsureLoadedLocked();
  for (auto it = active_.begin(); it != active_.end(); ++it) {
    if (it->second.id != id) continue;
    logdb::Alarm a = it->second;
    active_.erase(it);
    ClearLocked(std::move(a), who);
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat(
      "no active alarm has id ", id, "; tandemctl alarms lists the active ones (--all: history)"));
}

void AlarmEngine::StoreFailed(const std::string& application, const std::string& host,
                              const std::string& error, absl::Time since) {
  const absl::Time now = clock_.Now();
  // Called from the server's main loop, which must never wait for the Log
  // Database: if another thread holds the lock (it may be stuck in the
  // store), this round is skipped.
  if (!mu_.TryLock()) return;
  ForgetIfAskedLocked();
  StoreFailedLocked(application, host, error, std::min(since, now), now);
  mu_.Unlock();
}

void AlarmEngine::StoreFailedLocked(const std::string& application, const std::string& host,
                                    const std::string& error, absl::Time since, absl::Time now) {
  store_failing_since_ = std::min(store_failing_since_, since);
  if (now - store_failing_since_ < kStoreAlarmAfter) return;
  Key k{std::string(kLogDatabaseUnreachable), application, host};
  if (auto a = active_.find(k); a != active_.end()) {
    a->second.last_seen = now;
    return;
  }
  logdb::Alarm a;
  a.condition = kLogDatabaseUnreachable;
  a.category = "critical";
  a.application = application;
  a.host = host;
  a.text =
      absl::StrCat(error, " (failing since ",
                   absl::FormatTime(absl::RFC3339_sec, store_failing_since_, absl::UTCTimeZone()),
                   "; nothing is acknowledged meanwhile: the senders keep their events)");
  a.raised_at = store_failing_since_;
  a.last_seen = now;
  spdlog::error("alarms: {} raised for {} on {}: {}", a.condition, application, host, a.text);
  active_.emplace(k, a);
  store_alarm_ = k;
  publish_(a, true);
}

void AlarmEngine::StoreOk() {
  absl::MutexLock lock(&mu_);
  ForgetIfAskedLocked();
  store_failing_since_ = absl::InfiniteFuture();
  if (!store_alarm_.has_value()) return;
  auto a = active_.find(*store_alarm_);
  store_alarm_.reset();
  if (a == active_.end()) return;  // an operator cleared it
  logdb::Alarm cleared = a->second;
  active_.erase(a);
  ClearLocked(std::move(cleared), "the Log Database stores again");
}

std::vector<logdb::Alarm> AlarmEngine::Active() {
  absl::MutexLock lock(&mu_);
  ForgetIfAskedLocked();
  EnsureLoadedLocked();
  std::vector<logdb::Alarm> out;
  for (const auto& [k, a] : active_) out.push_back(a);
  std::sort(out.begin(), out.end(),
            [](const logdb::Alarm& x, const logdb::Alarm& y) { return x.raised_at > y.raised_at; });
  return out;
}

}  // namespace tandem::msg
