#include "confserv/confserv_app.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/backend_directory.h"
#include "common/framework_events.h"
#include "common/listen_check.h"
#include "common/logging.h"
#include "common/periodic_thread.h"
#include "common/status_macros.h"
#include "confserv/config_database.h"
#include "confserv/ha_server.h"
#include "confserv/replication_watch.h"
#include "metrics/metrics_server.h"
#include "metrics/server_info_metrics.h"
#include "net/access_check.h"
#include "net/config_service.h"
#include "net/grpc_server.h"
#include "net/tls.h"
#include "spdlog/spdlog.h"
#include "tandem/client/log_client.h"

namespace tandem::confserv {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);  // HA: this server must stop (see `fatal`)
  return set;
}

// Where clients reach this server: [ha] advertise, else the listen address
// with the bound port (the host name for a wildcard address).
std::string Advertise(const ServerConfig& config, int port) {
  if (!config.ha.advertise.empty()) return config.ha.advertise;
  std::string host = config.listen.substr(0, config.listen.rfind(':'));
  if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    host = name;
  }
  return absl::StrCat(host, ":", port);
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::Status RunConfServ(const ServerConfig& config) {
  const absl::Time t0 = absl::Now();
  // Before the database is opened (or created): an address in use or
  // mistyped stops the start with nothing touched.
  TANDEM_RETURN_IF_ERROR(CheckListenAddress(config.listen, "[server] listen"));
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
  // HA pair: losing the master lease stops this process (the main thread
  // wakes on SIGUSR1 and shuts down), to rejoin as the backup on restart.
  struct Fatal {
    absl::Mutex mu;
    std::string reason ABSL_GUARDED_BY(mu);
  };
  auto stop_reason = std::make_shared<Fatal>();
  const pthread_t main_thread = pthread_self();
  auto fatal = [main_thread, stop_reason](const std::string& why) {
    {
      absl::MutexLock lock(&stop_reason->mu);
      stop_reason->reason = why;
    }
    pthread_kill(main_thread, SIGUSR1);
  };
  const bool ha = config.ha.enabled();
  if (ha) {
    options.committer.on_lease_lost = [fatal](const absl::Status& st) {
      fatal(absl::StrCat("lost the master lease: ", st.message(),
                         "; stopping (restart to rejoin as the backup)"));
    };
  }
  TANDEM_ASSIGN_OR_RETURN(
      auto db, ConfigDatabase::Open(std::move(storage), options, /*start_committer=*/!ha));
  std::unique_ptr<HaServer> pair;
  if (ha) pair = std::make_unique<HaServer>(*db, config.ha, config.tls, fatal);
  config::Backend& backend = ha ? static_cast<config::Backend&>(*pair) : *db;
  net::TlsStatus tls_status(config.tls);
  auth::BackendDirectory directory(backend);
  std::unique_ptr<auth::Authenticator> authenticator =
      auth::MakeAuthenticator(config.auth, config.tls, directory);
  // The audit trail into the Log Database, when a Log Message Server is given.
  std::unique_ptr<client::Logger> audit_log;
  if (!config.audit_log_servers.empty()) {
    client::LoggerOptions lo;
    lo.servers = config.audit_log_servers;
    lo.tls = config.tls;
    lo.claimed = config.application;
    lo.host = config.ha.node.empty() ? config.application : config.ha.node;
    audit_log = std::make_unique<client::Logger>(lo);
    spdlog::info("confserv: audit trail also to the Log Message Server {}",
                 absl::StrJoin(config.audit_log_servers, ", "));
  }
  net::ConfigServiceImpl service(
      backend, {.max_large_lists = config.max_large_lists,
                .alarms = [&tls_status] { return tls_status.Alarms(); },
                .auth = authenticator.get(),
                .bootstrap_file = config.bootstrap_file,
                .audit = audit_log == nullptr
                             ? std::function<void(bool, const std::string&)>()
                             : [&audit_log](bool refused, const std::string& sentence) {
                                 namespace fm = client::framework_message;
                                 (void)audit_log->Log(client::LogLevel::kInteraction,
                                                      refused ? fm::kAuditRefused
                                                              : fm::kAuditConfigChange,
                                                      sentence);
                               }});
  // Control actions (an SCS asks whether an operator may start or stop).
  net::AccessCheckImpl access(backend, authenticator.get());
  // Before the listener, so that it outlives the calls it counts.
  TANDEM_ASSIGN_OR_RETURN(auto metrics_server, metrics::StartMetricsIfConfigured(config.metrics));
  TANDEM_ASSIGN_OR_RETURN(
      auto server, net::GrpcServer::Start(config.listen, {&service, &access},
                                          {.tls = config.tls, .reflection = config.reflection}));
  metrics::CollectorHandle info_metrics = metrics::AddServerInfoCollector(
      metrics::Registry::Default(), backend, [&authenticator]() -> int64_t {
        return authenticator == nullptr ? 0 : authenticator->refusals();
      });
  net::LogTlsAtStart(config.tls, tls_status);
  if (ha) {
    TANDEM_RETURN_IF_ERROR(pair->Start(Advertise(config, server->port())));
  }
  net::LogAuthAtStart(authenticator.get(), directory, config.bootstrap_file);
  // On PostgreSQL with a Log Message Server: the primary says when
  // synchronous replication is degraded (an alarm) and whole again.
  std::unique_ptr<ReplicationWatch> replication;
  if (audit_log != nullptr && config.storage_backend == "postgres") {
    replication = std::make_unique<ReplicationWatch>(
        [conninfo = config.storage_conninfo] { return SampleReplication(conninfo); },
        [&pair] { return pair == nullptr || pair->primary(); }, *audit_log);
  }
  // With a Log Message Server: its certificate expiring (an alarm), and
  // fine again.
  CertificateWatch certificate;  // the thread's
  std::unique_ptr<PeriodicThread> certificate_watch;
  if (audit_log != nullptr) {
    const std::string host = config.ha.node.empty() ? config.application : config.ha.node;
    certificate_watch = std::make_unique<PeriodicThread>(absl::Seconds(10), [&, host] {
      for (const FrameworkEvent& e :
           certificate.Step(config.application, host, tls_status.CertificateAlarms())) {
        if (absl::StatusOr<std::string> id = audit_log->Log(e.level, e.message_id, e.text);
            !id.ok()) {
          spdlog::warn("confserv: cannot log '{}': {}", e.text, std::string(id.status().message()));
        }
      }
    });
  }
  spdlog::info("confserv '{}' serving on port {} as {} (revision {}, {}, ready in {} ms)",
               config.application, server->port(),
               ha ? (pair->primary() ? "the HA primary" : "the HA backup") : "a standalone server",
               db->revision(), db->Info().storage(), absl::ToInt64Milliseconds(absl::Now() - t0));
  if (!config.port_file.empty()) {
    TANDEM_RETURN_IF_ERROR(net::WritePortFile(config.port_file, server->port()));
  }

  sigset_t set = TerminationSignals();
  int sig = 0;
  while (true) {
    sigwait(&set, &sig);
    if (sig != SIGHUP) break;
    net::RecheckTlsOnSighup(tls_status);
  }
  if (sig == SIGUSR1) {
    std::string why;
    {
      absl::MutexLock lock(&stop_reason->mu);
      why = stop_reason->reason;
    }
    // Nothing can commit any more: stop at once.
    if (replication != nullptr) replication->Stop();
    if (pair != nullptr) pair->Stop();
    db->Stop();
    server->Shutdown(absl::Seconds(1));
    return absl::AbortedError(why);
  }
  if (replication != nullptr) replication->Stop();
  spdlog::info("signal {} received: shutting down (grace {} s)", sig,
               absl::ToInt64Seconds(config.shutdown_grace));
  // Watch streams end first so that Shutdown need not wait for them; writes
  // already accepted are committed before the committer stops. A primary
  // then gives its lease up so that the backup takes over at once.
  db->Stop();
  if (pair != nullptr) {
    pair->Release();
    pair->Stop();
  }
  server->Shutdown(config.shutdown_grace);
  spdlog::info("confserv stopped at revision {}", db->revision());
  return absl::OkStatus();
}

}  // namespace tandem::confserv
