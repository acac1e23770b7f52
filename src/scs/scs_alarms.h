// The SCS's own alarms (issue 13): what changed between two pictures of the
// acting SCS — an application that exited while wanted, restarts given up,
// a pair's backup become primary, a pair held after too many switchovers,
// an LCA lost or back, an application Started again — as log events with
// the framework's message ids (tandem/client/log_client.h), logged on
// behalf of the application concerned to the Log Message Server, whose
// built-in alarm rules raise and clear the alarms from them.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
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

//! Watches the SCS's picture twice a second while it acts and logs the
//! events. A backup reports nothing; when it begins to act its first picture
//! is where it starts from (the old primary reported what came before).
class ScsAlarmReporter {
 public:
  //! `log` outlives the reporter.
  ScsAlarmReporter(ScsServer& server, client::Logger& log);
  ~ScsAlarmReporter();
  void Stop();

 private:
  void Run();

  ScsServer& server_;
  client::Logger& log_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tandem::scs
