// The bootstrap file of `tandemd confserv` (TOML). Everything else lives in
// the Configuration Database.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "confserv/committer.h"
#include "metrics/metrics_server.h"
#include "tandem/storage/storage.h"
#include "tandem/tls_files.h"

namespace tandem::confserv {

//! The HA pair ([ha]): absent node = a standalone server.
struct HaConfig {
  //! This server's name in the lease (unique within the pair).
  std::string node;
  //! host:port clients use to reach this server (the backup points them
  //! here); default: the listen address with the bound port, or the host
  //! name for 0.0.0.0.
  std::string advertise;
  //! How long a lease lasts without renewal: the longest a dead primary
  //! blocks writes. Renewed every lease/3; the backup checks every poll.
  absl::Duration lease = absl::Milliseconds(1500);
  absl::Duration poll = absl::Milliseconds(100);
  bool enabled() const { return !node.empty(); }
};

struct ServerConfig {
  std::string listen = "127.0.0.1:9000";
  //! [tls]: the server's certificate, key and the CA of its clients.
  TlsFiles tls;
  //! [metrics]: where /metrics is served, if anywhere.
  metrics::MetricsConfig metrics;
  //! [server] reflection: gRPC server reflection on.
  bool reflection = true;
  //! [auth]: authentication (on unless mode = "off"), and the file whose
  //! secret Bootstrap checks.
  auth::AuthConfig auth;
  std::string bootstrap_file;
  //! If set, the bound port is written here once serving (for port 0).
  std::string port_file;
  std::string application = "confserv";
  //! [audit] log_servers: the region's Log Message Server pair; every
  //! committed write and refused call is logged there too (tandemctl logs
  //! --audit). Empty: the server's log and the history only.
  std::vector<std::string> audit_log_servers;
  std::string storage_backend = "sqlite";
  std::string storage_path = "tandem-config.db";
  //! For backend "postgres": libpq connection string.
  std::string storage_conninfo;
  //! For backend "postgres": how long a commit waits for a synchronous
  //! standby, and what happens when none confirms in that time.
  absl::Duration sync_commit_timeout = absl::Seconds(5);
  storage::PostgresOptions::OnSyncStandbyLost on_sync_standby_lost =
      storage::PostgresOptions::OnSyncStandbyLost::kWait;
  HistoryRetention retention;
  std::string log_level = "info";
  std::string log_file;
  HaConfig ha;
  //! Large listings (proxies loading in full) streamed at once; more wait.
  int max_large_lists = 8;
  //! How long SIGTERM waits for in-flight calls before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(5);
};

//! Parses the file; errors name the file, line and key and say what is expected.
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path);
absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view toml, const std::string& source);

//! A commented example, printed by `tandemd confserv --example-config`.
std::string ExampleServerConfig();

}  // namespace tandem::confserv
