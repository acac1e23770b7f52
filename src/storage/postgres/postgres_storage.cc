// PostgreSQL Configuration Database: the same tables as the SQLite backend,
// one writer connection (the committer's thread), a pool of readers, and
// each commit sent as one pipeline (one round trip) inside a transaction.
// Writes wait for a synchronous standby at most sync_commit_timeout (see
// Write below).
#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/hash.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "storage/connection_pool.h"
#include "storage/postgres/pg_conn.h"
#include "tandem/storage/storage.h"

namespace tandem::storage {
namespace {

using pg::Connection;
using pg::Param;
using OnSyncStandbyLost = PostgresOptions::OnSyncStandbyLost;

// Each entry migrates from version i to i+1; index 0 creates version 1.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE objects(
  type INTEGER NOT NULL, dbid BIGINT NOT NULL, tenant_dbid BIGINT NOT NULL,
  name TEXT NOT NULL, data BYTEA NOT NULL, PRIMARY KEY(type, dbid));
CREATE TABLE history(
  revision BIGINT PRIMARY KEY, committed_at_us BIGINT NOT NULL, data BYTEA NOT NULL);
CREATE INDEX history_time ON history(committed_at_us);
CREATE TABLE sequences(type INTEGER PRIMARY KEY, next_dbid BIGINT NOT NULL);
)sql",
    R"sql(
CREATE TABLE lease(id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL,
  address TEXT NOT NULL, epoch BIGINT NOT NULL, expires_at_us BIGINT NOT NULL);
INSERT INTO lease VALUES(1, '', '', 0, 0);
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

// While degraded: how often to look for a synchronous standby again, and to
// repeat the alarm in the log.
constexpr absl::Duration kRecheckInterval = absl::Seconds(5);
constexpr absl::Duration kAlarmRepeat = absl::Seconds(30);

// True when commits need not be degraded any more: a synchronous standby is
// streaming, or none is configured. Needs pg_monitor (pg_read_all_stats) to
// see sync_state.
constexpr char kSyncStandbyStreaming[] =
    "SELECT (current_setting('synchronous_standby_names') = '' OR EXISTS (SELECT 1 FROM "
    "pg_stat_replication WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum')))::int";

constexpr char kPutMeta[] =
    "INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value = "
    "EXCLUDED.value";

// First statement of every commit: the database must still be at the
// revision this server built the batch on. After a DBMS failover with an
// asynchronous standby it may be behind (revisions lost), or, after a commit
// whose reply was lost, ahead; either way the batch would break the history
// chain, so the transaction fails (SQLSTATE TD001) and the committer reloads.
// Locks the revision row, which the commit updates anyway.
// The DBMS's clock in microseconds: lease times are all read from it.
constexpr char kNowUs[] = "(extract(epoch FROM clock_timestamp()) * 1000000)::int8";

// With an HA pair, the same block also checks the master lease (SQLSTATE
// TD002): held by this server under its epoch and not expired, by the
// DBMS's clock. The lease row is locked FOR SHARE, so a takeover (which
// updates it) waits for a commit in progress and a commit never overlaps one.
std::string LeaseCheck(const std::string& holder, int64_t epoch) {
  if (epoch == 0) return "";
  return absl::StrCat(
      "SELECT holder, epoch, expires_at_us, ", kNowUs,
      " AS now INTO l FROM lease WHERE id = 1 FOR SHARE; IF l.holder <> '", holder,
      "' OR l.epoch <> ", epoch,
      " THEN RAISE EXCEPTION 'tandem lease guard: this server''s master lease (epoch ", epoch,
      ") was taken over by ''%'' (epoch %); the write was not applied', l.holder, l.epoch "
      "USING ERRCODE = 'TD002'; END IF; IF l.expires_at_us <= l.now THEN RAISE EXCEPTION "
      "'tandem lease guard: this server''s master lease (epoch ",
      epoch,
      ") expired % ms ago; the write was not applied', (l.now - l.expires_at_us) / 1000 USING "
      "ERRCODE = 'TD002'; END IF; ");
}

