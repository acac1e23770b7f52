#include "confserv/confserv_app.h"

#include <signal.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "confserv/config_database.h"
#include "net/config_service.h"
#include "net/grpc_server.h"
#include "spdlog/spdlog.h"

namespace tandem::confserv {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

absl::Status WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush())
      return absl::UnavailableError(absl::StrCat("cannot write port file '", tmp, "'"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename '", tmp, "' to '", path, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::Status RunConfServ(const ServerConfig& config) {
  const absl::Time t0 = absl::Now();
  TANDEM_ASSIGN_OR_RETURN(
      storage::StoragePtr storage,
      config.storage_backend == "postgres"
          ? storage::OpenPostgres({.conninfo = config.storage_conninfo,
                                   .sync_commit_timeout = config.sync_commit_timeout,
                                   .on_sync_standby_lost = config.on_sync_standby_lost})
          : storage::OpenSqlite({.path = config.storage_path, .create = true}));
  DatabaseOptions options;
  options.application_name = config.application;
  options.committer.retention = config.retention;
  TANDEM_ASSIGN_OR_RETURN(auto db, ConfigDatabase::Open(std::move(storage), options));
  net::ConfigServiceImpl service(*db);
  TANDEM_ASSIGN_OR_RETURN(auto server, net::GrpcServer::Start(config.listen, {&service}));
  spdlog::info("confserv '{}' serving on port {} (revision {}, {}, ready in {} ms)",
               config.application, server->port(), db->revision(), db->Info().storage(),
               absl::ToInt64Milliseconds(absl::Now() - t0));
  if (!config.port_file.empty()) {
    TANDEM_RETURN_IF_ERROR(WritePortFile(config.port_file, server->port()));
  }

  sigset_t set = TerminationSignals();
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {} received: shutting down (grace {} s)", sig,
               absl::ToInt64Seconds(config.shutdown_grace));
  // Watch streams end first so that Shutdown need not wait for them; writes
  // already accepted are committed before the committer stops.
  db->Stop();
  server->Shutdown(config.shutdown_grace);
  spdlog::info("confserv stopped at revision {}", db->revision());
  return absl::OkStatus();
}

}  // namespace tandem::confserv
