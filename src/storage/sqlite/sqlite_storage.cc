// SQLite Configuration Database: WAL mode, synchronous=FULL, one writer
// connection (the committer's thread) and a pool of reader connections.
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "storage/connection_pool.h"
#include "storage/sqlite/sqlite_db.h"
#include "tandem/storage/storage.h"

namespace tandem::storage {
namespace {

using sqlite::Connection;
using sqlite::Statement;

// Each entry migrates from version i to i+1; index 0 creates version 1.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE objects(
  type INTEGER NOT NULL, dbid INTEGER NOT NULL, tenant_dbid INTEGER NOT NULL,
  name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY(type, dbid)) WITHOUT ROWID;
CREATE TABLE history(
  revision INTEGER PRIMARY KEY, committed_at_us INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX history_time ON history(committed_at_us);
CREATE TABLE sequences(type INTEGER PRIMARY KEY, next_dbid INTEGER NOT NULL);
)sql",
    R"sql(
CREATE TABLE lease(id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL,
  address TEXT NOT NULL, epoch INTEGER NOT NULL, expires_at_us INTEGER NOT NULL);
INSERT INTO lease VALUES(1, '', '', 0, 0);
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

absl::Status Configure(Connection& c) {
  TANDEM_RETURN_IF_ERROR(c.Exec("PRAGMA journal_mode=WAL"));
  TANDEM_RETURN_IF_ERROR(c.Exec("PRAGMA synchronous=FULL"));
  TANDEM_RETURN_IF_ERROR(c.Exec("PRAGMA foreign_keys=OFF"));
  return absl::OkStatus();
}

class SqliteStorage final : public Storage {
 public:
  explicit SqliteStorage(std::string path) : path_(std::move(path)) {}

  absl::Status Init(bool create) {
    TANDEM_ASSIGN_OR_RETURN(writer_, Connection::Open(path_, create));
    TANDEM_RETURN_IF_ERROR(Configure(*writer_));
    TANDEM_RETURN_IF_ERROR(Migrate());
    TANDEM_ASSIGN_OR_RETURN(put_object_,
                            writer_->Prepare("INSERT OR REPLACE INTO objects(type, dbid, "
                                             "tenant_dbid, name, data) VALUES(?,?,?,?,?)"));
    TANDEM_ASSIGN_OR_RETURN(del_object_,
                            writer_->Prepare("DELETE FROM objects WHERE type=? AND dbid=?"));
    TANDEM_ASSIGN_OR_RETURN(
        put_history_,
        writer_->Prepare("INSERT INTO history(revision, committed_at_us, data) VALUES(?,?,?)"));
    TANDEM_ASSIGN_OR_RETURN(
        put_sequence_,
        writer_->Prepare("INSERT OR REPLACE INTO sequences(type, next_dbid) VALUES(?,?)"));
    TANDEM_ASSIGN_OR_RETURN(
        put_meta_, writer_->Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?,?)"));
    // Every commit of an HA primary reads the lease: prepared once.
    TANDEM_ASSIGN_OR_RETURN(read_lease_, writer_->Prepare(kReadLease));
    return absl::OkStatus();
  }

  absl::StatusOr<Meta> ReadMeta() override {
    TANDEM_ASSIGN_OR_RETURN(auto conn, Borrow());
    auto result = ReadMetaFrom(*conn);
    Return(std::move(conn));
    return result;
  }

  absl::Status ScanObjects(const std::function<absl::Status(absl::string_view)>& fn) override {
    TANDEM_ASSIGN_OR_RETURN(auto conn, Borrow());
    absl::Status status = [&]() -> absl::Status {
      TANDEM_ASSIGN_OR_RETURN(auto stmt,
                              conn->Prepare("SELECT data FROM objects ORDER BY type, dbid"));
      while (true) {
        TANDEM_ASSIGN_OR_RETURN(bool row, stmt->Step());
        if (!row) return absl::OkStatus();
        TANDEM_RETURN_IF_ERROR(fn(stmt->Blob(0)));
      }
    }();
    Return(std::move(conn));
    return status;
  }

