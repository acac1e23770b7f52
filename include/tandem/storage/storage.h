// The Configuration Database as the configuration server sees it: objects,
// history and a little metadata. Implementations (SQLite today, PostgreSQL
// next) are the only code that speaks to a DBMS, and all of them pass
// test/storage/storage_suite.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::storage {

//! Version of the database schema this build writes. Older versions are
//! migrated on open; newer ones are refused.
inline constexpr int64_t kSchemaVersion = 2;

//! meta.application of a Tandem Configuration Database (tells it from
//! another application's tables).
inline constexpr char kApplicationTag[] = "tandem-configuration-database";

struct Meta {
  int64_t schema_version = 0;
  //! Identifies the history lineage; created with the database.
  std::string history_id;
  //! Last committed revision (0 for a new database) and its chain hash.
  int64_t revision = 0;
  std::string revision_hash;
  //! Next DBID to hand out, per numeric object type (absent = 1).
  std::map<int, int64_t> next_dbid;
};

//! One object row. `data` is the serialized object; nullopt deletes the row.
struct ObjectWrite {
  int type = 0;
  int64_t dbid = 0;
  int64_t tenant_dbid = 0;
  std::string name;
  std::optional<std::string> data;
};

//! One history row: a serialized tandem.config.v1.Change.
struct HistoryRow {
  int64_t revision = 0;
  int64_t committed_at_us = 0;
  std::string data;
};

//! Everything one commit writes. Applied atomically and durably, or not at all.
struct CommitBatch {
  std::vector<ObjectWrite> objects;
  std::vector<HistoryRow> history;
  //! New high-water marks (only types whose mark moved).
  std::map<int, int64_t> next_dbid;
  int64_t revision = 0;
  std::string revision_hash;
};

struct HistoryChunk {
  //! Rows with revision > after, ascending, at most `limit`.
  std::vector<HistoryRow> rows;
  //! Oldest revision still retained (meta.revision + 1 if history is empty),
  //! read in the same snapshot as `rows`.
  int64_t oldest_revision = 0;
};

//! The master lease of an HA pair: who may commit, until when, under which
//! fencing epoch. Times are the DBMS's clock (SQLite: this host's).
struct Lease {
  //! Node name of the holder; empty if never held.
  std::string holder;
  //! Where the holder serves clients (host:port), for the backup to point at.
  std::string address;
  //! Increases by one with every new holder (and every restart of one).
  int64_t epoch = 0;
  int64_t expires_at_us = 0;
  //! The clock reading these were compared with.
  int64_t now_us = 0;
  bool expired() const { return expires_at_us <= now_us; }
};

class Storage {
 public:
  virtual ~Storage() = default;
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  //! Metadata as of the last commit. Any thread.
  virtual absl::StatusOr<Meta> ReadMeta() = 0;

  //! Calls fn with every object's serialized data, in (type, dbid) order,
  //! from one snapshot. Stops at fn's first error. Any thread.
  virtual absl::Status ScanObjects(const std::function<absl::Status(absl::string_view)>& fn) = 0;

  //! Writes the batch in one transaction and returns once it is durable.
  //! Single writer: callers serialize Commit calls. A status for which
  //! IsCommittedNotReplicated() holds means the batch IS committed (on the
  //! primary) although the call failed; any other failure changed nothing.
  virtual absl::Status Commit(const CommitBatch& batch) = 0;

  //! History after a revision. Any thread, concurrently with Commit.
  virtual absl::StatusOr<HistoryChunk> ReadHistory(int64_t after_revision, int64_t limit) = 0;

  //! Deletes at most `max_rows` of the oldest history rows that have
  //! revision < keep_from_revision or committed_at_us < keep_after_us.
  //! Returns the number deleted. Same thread as Commit.
  virtual absl::StatusOr<int64_t> PruneHistory(int64_t keep_from_revision, int64_t keep_after_us,
                                               int64_t max_rows) = 0;

  //! The master lease as stored. Any thread.
  virtual absl::StatusOr<Lease> ReadLease() = 0;