std::string RevisionGuard(int64_t expected, const std::string& holder, int64_t epoch) {
  return absl::StrCat(
      "DO $$DECLARE stored text; l record; BEGIN ", LeaseCheck(holder, epoch),
      "SELECT convert_from(value, 'UTF8') INTO stored FROM meta "
      "WHERE key = 'revision' FOR UPDATE; IF stored IS DISTINCT FROM '",
      expected,
      "' THEN RAISE EXCEPTION 'tandem revision guard: the database is at revision %, this "
      "server expected ",
      expected, "', stored USING ERRCODE = 'TD001'; END IF; END$$");
}

std::string LeaseGuard(const std::string& holder, int64_t epoch) {
  return absl::StrCat("DO $$DECLARE l record; BEGIN ", LeaseCheck(holder, epoch), "END$$");
}

// A failed write: the lease guard's failure carries the LeaseLost payload.
absl::Status MarkLeaseLost(absl::Status status) {
  if (!status.ok() && absl::StrContains(status.message(), "tandem lease guard")) {
    return LeaseLostError(status.message());
  }
  return status;
}

class PostgresStorage final : public Storage {
 public:
  explicit PostgresStorage(PostgresOptions options)
      : options_(std::move(options)), conninfo_(options_.conninfo) {}

  absl::Status Init() {
    TANDEM_ASSIGN_OR_RETURN(writer_, Connection::Open(conninfo_));
    SetDescribe(absl::StrCat("postgres:", writer_->Describe()));
    return Migrate();
  }

  absl::StatusOr<Meta> ReadMeta() override {
    return WithReader<Meta>([&](Connection& c) -> absl::StatusOr<Meta> { return ReadMetaFrom(c); });
  }