  absl::Status Commit(const CommitBatch& batch) override {
    absl::MutexLock writer_lock(&writer_mu_);
    TANDEM_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
    absl::Status status = CheckLeaseHeld();
    if (status.ok()) status = WriteBatch(batch);
    if (status.ok()) status = writer_->Exec("COMMIT");
    if (!status.ok()) {
      // The transaction may already be rolled back by SQLite; ignore that error.
      sqlite3_exec(writer_->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return status;
  }

  absl::StatusOr<HistoryChunk> ReadHistory(int64_t after_revision, int64_t limit) override {
    TANDEM_ASSIGN_OR_RETURN(auto conn, Borrow());
    auto result = [&]() -> absl::StatusOr<HistoryChunk> {
      TANDEM_RETURN_IF_ERROR(conn->Exec("BEGIN"));
      HistoryChunk chunk;
      absl::Status st = [&]() -> absl::Status {
        TANDEM_ASSIGN_OR_RETURN(auto min, conn->Prepare("SELECT MIN(revision) FROM history"));
        TANDEM_ASSIGN_OR_RETURN(bool row, min->Step());
        int64_t oldest = row ? min->Int(0) : 0;  // NULL (empty history) reads as 0
        if (oldest == 0) {
          TANDEM_ASSIGN_OR_RETURN(Meta meta, ReadMetaFrom(*conn));
          oldest = meta.revision + 1;
        }
        chunk.oldest_revision = oldest;
        TANDEM_ASSIGN_OR_RETURN(auto stmt,
                                conn->Prepare("SELECT revision, committed_at_us, data FROM history "
                                              "WHERE revision > ? ORDER BY revision LIMIT ?"));
        stmt->Bind(1, after_revision);
        stmt->Bind(2, limit);
        while (true) {
          TANDEM_ASSIGN_OR_RETURN(bool more, stmt->Step());
          if (!more) break;
          chunk.rows.push_back(HistoryRow{stmt->Int(0), stmt->Int(1), std::string(stmt->Blob(2))});
        }
        return absl::OkStatus();
      }();
      sqlite3_exec(conn->raw(), "COMMIT", nullptr, nullptr, nullptr);
      if (!st.ok()) return st;
      return chunk;
    }();
    Return(std::move(conn));
    return result;
  }

  absl::StatusOr<int64_t> PruneHistory(int64_t keep_from_revision, int64_t keep_after_us,
                                       int64_t max_rows) override {
    // One statement, its own transaction: check the lease first (a backup
    // that took over may prune too, and that is harmless; a stale primary
    // must not write at all).
    absl::MutexLock writer_lock(&writer_mu_);
    TANDEM_RETURN_IF_ERROR(CheckLeaseHeld());
    TANDEM_ASSIGN_OR_RETURN(
        auto stmt, writer_->Prepare("DELETE FROM history WHERE revision IN (SELECT revision FROM "
                                    "history WHERE revision < ? OR committed_at_us < ? ORDER BY "
                                    "revision LIMIT ?)"));
    stmt->Bind(1, keep_from_revision);
    stmt->Bind(2, keep_after_us);
    stmt->Bind(3, max_rows);
    TANDEM_RETURN_IF_ERROR(stmt->Run());
    return static_cast<int64_t>(sqlite3_changes(writer_->raw()));
  }

  absl::StatusOr<Lease> ReadLease() override {
    absl::MutexLock lock(&lease_mu_);
    TANDEM_RETURN_IF_ERROR(OpenLeaseConnection());
    return ReadLeaseFrom(*lease_conn_);
  }

  absl::StatusOr<Lease> AcquireLease(const std::string& holder, const std::string& address,
                                     absl::Duration duration) override {
    // On the writer connection, in turn with commits: lease writes never
    // queue behind this process's own commits at the SQLite lock.
    absl::MutexLock writer_lock(&writer_mu_);
    absl::MutexLock lock(&lease_mu_);
    TANDEM_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
    absl::StatusOr<Lease> result = [&]() -> absl::StatusOr<Lease> {
      TANDEM_ASSIGN_OR_RETURN(Lease lease, ReadLeaseWith(*read_lease_));
      if (!lease.expired() && lease.holder != holder) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the master lease is held by '", lease.holder, "' (", lease.address, ", epoch ",
            lease.epoch, ") for another ", (lease.expires_at_us - lease.now_us) / 1000, " ms"));
      }
      lease.holder = holder;
      lease.address = address;
      lease.epoch += 1;
      lease.expires_at_us = lease.now_us + absl::ToInt64Microseconds(duration);
      TANDEM_RETURN_IF_ERROR(WriteLease(*writer_, lease));
      return lease;
    }();
    EndLeaseTransaction(result);
    if (result.ok()) {
      held_holder_ = holder;
      held_epoch_ = result->epoch;
    }
    return result;
  }

