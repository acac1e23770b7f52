// Thin RAII wrappers over libpq, for src/storage/postgres and the Log
// Database's PostgreSQL store (src/logdb/log_store_pg.cc).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::storage::pg {

//! A conninfo's settings (key=value words or a postgresql:// URI), as libpq
//! reads them; only those given. Empty if libpq cannot parse it.
std::map<std::string, std::string> ConninfoValues(const std::string& conninfo);

//! One statement parameter: text (ints, names) or binary (bytea).
struct Param {
  std::string value;
  bool binary = false;
  static Param Int(int64_t v) { return {std::to_string(v), false}; }
  static Param Text(absl::string_view v) { return {std::string(v), false}; }
  static Param Bytes(absl::string_view v) { return {std::string(v), true}; }
};

//! A query result in binary format.
class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  int rows() const { return PQntuples(r_); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  //! int8 (or int4) column in binary format.
  int64_t Int(int row, int col) const;
  absl::string_view Bytes(int row, int col) const {
    return absl::string_view(PQgetvalue(r_, row, col), PQgetlength(r_, row, col));
  }

 private:
  PGresult* r_;
};

using Statements = std::vector<std::pair<std::string, std::vector<Param>>>;

//! What a pipeline run with a deadline did.
struct PipelineResult {
  //! The first failure; OK if every statement succeeded.
  absl::Status status;
  //! The deadline passed and the backend was sent a cancel request (as
  //! pg_cancel_backend() does). With an OK status, a COMMIT in the pipeline
  //! committed locally but its wait for synchronous replication was cut short.
  bool cancelled = false;
  //! Per statement that succeeded: rows returned or affected.
  std::vector<int64_t> rows;
};

class Connection {
 public:
  //! Connects with TCP keep-alives and a user timeout so that a vanished
  //! DBMS host is noticed within seconds; `conninfo` (key=value or URI) wins
  //! over those defaults.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& conninfo);
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::Status Exec(const std::string& sql);
  //! Ends a transaction that a failure left open; nothing if none is.
  void RollbackIfOpen();
  //! Runs several ;-separated statements (the simple protocol; DDL scripts).
  absl::Status ExecScript(const std::string& sql);
  absl::StatusOr<Result> Query(const std::string& sql, const std::vector<Param>& params = {});
  //! Sends every statement in one pipeline (one round trip) and checks them
  //! all; the first failure is returned.
  absl::Status Pipeline(const Statements& statements);
  //! Like Pipeline, but results are awaited only until `deadline`; then the
  //! backend is cancelled (again every second until it answers) and the
  //! results are read to the sync point, so the connection stays usable.
  PipelineResult PipelineUntil(const Statements& statements, absl::Time deadline);
  absl::Status Error(absl::string_view what, const PGresult* r = nullptr) const;
  //! False once the connection is broken (server gone, network cut).
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  //! host:port of the server connected to, for messages.
  std::string Describe() const;

 private:
  explicit Connection(PGconn* c) : conn_(c) {}
  //! Waits until the socket is readable or `until` passes (false).
  absl::StatusOr<bool> WaitReadable(absl::Time until) const;
  //! Asks the server to cancel the running statement; false if it could not.
  bool Cancel() const;
  PGconn* conn_;
};

}  // namespace tandem::storage::pg
