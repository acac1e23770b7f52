// The SCS's own alarms (issue 13): what changed between two pictures of the
// acting SCS — an application that exited while wanted, restarts given up,
// a pair's backup become primary, a pair held after too many switchovers,
// an LCA lost or back, an application Started again, a certificate (the
// SCS's own, its LCAs') expiring, both members of a pair primary, the SCS
// deposed by a newer one of its pair — as log events with
// the framework's message ids (tandem/client/log_client.h), logged on
// behalf of the application concerned to the Log Message Server, whose
// built-in alarm rules raise and clear the alarms from them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/framework_events.h"
#include "common/periodic_thread.h"
#include "scs/scs_server.h"
#include "tandem/client/log_client.h"

namespace tandem::scs {

//! What `after` says happened since `before` (both of an acting SCS).
std::vector<FrameworkEvent> FrameworkEventsBetween(const ScsServer::Picture& before,
                                                   const ScsServer::Picture& after);

//! The state of `now` as events, for an SCS that began to act: every LCA
//! unreachable or answering, applications given up or Started, pairs held.
//! (An old primary that died with its host could not say what it saw;
//! repeats of what it said raise nothing twice.)
std::vector<FrameworkEvent> FrameworkEventsOfState(const ScsServer::Picture& now);

//! Both members of an HA pair running as primary for `hold` (a switchover
//! makes the new primary before the old one steps down, for moments): a
//! split brain, raised once for the pair (its first member by name) and
//! resolved when one of them is not primary any more.
class SplitBrainWatch {
 public:
  explicit SplitBrainWatch(absl::Duration hold = absl::Seconds(2)) : hold_(hold) {}
  std::vector<FrameworkEvent> Step(const ScsServer::Picture& now, absl::Time at);
  //! Forgets what it raised (an SCS that stopped acting: its successor
  //! says the state again).
  void Reset() {
    since_.clear();
    raised_.clear();
  }

 private:
  const absl::Duration hold_;
  std::map<std::string, absl::Time> since_;
  std::set<std::string> raised_;
};

//! Watches the SCS's picture twice a second while it acts and logs the
//! events. A backup reports nothing; when it begins to act it logs what
//! changes from its first picture on, and once it has acted for `settle`
//! (long enough to have heard from its LCAs) the state as it is.
class ScsAlarmReporter {
 public:
  //! `log` outlives the reporter. `own_certificate` says what is wrong
  //! with this SCS's certificate (may be null); it and a deposition are
  //! reported whatever the role.
  ScsAlarmReporter(ScsServer& server, client::Logger& log, absl::Duration settle = absl::Seconds(8),
                   std::function<std::vector<std::string>()> own_certificate = nullptr);
  void Stop() { thread_.Stop(); }

 private:
  void Tick();
  void Log(const std::vector<FrameworkEvent>& events);

  ScsServer& server_;
  client::Logger& log_;
  const absl::Duration settle_;
  const std::function<std::vector<std::string>()> own_certificate_;
  const std::string host_;
  // Only the thread's.
  std::optional<ScsServer::Picture> last_;
  CertificateWatch own_said_;
  int64_t deposed_said_ = 0;
  SplitBrainWatch split_;
  absl::Time acting_since_ = absl::InfiniteFuture();
  bool state_said_ = false;
  PeriodicThread thread_;  // last: starts once the rest is made
};

}  // namespace tandem::scs