  absl::StatusOr<Lease> RenewLease(absl::Duration duration) override {
    absl::MutexLock writer_lock(&writer_mu_);
    absl::MutexLock lock(&lease_mu_);
    if (held_epoch_ == 0) return absl::FailedPreconditionError("no lease to renew: acquire first");
    TANDEM_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
    absl::StatusOr<Lease> result = [&]() -> absl::StatusOr<Lease> {
      TANDEM_ASSIGN_OR_RETURN(Lease lease, ReadLeaseWith(*read_lease_));
      if (lease.holder != held_holder_ || lease.epoch != held_epoch_) {
        return LeaseLostError(absl::StrCat("the master lease (epoch ", held_epoch_,
                                           ") was taken over by '", lease.holder, "' (epoch ",
                                           lease.epoch, ")"));
      }
      lease.expires_at_us = lease.now_us + absl::ToInt64Microseconds(duration);
      TANDEM_RETURN_IF_ERROR(WriteLease(*writer_, lease));
      return lease;
    }();
    EndLeaseTransaction(result);
    return result;
  }

  std::string Describe() const override { return absl::StrCat("sqlite:", path_); }

 private:
  absl::Status WriteBatch(const CommitBatch& batch) {
    for (const ObjectWrite& w : batch.objects) {
      if (w.data.has_value()) {
        put_object_->Reset();
        put_object_->Bind(1, w.type);
        put_object_->Bind(2, w.dbid);
        put_object_->Bind(3, w.tenant_dbid);
        put_object_->BindText(4, w.name);
        put_object_->BindBlob(5, *w.data);
        TANDEM_RETURN_IF_ERROR(put_object_->Run());
      } else {
        del_object_->Reset();
        del_object_->Bind(1, w.type);
        del_object_->Bind(2, w.dbid);
        TANDEM_RETURN_IF_ERROR(del_object_->Run());
      }
    }
    for (const HistoryRow& h : batch.history) {
      put_history_->Reset();
      put_history_->Bind(1, h.revision);
      put_history_->Bind(2, h.committed_at_us);
      put_history_->BindBlob(3, h.data);
      TANDEM_RETURN_IF_ERROR(put_history_->Run());
    }
    for (const auto& [type, next] : batch.next_dbid) {
      put_sequence_->Reset();
      put_sequence_->Bind(1, type);
      put_sequence_->Bind(2, next);
      TANDEM_RETURN_IF_ERROR(put_sequence_->Run());
    }
    std::string rev = absl::StrCat(batch.revision);
    TANDEM_RETURN_IF_ERROR(PutMeta("revision", rev));
    return PutMeta("revision_hash", batch.revision_hash);
  }

  absl::Status PutMeta(absl::string_view key, absl::string_view value) {
    put_meta_->Reset();
    put_meta_->BindText(1, key);
    put_meta_->BindBlob(2, value);
    return put_meta_->Run();
  }

  absl::StatusOr<int64_t> TableCount(Connection& c, absl::string_view where) {
    TANDEM_ASSIGN_OR_RETURN(auto stmt,
                            c.Prepare(absl::StrCat("SELECT COUNT(*) FROM sqlite_master ", where)));
    TANDEM_ASSIGN_OR_RETURN(bool row, stmt->Step());
    return row ? stmt->Int(0) : 0;
  }

