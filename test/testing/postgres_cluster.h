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
  void Stop();
  //! Stops and starts the server again on the same port and data.
  absl::Status Restart();
  //! Creates a database; returns its conninfo.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);
  //! Runs SQL in a database with psql; returns its output.
  absl::StatusOr<std::string> Psql(const std::string& dbname, const std::string& sql);
  int port() const { return port_; }

 private:
  absl::Status Launch();

  TempDir dir_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace tandem::testing