  absl::Status ScanObjects(const std::function<absl::Status(absl::string_view)>& fn) override {
    TANDEM_ASSIGN_OR_RETURN(auto conn, Borrow());
    absl::Status status = [&]() -> absl::Status {
      // A cursor keeps memory flat for millions of rows.
      TANDEM_RETURN_IF_ERROR(conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
      TANDEM_RETURN_IF_ERROR(conn->Exec(
          "DECLARE scan NO SCROLL CURSOR FOR SELECT data FROM objects ORDER BY type, dbid"));
      while (true) {
        TANDEM_ASSIGN_OR_RETURN(pg::Result r, conn->Query("FETCH 10000 FROM scan"));
        if (r.rows() == 0) break;
        for (int i = 0; i < r.rows(); ++i) TANDEM_RETURN_IF_ERROR(fn(r.Bytes(i, 0)));
      }
      return conn->Exec("COMMIT");
    }();
    if (!status.ok()) (void)conn->Exec("ROLLBACK");
    Return(std::move(conn), status);
    return status;
  }

  absl::Status Commit(const CommitBatch& batch) override {
    TANDEM_RETURN_IF_ERROR(EnsureWriter());
    WatchDegraded();
    pg::Statements st;
    st.reserve(batch.objects.size() + batch.history.size() + batch.next_dbid.size() + 5);
    st.push_back({"BEGIN", {}});
    const auto [holder, epoch] = HeldLease();
    if (!batch.history.empty()) {
      st.push_back({RevisionGuard(batch.history.front().revision - 1, holder, epoch), {}});
    } else if (epoch != 0) {
      st.push_back({LeaseGuard(holder, epoch), {}});
    }
    for (const ObjectWrite& w : batch.objects) {
      if (w.data.has_value()) {
        st.push_back(
            {"INSERT INTO objects(type, dbid, tenant_dbid, name, data) "
             "VALUES($1, $2, $3, $4, $5) ON CONFLICT(type, dbid) DO UPDATE SET "
             "tenant_dbid = EXCLUDED.tenant_dbid, name = EXCLUDED.name, data = "
             "EXCLUDED.data",
             {Param::Int(w.type), Param::Int(w.dbid), Param::Int(w.tenant_dbid),
              Param::Text(w.name), Param::Bytes(*w.data)}});
      } else {
        st.push_back({"DELETE FROM objects WHERE type = $1 AND dbid = $2",
                      {Param::Int(w.type), Param::Int(w.dbid)}});
      }
    }
    for (const HistoryRow& h : batch.history) {
      st.push_back({"INSERT INTO history(revision, committed_at_us, data) VALUES($1, $2, $3)",
                    {Param::Int(h.revision), Param::Int(h.committed_at_us), Param::Bytes(h.data)}});
    }
    for (const auto& [type, next] : batch.next_dbid) {
      st.push_back(
          {"INSERT INTO sequences(type, next_dbid) VALUES($1, $2) ON CONFLICT(type) DO "
           "UPDATE SET next_dbid = EXCLUDED.next_dbid",
           {Param::Int(type), Param::Int(next)}});
    }
    st.push_back({kPutMeta, {Param::Text("revision"), Param::Bytes(absl::StrCat(batch.revision))}});
    st.push_back({kPutMeta, {Param::Text("revision_hash"), Param::Bytes(batch.revision_hash)}});
    st.push_back({"COMMIT", {}});
    absl::StatusOr<pg::PipelineResult> result = Write(st);
    if (result.ok() && !result->cancelled && SetAlarm(kWaitAlarm, "")) {
      spdlog::warn("a synchronous standby confirms commits again");
    }
    return MarkLeaseLost(result.status());
  }

  absl::StatusOr<HistoryChunk> ReadHistory(int64_t after_revision, int64_t limit) override {
    return WithReader<HistoryChunk>(
        [&](Connection& c) { return ReadHistoryOn(c, after_revision, limit); });
  }

  absl::StatusOr<HistoryChunk> ReadHistoryOn(Connection& c, int64_t after_revision, int64_t limit) {
    Connection* conn = &c;
    auto result = [&]() -> absl::StatusOr<HistoryChunk> {
      TANDEM_RETURN_IF_ERROR(conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
      HistoryChunk chunk;
      TANDEM_ASSIGN_OR_RETURN(pg::Result min, conn->Query("SELECT MIN(revision) FROM history"));
      if (min.IsNull(0, 0)) {
        TANDEM_ASSIGN_OR_RETURN(Meta meta, ReadMetaFrom(*conn));
        chunk.oldest_revision = meta.revision + 1;
      } else {
        chunk.oldest_revision = min.Int(0, 0);
      }
      TANDEM_ASSIGN_OR_RETURN(
          pg::Result rows,
          conn->Query("SELECT revision, committed_at_us, data FROM history WHERE revision > $1 "
                      "ORDER BY revision LIMIT $2",
                      {Param::Int(after_revision), Param::Int(limit)}));
      for (int i = 0; i < rows.rows(); ++i) {
        chunk.rows.push_back({rows.Int(i, 0), rows.Int(i, 1), std::string(rows.Bytes(i, 2))});
      }
      TANDEM_RETURN_IF_ERROR(conn->Exec("COMMIT"));
      return chunk;
    }();
    if (!result.ok()) (void)conn->Exec("ROLLBACK");
    return result;
  }

  absl::StatusOr<int64_t> PruneHistory(int64_t keep_from_revision, int64_t keep_after_us,
                                       int64_t max_rows) override {
    TANDEM_RETURN_IF_ERROR(EnsureWriter());
    WatchDegraded();
    // Also bounded: deleting rows commits, and a commit can wait for ever for
    // a synchronous standby.
    const auto [holder, epoch] = HeldLease();
    pg::Statements st = {{"BEGIN", {}}};
    if (epoch != 0) st.push_back({LeaseGuard(holder, epoch), {}});
    st.push_back(
        {"WITH doomed AS (SELECT revision FROM history WHERE revision < $1 OR "
         "committed_at_us < $2 ORDER BY revision LIMIT $3) DELETE FROM history h "
         "USING doomed WHERE h.revision = doomed.revision RETURNING h.revision",
         {Param::Int(keep_from_revision), Param::Int(keep_after_us), Param::Int(max_rows)}});
    st.push_back({"COMMIT", {}});
    absl::StatusOr<pg::PipelineResult> r = Write(st);
    if (!r.ok()) return MarkLeaseLost(r.status());
    // Rows per statement: BEGIN, [guard,] DELETE, COMMIT.
    return r->rows.size() >= 3 ? r->rows[r->rows.size() - 2] : 0;
  }

  std::string Describe() const override {
    absl::MutexLock lock(&describe_mu_);
    return describe_;
  }

  absl::StatusOr<Lease> ReadLease() override {
    return WithReader<Lease>([](Connection& c) -> absl::StatusOr<Lease> {
      TANDEM_ASSIGN_OR_RETURN(pg::Result r,
                              c.Query(absl::StrCat("SELECT holder, address, epoch, expires_at_us, ",
                                                   kNowUs, " FROM lease WHERE id = 1")));
      return LeaseFrom(r);
    });
  }

  absl::StatusOr<Lease> AcquireLease(const std::string& holder, const std::string& address,
                                     absl::Duration duration) override {
    TANDEM_RETURN_IF_ERROR(ValidHolder(holder));
    TANDEM_ASSIGN_OR_RETURN(
        Lease lease, WithReader<Lease>([&](Connection& c) -> absl::StatusOr<Lease> {
          // One statement: the row lock makes concurrent takeovers (and
          // commits in progress, FOR SHARE) take turns.
          TANDEM_ASSIGN_OR_RETURN(
              pg::Result r,
              c.Query(absl::StrCat("UPDATE lease SET holder = $1, address = $2, epoch = epoch + "
                                   "1, expires_at_us = ",
                                   kNowUs, " + $3 WHERE id = 1 AND (expires_at_us <= ", kNowUs,
                                   " OR holder = $1) RETURNING holder, address, epoch, "
                                   "expires_at_us, ",
                                   kNowUs),
                      {Param::Text(holder), Param::Text(address),
                       Param::Int(absl::ToInt64Microseconds(duration))}));
          if (r.rows() == 1) return LeaseFrom(r);
          TANDEM_ASSIGN_OR_RETURN(
              pg::Result cur, c.Query(absl::StrCat("SELECT holder, address, epoch, expires_at_us, ",
                                                   kNowUs, " FROM lease WHERE id = 1")));
          TANDEM_ASSIGN_OR_RETURN(Lease other, LeaseFrom(cur));
          return absl::FailedPreconditionError(absl::StrCat(
              "the master lease is held by '", other.holder, "' (", other.address, ", epoch ",
              other.epoch, ") for another ", (other.expires_at_us - other.now_us) / 1000, " ms"));
        }));
    absl::MutexLock lock(&lease_mu_);
    held_holder_ = holder;
    held_epoch_ = lease.epoch;
    return lease;
  }

  absl::StatusOr<Lease> RenewLease(absl::Duration duration) override {
    const auto [holder, epoch] = HeldLease();
    if (epoch == 0) return absl::FailedPreconditionError("no lease to renew: acquire first");
    return WithReader<Lease>([&](Connection& c) -> absl::StatusOr<Lease> {
      TANDEM_ASSIGN_OR_RETURN(
          pg::Result r,
          c.Query(absl::StrCat("UPDATE lease SET expires_at_us = ", kNowUs,
                               " + $3 WHERE id = 1 AND holder = $1 AND epoch = $2 RETURNING "
                               "holder, address, epoch, expires_at_us, ",
                               kNowUs),
                  {Param::Text(holder), Param::Int(epoch),
                   Param::Int(absl::ToInt64Microseconds(duration))}));
      if (r.rows() == 1) return LeaseFrom(r);
      TANDEM_ASSIGN_OR_RETURN(pg::Result cur,
                              c.Query("SELECT holder, epoch FROM lease WHERE id = 1"));
      return LeaseLostError(absl::StrCat("the master lease (epoch ", epoch, ") was taken over by '",
                                         cur.Bytes(0, 0), "' (epoch ", cur.Int(0, 1), ")"));
    });
  }

  std::vector<std::string> Alarms() const override {
    absl::MutexLock lock(&alarm_mu_);
    std::vector<std::string> out;
    for (const auto& [key, text] : alarms_) out.push_back(text);
    return out;
  }

 private:
  enum AlarmKey { kWaitAlarm, kDegradedAlarm };

  std::pair<std::string, int64_t> HeldLease() {
    absl::MutexLock lock(&lease_mu_);
    return {held_holder_, held_epoch_};
  }

  // Node names end up inside SQL text (the guard): letters, digits, - _ . only.
  static absl::Status ValidHolder(const std::string& holder) {
    if (holder.empty() || holder.size() > 63 ||
        holder.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                 "-_.") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("node name '", holder, "' must be 1-63 letters, digits, '-', '_' or '.'"));
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<Lease> LeaseFrom(const pg::Result& r) {
    if (r.rows() != 1) return absl::DataLossError("the lease row is missing");
    Lease lease;
    lease.holder = std::string(r.Bytes(0, 0));
    lease.address = std::string(r.Bytes(0, 1));
    lease.epoch = r.Int(0, 2);
    lease.expires_at_us = r.Int(0, 3);
    lease.now_us = r.Int(0, 4);
    return lease;
  }

  // Runs a writing pipeline, waiting at most sync_commit_timeout for its
  // results; then the backend is cancelled. A transaction cancelled before it
  // committed rolled back: an ordinary failure. One cancelled while waiting
  // for the synchronous standby IS committed on this server: in "degrade"
  // mode that switches the session to asynchronous commits and succeeds, in
  // "wait" mode it returns CommittedNotReplicatedError.
  absl::StatusOr<pg::PipelineResult> Write(const pg::Statements& st) {
    const absl::Duration timeout = options_.sync_commit_timeout;
    pg::PipelineResult r = writer_->PipelineUntil(st, absl::Now() + timeout);
    if (!r.status.ok()) {
      writer_->RollbackIfOpen();
      if (!r.cancelled) return r.status;
      return absl::DeadlineExceededError(
          absl::StrCat("the transaction did not finish within ", absl::FormatDuration(timeout),
                       " ([storage] sync_commit_timeout_s) and was cancelled, so it rolled back: ",
                       r.status.message()));
    }
    if (!r.cancelled) return r;
    if (options_.on_sync_standby_lost == OnSyncStandbyLost::kDegrade) {
      Degrade();
      return r;
    }
    const std::string what = absl::StrCat(
        "no synchronous standby confirmed a commit within ", absl::FormatDuration(timeout),
        " ([storage] sync_commit_timeout_s); each write waits that long and is reported as not "
        "replicated (on_sync_standby_lost = \"wait\"); run `tandemctl db status`");
    if (SetAlarm(kWaitAlarm, what)) spdlog::error("{}", what);
    return CommittedNotReplicatedError(absl::StrCat(
        "committed on the primary ", Describe(), " but no synchronous standby confirmed it within ",
        absl::FormatDuration(timeout)));
  }

  // Commits stop waiting for a synchronous standby: this session only, the
  // server's configuration is untouched.
  void Degrade() {
    const absl::Time now = absl::Now();
    if (!degraded_) {
      degraded_ = true;
      degraded_since_ = now;
      last_recheck_ = now;
      last_alarm_log_ = now;
      spdlog::error("{}", SetDegradedAlarm());
    }
    absl::Status st = writer_->Exec("SET synchronous_commit = local");
    if (!st.ok()) {
      spdlog::warn("cannot switch to asynchronous commits (will retry): {}", st.message());
    }
  }

  std::string SetDegradedAlarm() {
    std::string text = absl::StrCat(
        "synchronous replication degraded since ",
        absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", degraded_since_, absl::UTCTimeZone()),
        ": no synchronous standby confirmed a commit within ",
        absl::FormatDuration(options_.sync_commit_timeout),
        ", so confserv commits on the primary only (synchronous_commit = local) until one "
        "streams again (on_sync_standby_lost = \"degrade\"); run `tandemctl db status`");
    SetAlarm(kDegradedAlarm, text);
    return text;
  }

  // While degraded (writer thread, on each commit or prune): repeats the
  // alarm in the log and restores synchronous commits once a synchronous
  // standby streams again.
  void WatchDegraded() {
    if (!degraded_) return;
    const absl::Time now = absl::Now();
    if (now - last_alarm_log_ >= kAlarmRepeat) {
      last_alarm_log_ = now;
      spdlog::error("still degraded: {}", SetDegradedAlarm());
    }
    if (now - last_recheck_ < kRecheckInterval) return;
    last_recheck_ = now;
    auto streaming = WithReader<bool>([](Connection& c) -> absl::StatusOr<bool> {
      TANDEM_ASSIGN_OR_RETURN(pg::Result r, c.Query(kSyncStandbyStreaming));
      return r.Int(0, 0) == 1;
    });
    if (!streaming.ok()) {
      spdlog::warn("cannot check for a synchronous standby (will retry): {}",
                   streaming.status().message());
      return;
    }
    if (!*streaming) return;
    if (absl::Status st = writer_->Exec("RESET synchronous_commit"); !st.ok()) {
      spdlog::warn("cannot restore synchronous commits (will retry): {}", st.message());
      return;
    }
    degraded_ = false;
    SetAlarm(kDegradedAlarm, "");
    spdlog::warn(
        "a synchronous standby is streaming again: commits wait for it again "
        "(synchronous_commit restored after {} degraded)",
        absl::FormatDuration(absl::Trunc(now - degraded_since_, absl::Seconds(1))));
  }

  // Sets (or with empty text clears) an alarm; true if it was raised or
  // cleared by this call (not merely reworded).
  bool SetAlarm(AlarmKey key, std::string text) {
    absl::MutexLock lock(&alarm_mu_);
    if (text.empty()) return alarms_.erase(key) > 0;
    return alarms_.insert_or_assign(key, std::move(text)).second;
  }

  // A broken writer connection is replaced on the next write; with several
  // hosts and target_session_attrs=read-write that finds the new primary.
  // (A commit whose outcome was lost with the connection is caught by the
  // committer, which compares the stored revision with its own.)
  absl::Status EnsureWriter() {
    if (writer_->ok()) return absl::OkStatus();
    TANDEM_ASSIGN_OR_RETURN(auto fresh, Connection::Open(conninfo_));
    writer_ = std::move(fresh);
    // With several hosts this may be another server now (a DBMS failover).
    const std::string now = absl::StrCat("postgres:", writer_->Describe());
    if (now != Describe()) {
      spdlog::warn("the Configuration Database writer reconnected to {} (was {})", now, Describe());
      SetDescribe(now);
    }
    if (degraded_) Degrade();
    return absl::OkStatus();
  }

  void SetDescribe(std::string d) {
    absl::MutexLock lock(&describe_mu_);
    describe_ = std::move(d);
  }

  absl::Status Migrate() {
    TANDEM_ASSIGN_OR_RETURN(
        pg::Result tables,
        writer_->Query("SELECT COUNT(*), COUNT(*) FILTER (WHERE table_name = 'meta') FROM "
                       "information_schema.tables WHERE table_schema = current_schema()"));
    const int64_t count = tables.Int(0, 0), has_meta = tables.Int(0, 1);
    int64_t version = 0;
    if (has_meta == 1) {
      TANDEM_ASSIGN_OR_RETURN(MetaWithTag meta, ReadMetaFrom(*writer_));
      if (meta.application != kApplicationTag) {
        return absl::FailedPreconditionError(
            absl::StrCat(Describe(),
                         " has a table 'meta' that is not Tandem's; point [storage] conninfo at "
                         "an empty database or create one with `tandemctl db init`"));
      }
      version = meta.schema_version;
    } else if (count > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(Describe(), " is not a Tandem configuration database (its schema has ",
                       count, " other tables); point [storage] conninfo at an empty database"));
    }
    TANDEM_RETURN_IF_ERROR(CheckSchemaNotNewer(Describe(), version));
    for (int64_t v = version; v < kSchemaVersion; ++v) {
      std::vector<std::pair<std::string, std::vector<Param>>> st;
      st.push_back({"BEGIN", {}});
      st.push_back({kMigrations[v], {}});
      if (v == 0) {
        st.push_back({kPutMeta, {Param::Text("application"), Param::Bytes(kApplicationTag)}});
        st.push_back({kPutMeta, {Param::Text("history_id"), Param::Bytes(RandomId())}});
        st.push_back({kPutMeta, {Param::Text("revision"), Param::Bytes("0")}});
        st.push_back(
            {kPutMeta, {Param::Text("revision_hash"), Param::Bytes(std::string(32, '\0'))}});
      }
      st.push_back({kPutMeta, {Param::Text("schema_version"), Param::Bytes(absl::StrCat(v + 1))}});
      st.push_back({"COMMIT", {}});
      absl::Status status = RunMigration(st);
      if (!status.ok()) {
        (void)writer_->Exec("ROLLBACK");
        return status;
      }
    }
    return absl::OkStatus();
  }

  absl::Status RunMigration(const std::vector<std::pair<std::string, std::vector<Param>>>& st) {
    for (const auto& [sql, params] : st) {
      if (params.empty()) {
        // DDL may hold several statements: run it through the simple protocol.
        TANDEM_RETURN_IF_ERROR(writer_->ExecScript(sql));
      } else {
        TANDEM_RETURN_IF_ERROR(writer_->Query(sql, params).status());
      }
    }
    return absl::OkStatus();
  }

  struct MetaWithTag : Meta {
    std::string application;
  };

  absl::StatusOr<MetaWithTag> ReadMetaFrom(Connection& c) {
    MetaWithTag meta;
    TANDEM_ASSIGN_OR_RETURN(pg::Result r, c.Query("SELECT key, value FROM meta"));
    for (int i = 0; i < r.rows(); ++i) {
      std::string key(r.Bytes(i, 0));
      std::string value(r.Bytes(i, 1));
      if (key == "schema_version" && !absl::SimpleAtoi(value, &meta.schema_version)) {
        return absl::DataLossError("meta.schema_version is not a number");
      }
      if (key == "revision" && !absl::SimpleAtoi(value, &meta.revision)) {
        return absl::DataLossError("meta.revision is not a number");
      }
      if (key == "history_id") meta.history_id = value;
      if (key == "revision_hash") meta.revision_hash = value;
      if (key == "application") meta.application = value;
    }
    TANDEM_ASSIGN_OR_RETURN(pg::Result seq, c.Query("SELECT type, next_dbid FROM sequences"));
    for (int i = 0; i < seq.rows(); ++i) {
      meta.next_dbid[static_cast<int>(seq.Int(i, 0))] = seq.Int(i, 1);
    }
    return meta;
  }

  // Runs fn on a pooled reader; a reader broken since its last use (e.g. the
  // DBMS restarted) is replaced and fn tried once more.
  template <typename T, typename Fn>
  absl::StatusOr<T> WithReader(Fn fn) {
    for (int attempt = 0;; ++attempt) {
      TANDEM_ASSIGN_OR_RETURN(auto conn, Borrow());
      absl::StatusOr<T> result = fn(*conn);
      Return(std::move(conn), result.status());
      if (result.ok() || result.status().code() != absl::StatusCode::kUnavailable || attempt > 0) {
        return result;
      }
    }
  }

  absl::StatusOr<std::unique_ptr<Connection>> Borrow() { return pool_.Borrow(); }

  // Broken connections are dropped, not pooled.
  void Return(std::unique_ptr<Connection> c, const absl::Status& last) {
    if (last.code() == absl::StatusCode::kUnavailable || !c->ok()) return;
    pool_.Return(std::move(c));
  }

  const PostgresOptions options_;
  const std::string conninfo_;
  absl::Mutex lease_mu_;
  std::string held_holder_ ABSL_GUARDED_BY(lease_mu_);
  int64_t held_epoch_ ABSL_GUARDED_BY(lease_mu_) = 0;
  mutable absl::Mutex describe_mu_;
  std::string describe_ ABSL_GUARDED_BY(describe_mu_);
  std::unique_ptr<Connection> writer_;
  // Writer thread only: commits are asynchronous since degraded_since_.
  bool degraded_ = false;
  absl::Time degraded_since_;
  absl::Time last_recheck_;
  absl::Time last_alarm_log_;
  mutable absl::Mutex alarm_mu_;
  std::map<AlarmKey, std::string> alarms_ ABSL_GUARDED_BY(alarm_mu_);
  ConnectionPool<Connection> pool_{[this] { return Connection::Open(conninfo_); }, 8};
};

}  // namespace

absl::StatusOr<StoragePtr> OpenPostgres(const PostgresOptions& options) {
  if (options.conninfo.empty()) {
    return absl::InvalidArgumentError(
        "[storage] conninfo is empty: give a libpq connection string, e.g. "
        "\"host=db1,db2 dbname=tandem target_session_attrs=read-write\"");
  }
  if (options.sync_commit_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "[storage] sync_commit_timeout_s must be positive: it bounds how long a commit waits "
        "for a synchronous standby");
  }
  auto s = std::make_unique<PostgresStorage>(options);
  TANDEM_RETURN_IF_ERROR(s->Init());
  return StoragePtr(std::move(s));
}

}  // namespace tandem::storage