  absl::Status Migrate() {
    TANDEM_ASSIGN_OR_RETURN(int64_t tables, TableCount(*writer_, "WHERE type='table'"));
    TANDEM_ASSIGN_OR_RETURN(int64_t meta_tables,
                            TableCount(*writer_, "WHERE type='table' AND name='meta'"));
    int64_t version = 0;
    if (meta_tables == 1) {
      TANDEM_ASSIGN_OR_RETURN(Meta meta, ReadMetaFrom(*writer_));
      version = meta.schema_version;
    } else if (tables > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "'", path_, "' is an SQLite database but not a Tandem configuration database (it has ",
          tables, " other tables); point [storage] path at a new file"));
    }
    TANDEM_RETURN_IF_ERROR(CheckSchemaNotNewer(absl::StrCat("'", path_, "'"), version));
    for (int64_t v = version; v < kSchemaVersion; ++v) {
      TANDEM_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
      absl::Status st = writer_->Exec(kMigrations[v]);
      if (st.ok() && v == 0) {
        st = PutMeta0("application", kApplicationTag);
        if (st.ok()) st = PutMeta0("history_id", RandomId());
        if (st.ok()) st = PutMeta0("revision", "0");
        if (st.ok()) st = PutMeta0("revision_hash", std::string(32, '\0'));
      }
      if (st.ok()) st = PutMeta0("schema_version", absl::StrCat(v + 1));
      if (st.ok()) st = writer_->Exec("COMMIT");
      if (!st.ok()) {
        sqlite3_exec(writer_->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
        return st;
      }
    }
    return absl::OkStatus();
  }

  // PutMeta before put_meta_ is prepared (during migrations).
  absl::Status PutMeta0(absl::string_view key, absl::string_view value) {
    TANDEM_ASSIGN_OR_RETURN(
        auto stmt, writer_->Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?,?)"));
    stmt->BindText(1, key);
    stmt->BindBlob(2, value);
    return stmt->Run();
  }

  absl::StatusOr<Meta> ReadMetaFrom(Connection& c) {
    Meta meta;
    TANDEM_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT key, value FROM meta"));
    while (true) {
      TANDEM_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      std::string key(stmt->Blob(0));
      std::string value(stmt->Blob(1));
      if (key == "schema_version") {
        if (!absl::SimpleAtoi(value, &meta.schema_version)) {
          return absl::DataLossError("meta.schema_version is not a number");
        }
      } else if (key == "revision") {
        if (!absl::SimpleAtoi(value, &meta.revision)) {
          return absl::DataLossError("meta.revision is not a number");
        }
      } else if (key == "history_id") {
        meta.history_id = value;
      } else if (key == "revision_hash") {
        meta.revision_hash = value;
      }
    }
    TANDEM_ASSIGN_OR_RETURN(auto seq, c.Prepare("SELECT type, next_dbid FROM sequences"));
    while (true) {
      TANDEM_ASSIGN_OR_RETURN(bool row, seq->Step());
      if (!row) break;
      meta.next_dbid[static_cast<int>(seq->Int(0))] = seq->Int(1);
    }
    return meta;
  }

