// The SCS's own alarms (issue 13): what changed between two pictures of the
// acting SCS — an application that exited while wanted, restarts given up,
// a pair's backup become primary, a pair held after too many switchovers,
// an LCA lost or back, an application Started again — as log events with
// the framework's message ids (tandem/client/log_client.h), logged on
// behalf of the application concerned to the Log Message Server, whose
// built-in alarm rules raise and clear the alarms from them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/periodic_thread.h"
#include "scs/scs_server.h"
#include "tandem/client/log_client.h"

namespace tandem::scs {

struct FrameworkEvent {
  //! The application concerned; empty: the SCS itself (an LCA's host).
  std::string application;
  std::string host;
  client::LogLevel level = client::LogLevel::kStandard;
  int64_t message_id = 0;
  std::string text;
};

//! What `after` says happened since `before` (both of an acting SCS).
std::vector<FrameworkEvent> FrameworkEventsBetween(const ScsServer::Picture& before,
                                                   const ScsServer::Picture& after);

//! The state of `now` as events, for an SCS that began to act: every LCA
//! unreachable or answering, applications given up or Started, pairs held.
//! (An old primary that died with its host could not say what it saw;
//! repeats of what it said raise nothing twice.)
std::vector<FrameworkEvent> FrameworkEventsOfState(const ScsServer::Picture& now);

//! Watches the SCS's picture twice a second while it acts and logs the
//! events. A backup reports nothing; when it begins to act it logs what
//! changes from its first picture on, and once it has acted for `settle`
//! (long enough to have heard from its LCAs) the state as it is.
class ScsAlarmReporter {
 public:
  //! `log` outlives the reporter.
  ScsAlarmReporter(ScsServer& server, client::Logger& log,
                   absl::Duration settle = absl::Seconds(8));
  void Stop() { thread_.Stop(); }

 private:
  void Tick();
  void Log(const std::vector<FrameworkEvent>& events);

  ScsServer& server_;
  client::Logger& log_;
  const absl::Duration settle_;
  // Only the thread's.
  std::optional<ScsServer::Picture> last_;
  absl::Time acting_since_ = absl::InfiniteFuture();
  bool state_said_ = false;
  PeriodicThread thread_;  // last: starts once the rest is made
};

}  // namespace tandem::scs
