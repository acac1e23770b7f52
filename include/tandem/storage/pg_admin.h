// What operator tooling (`tandemctl db`, later the DR automation) asks of a
// PostgreSQL server: its role, replication state, fences and the
// Configuration Database's revision; promotion; settings and reloads. The
// implementation is the only place outside the storage backend that speaks
// libpq (src/storage/postgres/pg_admin.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::storage::pgadmin {

//! A WAL position ("16/B374D848") as a byte offset.
absl::StatusOr<uint64_t> ParseLsn(const std::string& lsn);

//! One standby streaming from a primary (pg_stat_replication).
struct Standby {
  std::string application_name;
  std::string client_addr;
  std::string state;       // startup, catchup, streaming, ...
  std::string sync_state;  // async, potential, sync, quorum
  std::string replay_lsn;
  //! Primary's current WAL position minus the standby's replay position.
  int64_t lag_bytes = 0;
  //! pg_stat_replication.replay_lag (nullopt when idle: nothing to replay).
  std::optional<double> replay_lag_s;
};

//! The Tandem Configuration Database in the connected database, if any.
struct ConfigDatabase {
  bool present = false;
  int64_t schema_version = 0;
  int64_t revision = 0;
  std::string history_id;
};

//! One DBMS as seen through a connection.
struct ServerState {
  std::string endpoint;  // host:port/dbname
  std::string server_version;
  bool in_recovery = false;  // true: standby
  int64_t timeline = 0;
  //! Primary: current WAL insert position. Standby: last replayed position.
  std::string wal_lsn;
  // Standby only.
  std::string receive_lsn;
  std::string upstream;         // sender host:port of the WAL receiver
  std::string receiver_status;  // streaming, ..., or "" when not connected
  bool replay_paused = false;
  //! Seconds since the last replayed transaction was committed on the primary.
  std::optional<double> last_replay_age_s;
  // Primary only.
  std::string synchronous_standby_names;
  std::vector<Standby> standbys;
  //! Names in synchronous_standby_names with no standby streaming as
  //! sync/quorum/potential: commits wait for them.
  std::vector<std::string> missing_sync_standbys;
  //! Addresses that pg_hba.conf rejects ("198.51.100.2/32"), in file order.
  std::vector<std::string> hba_rejected;
  //! Errors in pg_hba.conf as loaded (pg_hba_file_rules.error).
  std::vector<std::string> hba_errors;
  ConfigDatabase config;
};

//! The value of `key` ("host", "port", ...) in a conninfo (key=value words
//! or a postgresql:// URI) as libpq reads it; empty if absent or unparsable.
std::string ConninfoValue(const std::string& conninfo, const std::string& key);

//! A conninfo to show: "host:port/dbname" (as libpq reads them; a list's
//! hosts and ports as given), never a password.
std::string ConninfoLabel(const std::string& conninfo);

//! The conninfo as given, or, if it holds a password, rewritten as
//! key='value' words with password='***'.
std::string RedactedConninfo(const std::string& conninfo);

//! 'text' with quotes doubled: a string literal for SQL and for
//! postgresql.conf / postgresql.auto.conf values.
std::string QuoteLiteral(const std::string& text);

//! Revisions of the Configuration Database that `standby` lacks against
//! `primary` (its revision minus the standby's); nullopt unless `standby`
//! is in recovery, `primary` is not, and both hold the same configuration
//! (same history_id).
std::optional<int64_t> RevisionsBehind(const ServerState& standby, const ServerState& primary);

//! Connects (short timeout) and reads everything in ServerState.
absl::StatusOr<ServerState> Probe(const std::string& conninfo);

//! The names listed in a synchronous_standby_names value ("a, b",
//! "FIRST 1 (a, b)", "ANY 2 (a,b,c)", "*"), unquoted.
std::vector<std::string> SyncStandbyNames(const std::string& value);

struct PromoteResult {
  bool already_primary = false;
  //! From the promote request until the server left recovery.
  absl::Duration promote_time;
  //! From the promote request until a write (a new transaction ID) succeeded.
  absl::Duration first_write_time;
  //! The old synchronous_standby_names, if promotion cleared it.
  std::string cleared_sync_standby_names;
};

struct PromoteOptions {
  absl::Duration timeout = absl::Seconds(60);
  //! Keep synchronous_standby_names on the new primary even though no
  //! standby is connected to it (its commits then wait for one).
  bool keep_sync = false;
};

//! Promotes a standby and waits until it accepts writes. A server that is
//! already a primary is left alone (already_primary).
absl::StatusOr<PromoteResult> Promote(const std::string& conninfo, const PromoteOptions& options);

//! ALTER SYSTEM SET (or RESET, for nullopt) a setting and reload the configuration.
absl::Status SetSystemSetting(const std::string& conninfo, const std::string& name,
                              const std::optional<std::string>& value);

//! CHECKPOINT. After a promotion the control file names the new timeline
//! only once the end-of-recovery checkpoint is done, and pg_rewind reads the
//! timeline there: a rewind against a just-promoted primary must wait for it.
absl::Status Checkpoint(const std::string& conninfo);

//! SHOW name.
absl::StatusOr<std::string> ShowSetting(const std::string& conninfo, const std::string& name);

//! pg_reload_conf(); then returns pg_hba.conf's errors as loaded (empty = fine).
absl::StatusOr<std::vector<std::string>> ReloadConfiguration(const std::string& conninfo);

//! Terminates sessions whose client address is within one of the CIDRs
//! (and WAL senders to them). Returns how many.
absl::StatusOr<int64_t> TerminateSessionsFrom(const std::string& conninfo,
                                              const std::vector<std::string>& cidrs);

//! How many sessions (other than this one) come from within the CIDRs.
absl::StatusOr<int64_t> CountSessionsFrom(const std::string& conninfo,
                                          const std::vector<std::string>& cidrs);

//! Waits until a standby with this application_name streams from the
//! primary (and, if `synchronous`, is its sync or quorum standby); returns
//! its sync_state.
absl::StatusOr<std::string> WaitForStandby(const std::string& primary_conninfo,
                                           const std::string& application_name,
                                           absl::Duration timeout, bool synchronous = false);

//! Two Configuration Databases compared revision by revision (history
//! rows: commit time and a digest of the change), e.g. an old primary and
//! the standby promoted in its place.
struct HistoryComparison {
  int64_t a_revision = 0;
  int64_t b_revision = 0;
  //! The last revision both hold identically: where they forked (or, when
  //! one is only behind, the shorter one's revision).
  int64_t common_revision = 0;
  //! Revisions after the fork that only one side has: what is lost when
  //! the other side wins.
  int64_t only_in_a = 0;
  int64_t only_in_b = 0;
  //! The fork lies further back than `window` revisions: the counts are
  //! lower bounds.
  bool beyond_window = false;
};

//! Compares the Configuration Databases behind two connections. Refuses two
//! databases of different histories (different history_id).
absl::StatusOr<HistoryComparison> CompareHistories(const std::string& a_conninfo,
                                                   const std::string& b_conninfo,
                                                   int64_t window = 100000);

//! Checks that a connection can be made and says what the server is, for
//! error messages before long operations.
absl::Status CheckReachable(const std::string& conninfo);

}  // namespace tandem::storage::pgadmin