  // COMMIT, or ROLLBACK on failure (also when COMMIT itself failed, so that
  // no transaction stays open holding the write lock).
  void EndLeaseTransaction(absl::StatusOr<Lease>& result) {
    if (result.ok()) {
      absl::Status end = writer_->Exec("COMMIT");
      if (end.ok()) return;
      result = end;
    }
    sqlite3_exec(writer_->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  absl::Status OpenLeaseConnection() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lease_mu_) {
    if (lease_conn_ != nullptr) return absl::OkStatus();
    TANDEM_ASSIGN_OR_RETURN(lease_conn_, Connection::Open(path_, false));
    return Configure(*lease_conn_);
  }

  static constexpr char kReadLease[] =
      "SELECT holder, address, epoch, expires_at_us FROM lease WHERE id = 1";

  static absl::StatusOr<Lease> ReadLeaseFrom(Connection& c) {
    TANDEM_ASSIGN_OR_RETURN(auto stmt, c.Prepare(kReadLease));
    return ReadLeaseWith(*stmt);
  }

  // With a prepared kReadLease; leaves it reset.
  static absl::StatusOr<Lease> ReadLeaseWith(Statement& stmt) {
    stmt.Reset();
    TANDEM_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::DataLossError("the lease row is missing");
    Lease lease;
    lease.holder = std::string(stmt.Blob(0));
    lease.address = std::string(stmt.Blob(1));
    lease.epoch = stmt.Int(2);
    lease.expires_at_us = stmt.Int(3);
    stmt.Reset();
    // Both servers of an SQLite pair run on this host: its clock is the clock.
    lease.now_us = absl::ToUnixMicros(absl::Now());
    return lease;
  }

  static absl::Status WriteLease(Connection& c, const Lease& lease) {
    TANDEM_ASSIGN_OR_RETURN(auto stmt,
                            c.Prepare("UPDATE lease SET holder = ?, address = ?, epoch = ?, "
                                      "expires_at_us = ? WHERE id = 1"));
    stmt->BindText(1, lease.holder);
    stmt->BindText(2, lease.address);
    stmt->Bind(3, lease.epoch);
    stmt->Bind(4, lease.expires_at_us);
    return stmt->Run();
  }

  // Inside a write transaction (or just before a one-statement one): a
  // server that acquired the lease must still hold it, unexpired.
  absl::Status CheckLeaseHeld() {
    std::string holder;
    int64_t epoch;
    {
      absl::MutexLock lock(&lease_mu_);
      holder = held_holder_;
      epoch = held_epoch_;
    }
    if (epoch == 0) return absl::OkStatus();  // no HA pair
    TANDEM_ASSIGN_OR_RETURN(Lease lease, ReadLeaseWith(*read_lease_));
    if (lease.holder != holder || lease.epoch != epoch) {
      return LeaseLostError(absl::StrCat("this server's master lease (epoch ", epoch,
                                         ") was taken over by '", lease.holder, "' (epoch ",
                                         lease.epoch, "); the write was not applied"));
    }
    if (lease.expired()) {
      return LeaseLostError(absl::StrCat("this server's master lease (epoch ", epoch, ") expired ",
                                         (lease.now_us - lease.expires_at_us) / 1000,
                                         " ms ago; the write was not applied"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Connection>> Borrow() { return pool_.Borrow(); }
  void Return(std::unique_ptr<Connection> c) { pool_.Return(std::move(c)); }

  const std::string path_;
  std::unique_ptr<Connection> writer_;
  //! Serializes the writer connection between the committer (Commit,
  //! PruneHistory) and the lease calls.
  absl::Mutex writer_mu_;
  absl::Mutex lease_mu_;
  std::unique_ptr<Connection> lease_conn_ ABSL_GUARDED_BY(lease_mu_);
  std::string held_holder_ ABSL_GUARDED_BY(lease_mu_);
  int64_t held_epoch_ ABSL_GUARDED_BY(lease_mu_) = 0;
  std::unique_ptr<Statement> put_object_, del_object_, put_history_, put_sequence_, put_meta_,
      read_lease_;
  ConnectionPool<Connection> pool_{[this]() -> absl::StatusOr<std::unique_ptr<Connection>> {
                                     TANDEM_ASSIGN_OR_RETURN(auto c,
                                                             Connection::Open(path_, false));
                                     TANDEM_RETURN_IF_ERROR(c->Exec("PRAGMA query_only=ON"));
                                     return c;
                                   },
                                   16};
};

}  // namespace

absl::StatusOr<StoragePtr> OpenSqlite(const SqliteOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("[storage] path is empty: give the SQLite database file");
  }
  auto s = std::make_unique<SqliteStorage>(options.path);
  TANDEM_RETURN_IF_ERROR(s->Init(options.create));
  return StoragePtr(std::move(s));
}

}  // namespace tandem::storage