  //! Takes the lease for `holder` if it has expired or `holder` already has
  //! it (a restart), with a new epoch, for `duration`. From then on every
  //! Commit and PruneHistory checks, inside its transaction, that this
  //! storage still holds the lease unexpired under that epoch, and fails
  //! with FAILED_PRECONDITION (IsLeaseLost) otherwise. FAILED_PRECONDITION
  //! naming the holder when someone else holds it. Not concurrently with
  //! RenewLease.
  virtual absl::StatusOr<Lease> AcquireLease(const std::string& holder, const std::string& address,
                                             absl::Duration duration) = 0;

  //! Extends the lease taken by AcquireLease (same epoch) to now + duration.
  //! FAILED_PRECONDITION (IsLeaseLost) if another holder took it.
  virtual absl::StatusOr<Lease> RenewLease(absl::Duration duration) = 0;

  //! Human-readable description, e.g. "sqlite:/var/lib/tandem/config.db".
  virtual std::string Describe() const = 0;

  //! Conditions an operator must act on (e.g. "synchronous replication
  //! degraded"), one sentence each; empty when all is well. Any thread.
  virtual std::vector<std::string> Alarms() const { return {}; }
};

using StoragePtr = std::unique_ptr<Storage>;

//! Payload marking a Commit status as "committed on the primary, not
//! confirmed by a synchronous standby in time".
inline constexpr absl::string_view kCommittedNotReplicatedPayload =
    "type.tandem.dev/tandem.storage.CommittedNotReplicated";

//! DEADLINE_EXCEEDED for a commit that is durable on the primary but that no
//! synchronous standby confirmed within the configured time.
inline absl::Status CommittedNotReplicatedError(absl::string_view message) {
  absl::Status status = absl::DeadlineExceededError(message);
  status.SetPayload(kCommittedNotReplicatedPayload, absl::Cord("1"));
  return status;
}

//! True if Commit returned this status although the batch is committed: the
//! caller must treat the batch as written (memory, watchers) and tell the
//! client that replication is not confirmed.
inline bool IsCommittedNotReplicated(const absl::Status& status) {
  return status.code() == absl::StatusCode::kDeadlineExceeded &&
         status.GetPayload(kCommittedNotReplicatedPayload).has_value();
}

//! Payload marking a write refused because this storage no longer holds the
//! master lease (another server took it, or it expired).
inline constexpr absl::string_view kLeaseLostPayload = "type.tandem.dev/tandem.storage.LeaseLost";

inline absl::Status LeaseLostError(absl::string_view message) {
  absl::Status status = absl::FailedPreconditionError(message);
  status.SetPayload(kLeaseLostPayload, absl::Cord("1"));
  return status;
}

inline bool IsLeaseLost(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition &&
         status.GetPayload(kLeaseLostPayload).has_value();
}

struct SqliteOptions {
  std::string path;
  //! Create the database if the file does not exist.
  bool create = true;
};

//! Opens (creating and migrating as needed) an SQLite Configuration Database.
absl::StatusOr<StoragePtr> OpenSqlite(const SqliteOptions& options);

struct PostgresOptions {
  //! libpq connection string (key=value or URI). Several hosts with
  //! target_session_attrs=read-write find the writable DBMS after a failover.
  std::string conninfo;
  //! How long a commit may wait for the synchronous standby (PostgreSQL
  //! blocks it for ever when none is streaming); then it is cancelled.
  absl::Duration sync_commit_timeout = absl::Seconds(5);
  enum class OnSyncStandbyLost {
    //! Every commit waits up to sync_commit_timeout and then reports
    //! CommittedNotReplicatedError.
    kWait,
    //! The first timeout switches confserv's writer session to
    //! synchronous_commit = local (raising an alarm) until a synchronous
    //! standby streams again; the timed-out commit reports success.
    kDegrade,
  };
  OnSyncStandbyLost on_sync_standby_lost = OnSyncStandbyLost::kWait;
};

//! Opens a PostgreSQL Configuration Database, creating the schema in an empty
//! database and refusing one of another application or a newer version.
absl::StatusOr<StoragePtr> OpenPostgres(const PostgresOptions& options);

}  // namespace tandem::storage
