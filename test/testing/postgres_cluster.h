// A real PostgreSQL 15 cluster for tests: initdb in a temporary directory as
// the `postgres` user, listening on a free loopback port; stopped and removed
// when the object dies.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "testing/temp_dir.h"

namespace tandem::testing {

class PostgresCluster {
 public:
  PostgresCluster() = default;
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  //! initdb + start; an error says what is missing (package, user).
  absl::Status Start();
  //! Instead of initdb: a streaming standby of `primary` (pg_basebackup -R),
  //! connecting as application_name `name`, started on its own port.
  absl::Status StartStandbyOf(const PostgresCluster& primary, const std::string& name);
  void Stop();
  //! Stops and starts the server again on the same port and data.
  absl::Status Restart();
  //! Creates a database; returns its conninfo.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);
  //! Runs SQL in a database with psql; returns its output.
  absl::StatusOr<std::string> Psql(const std::string& dbname, const std::string& sql);
  int port() const { return port_; }
  //! The data directory (owned by `postgres`).
  std::string data_dir() const { return dir_.file("data"); }
  //! Where its Unix socket is (beside the data directory).
  std::string socket_dir() const { return dir_.file("run"); }
  //! conninfo of the `postgres` database as superuser.
  std::string conninfo(const std::string& dbname = "postgres") const;
  bool running() const { return running_; }
  //! For a data directory another tool (tandemctl db replica create) makes:
  //! picks a port and makes the directory's parent reachable. Adopt() once
  //! the server runs; Stop/Restart then work as for Start.
  void Reserve();
  void Adopt() { running_ = true; }
  //! What Start passes to `pg_ctl start -o` (port, socket dir, listen).
  std::string server_options() const;
  //! Before Start: listen on these addresses too (default 127.0.0.1 only).
  void set_listen_addresses(std::string a) { listen_ = std::move(a); }

 private:
  absl::Status Launch();
  // The Unix socket directory, beside the data directory (owned by postgres).
  absl::Status MakeRunDir();

  TempDir dir_;
  int port_ = 0;
  bool running_ = false;
  std::string listen_ = "127.0.0.1";
};

}  // namespace tandem::testing
