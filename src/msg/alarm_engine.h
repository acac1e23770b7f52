// Alarms from the log stream (issue 13), evaluated by the acting Log
// Message Server on every event it stored: an AlarmCondition's
// `detect_log_event_id` raises an alarm for the application and host that
// logged it (again: only its last_seen moves); its `cancel_log_event_id`
// from the same application and host clears it, as does
// `cancel_timeout_s` without a new detection, or an operator. Alarms are
// kept in the Log Database (a server that takes over loads the active
// ones and goes on) and each change is handed to `publish` (the bus's
// `alarms` channel).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "logdb/log_store.h"

namespace tandem::msg {

struct AlarmRule {
  std::string name = {};
  std::string category = "major";
  int64_t detect = 0;
  int64_t cancel = 0;
  //! Clears without a new detection after this long; zero: never.
  absl::Duration timeout = absl::ZeroDuration();
  //! The cancel id from any application and host clears every alarm of
  //! this rule (a state of the site, not of the one that raised it).
  bool cancel_from_anyone = false;
};

//! The framework's own alarms, from the message ids the SCS logs
//! (tandem/client/log_client.h, framework_message): an application that
//! failed or whose restarts were given up (cleared when it is Started), a
//! switchover (clears after 10 minutes), a pair held after too many
//! switchovers, an unreachable LCA (from the SCS); synchronous replication
//! degraded (from the primary master). Names start with "framework.".
std::vector<AlarmRule> BuiltInAlarmRules();

//! Raised by the acting Log Message Server itself, for itself, while its
//! Log Database does not take appends (AlarmEngine::StoreFailed).
inline constexpr char kLogDatabaseUnreachable[] = "framework.log-database-unreachable";

class AlarmEngine {
 public:
  using Rules = std::function<std::vector<AlarmRule>()>;
  //! `raised` says whether the alarm was raised (else it cleared).
  using Publish = std::function<void(const logdb::Alarm&, bool raised)>;
  AlarmEngine(logdb::LogStore& store, Rules rules, Publish publish, Clock& clock);

  //! Takes the active alarms from the Log Database. Done by itself on
  //! first use after construction or Forget, so that a server that takes
  //! over goes on with them before it evaluates anything.
  absl::Status Load();
  //! This server stopped acting: its view goes (the acting one's counts).
  //! Never waits: if the engine is busy (a store that does not return), it
  //! forgets when that call ends, before anything else.
  void Forget();
  //! Events just stored (new ones only, in order).
  void OnEvents(const std::vector<logdb::LogEvent>& events);
  //! Clears what timed out.
  void Tick();
  //! An append to the Log Database failed with `error`. Failing for
  //! kStoreAlarmAfter (the first failures are a dropped connection, which
  //! the next append mends) raises framework.log-database-unreachable for
  //! `application` on `host` (this server): held here and published, since
  //! the Log Database cannot take it, and shown by Active().
  //! `since`: when the failing began, if earlier than now (an append that
  //! has not returned).
  void StoreFailed(const std::string& application, const std::string& host,
                   const std::string& error, absl::Time since = absl::InfiniteFuture());
  //! An append succeeded: the outage, if any, is over; its alarm is
  //! cleared and stored with both times.
  void StoreOk();
  static constexpr absl::Duration kStoreAlarmAfter = absl::Seconds(3);

  //! An operator clears alarm `id`; NOT_FOUND if it is not active,
  //! UNAVAILABLE while the Log Database fails (StoreFailed until StoreOk).
  absl::Status Clear(int64_t id, const std::string& who);
  std::vector<logdb::Alarm> Active();

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // condition, app, host
  void ClearLocked(logdb::Alarm a, const std::string& by) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  //! What Forget asked, if it could not take the lock.
  void ForgetIfAskedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  //! Loads unless loaded; false (logged) if the Log Database cannot say.
  bool EnsureLoadedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StoreFailedLocked(const std::string& application, const std::string& host,
                         const std::string& error, absl::Time since, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  logdb::LogStore& store_;
  const Rules rules_;
  const Publish publish_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  std::atomic<bool> forget_{false};
  std::map<Key, logdb::Alarm> active_ ABSL_GUARDED_BY(mu_);
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  //! Rules cancelled from anyone: the time of the latest cancel event.
  std::map<std::string, absl::Time> cancelled_at_ ABSL_GUARDED_BY(mu_);
  //! Since when appends fail (InfiniteFuture: they do not); the key of the
  //! outage's alarm once raised.
  absl::Time store_failing_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  std::optional<Key> store_alarm_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::msg
