// Thin RAII wrappers over libpq. Only code in src/storage/postgres uses them.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::storage::pg {

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
  //! Runs several ;-separated statements (the simple protocol; DDL scripts).
  absl::Status ExecScript(const std::string& sql);
  absl::StatusOr<Result> Query(const std::string& sql, const std::vector<Param>& params = {});
  //! Sends every statement in one pipeline (one round trip) and checks them
  //! all; the first failure is returned.
  absl::Status Pipeline(const std::vector<std::pair<std::string, std::vector<Param>>>& statements);
  absl::Status Error(absl::string_view what, const PGresult* r = nullptr) const;
  //! False once the connection is broken (server gone, network cut).
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  //! host:port of the server connected to, for messages.
  std::string Describe() const;

 private:
  explicit Connection(PGconn* c) : conn_(c) {}
  PGconn* conn_;
};

}  // namespace tandem::storage::pg
