// The primary master's watch on synchronous replication (issue 13): while a
// master is the HA primary on PostgreSQL, it asks its DBMS every few seconds
// which of the standbys named in synchronous_standby_names stream
// synchronously. One missing logs framework_message::kSyncDegraded (an
// alarm: commits then wait up to sync_commit_timeout_s and are answered "not
// yet replicated"); all back logs kSyncRestored, which clears it. The events
// go to the Log Database through the master's audit Logger ([audit]
// log_servers), whose Log Message Server raises and clears the built-in
// alarm framework.sync-replication-degraded.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/periodic_thread.h"
#include "tandem/client/log_client.h"

namespace tandem::confserv {

//! What the DBMS said of its replication.
struct ReplicationSample {
  std::string endpoint;  //!< host:port/db
  bool in_recovery = false;
  //! synchronous_standby_names ("": synchronous replication not asked for).
  std::string sync_names;
  //! Names in it with no standby streaming synchronously.
  std::vector<std::string> missing;
};

struct ReplicationEvent {
  client::LogLevel level = client::LogLevel::kStandard;
  int64_t message_id = 0;
  std::string text;
};

//! The event for `now` given whether the last one said degraded (nullopt:
//! nothing said yet, as after this master became primary: the state is
//! then said either way, so that an alarm of an earlier term clears).
//! Nothing for a standby (in recovery: not the primary DBMS).
std::optional<ReplicationEvent> ReplicationEventFor(std::optional<bool> degraded_before,
                                                    const ReplicationSample& now);

//! Reads a sample from the DBMS of `conninfo` (tandem::storage::pgadmin).
absl::StatusOr<ReplicationSample> SampleReplication(const std::string& conninfo);

class ReplicationWatch {
 public:
  using Sampler = std::function<absl::StatusOr<ReplicationSample>()>;
  //! Every `period` while `primary()` says so: `sample`, and the events to
  //! `log` (which outlives the watch).
  ReplicationWatch(Sampler sample, std::function<bool()> primary, client::Logger& log,
                   absl::Duration period = absl::Seconds(5));
  void Stop() { thread_.Stop(); }

 private:
  void Tick();

  const Sampler sample_;
  const std::function<bool()> primary_;
  client::Logger& log_;
  // Only the thread's: what was said last, the last sampling error.
  std::optional<bool> degraded_;
  std::string last_error_;
  PeriodicThread thread_;  // last: starts once the rest is made
};

}  // namespace tandem::confserv
