#include "confserv/server_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/auth_config.h"
#include "common/status_macros.h"
#include "common/toml_file.h"
#include "tandem/storage/pg_admin.h"

namespace tandem::confserv {
namespace {

const std::map<std::string, std::vector<std::string>> kKnownKeys = {
    {"server",
     {"listen", "port_file", "application", "shutdown_grace_s", "max_large_lists", "reflection"}},
    {"tls", TlsKeys()},
    {"metrics", metrics::MetricsKeys()},
    {"auth", auth::AuthKeys()},
    {"storage", {"backend", "path", "conninfo", "sync_commit_timeout_s", "on_sync_standby_lost"}},
    {"history", {"max_count", "max_age_days"}},
    {"log", {"level", "file"}},
    {"ha", {"node", "advertise", "lease_ms", "poll_ms"}},
    {"audit", {"log_servers"}},
};

}  // namespace

absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view text, const std::string& source) {
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(text, source, kKnownKeys, "server"));
  ServerConfig c;
  int64_t grace_s = absl::ToInt64Seconds(c.shutdown_grace);
  int64_t sync_timeout_s = absl::ToInt64Seconds(c.sync_commit_timeout);
  std::string on_lost = "wait";
  int64_t max_age_days = absl::ToInt64Hours(c.retention.max_age) / 24;
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "listen", &c.listen));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "port_file", &c.port_file));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "application", &c.application));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "shutdown_grace_s", &grace_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "max_large_lists", &c.max_large_lists));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "reflection", &c.reflection));
  TANDEM_RETURN_IF_ERROR(TomlGetTls(root, source, &c.tls));
  TANDEM_RETURN_IF_ERROR(metrics::TomlGetMetrics(root, source, &c.metrics));
  TANDEM_RETURN_IF_ERROR(auth::ReadAuthSection(root, source, &c.auth, &c.bootstrap_file));
  if (c.auth.enabled && c.tls.plaintext) {
    return absl::InvalidArgumentError(absl::StrCat(
        source,
        ": [auth] needs TLS (session tokens are signed with the server's certificate "
        "key, and passwords must not cross the network in the clear): give [tls] cert, "
        "key and ca, or set [auth] mode = \"off\""));
  }
  if (c.max_large_lists < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": [server] max_large_lists must be at least 1 (full listings streamed at once)"));
  }
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "storage", "backend", &c.storage_backend));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "storage", "path", &c.storage_path));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "storage", "conninfo", &c.storage_conninfo));
  TANDEM_RETURN_IF_ERROR(
      TomlGet(root, source, "storage", "sync_commit_timeout_s", &sync_timeout_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "storage", "on_sync_standby_lost", &on_lost));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "history", "max_count", &c.retention.max_count));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "audit", "log_servers", &c.audit_log_servers));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "history", "max_age_days", &max_age_days));
  int64_t lease_ms = absl::ToInt64Milliseconds(c.ha.lease);
  int64_t poll_ms = absl::ToInt64Milliseconds(c.ha.poll);
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "ha", "node", &c.ha.node));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "ha", "advertise", &c.ha.advertise));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "ha", "lease_ms", &lease_ms));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "ha", "poll_ms", &poll_ms));
  if (root.contains("ha") && c.ha.node.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [ha] needs node, this server's name in the pair (e.g. \"cs1\")"));
  }
  if (!c.ha.node.empty() &&
      (c.ha.node.size() > 63 ||
       c.ha.node.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                   "-_.") != std::string::npos)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": [ha] node '", c.ha.node, "' must be 1-63 letters, digits, '-', '_' or '.'"));
  }
  if (lease_ms < 300 || lease_ms > 600'000) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [ha] lease_ms must be between 300 and 600000"));
  }
  if (poll_ms < 10 || poll_ms * 3 > lease_ms) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [ha] poll_ms must be at least 10 and at most lease_ms / 3"));
  }
  if (!c.ha.advertise.empty() && c.ha.advertise.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [ha] advertise '", c.ha.advertise, "' must be HOST:PORT"));
  }
  c.ha.lease = absl::Milliseconds(lease_ms);
  c.ha.poll = absl::Milliseconds(poll_ms);
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "level", &c.log_level));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "file", &c.log_file));
  if (c.storage_backend != "sqlite" && c.storage_backend != "postgres") {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [storage] backend '", c.storage_backend,
                     "' is not supported; use \"sqlite\" or \"postgres\""));
  }
  if (c.storage_backend == "postgres" && c.storage_conninfo.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source,
                     ": [storage] backend \"postgres\" needs conninfo, e.g. \"host=db1,db2 "
                     "dbname=tandem target_session_attrs=read-write\""));
  }
  if (c.storage_backend == "postgres" &&
      !storage::pgadmin::ConninfoValue(c.storage_conninfo, "password").empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source,
        ": [storage] conninfo holds a password; keep it out of the bootstrap file (and so out "
        "of every copy and log of it): put it in a passfile (a line "
        "\"*:*:*:USER:PASSWORD\", mode 0600) and name that in the conninfo "
        "(passfile=/etc/tandem/pgpass); see docs/DBMS-OPERATIONS.md"));
  }
  if (sync_timeout_s < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        source,
        ": [storage] sync_commit_timeout_s must be at least 1 (seconds a commit may wait "
        "for a synchronous standby)"));
  }
  if (on_lost == "wait") {
    c.on_sync_standby_lost = storage::PostgresOptions::OnSyncStandbyLost::kWait;
  } else if (on_lost == "degrade") {
    c.on_sync_standby_lost = storage::PostgresOptions::OnSyncStandbyLost::kDegrade;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [storage] on_sync_standby_lost '", on_lost,
                     "' is not supported; use \"wait\" or \"degrade\""));
  }
  c.sync_commit_timeout = absl::Seconds(sync_timeout_s);
  if (c.listen.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [server] listen '", c.listen, "' must be HOST:PORT"));
  }
  if (c.application.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [server] application must not be empty"));
  }
  if (c.retention.max_count < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [history] max_count must be at least 1"));
  }
  if (max_age_days < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [history] max_age_days must be at least 1"));
  }
  if (grace_s < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [server] shutdown_grace_s must not be negative"));
  }
  c.retention.max_age = absl::Hours(24 * max_age_days);
  c.shutdown_grace = absl::Seconds(grace_s);
  return c;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read configuration file '", path,
                                            "'; `tandemd confserv --example-config` prints one"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseServerConfig(ss.str(), path);
}

std::string ExampleServerConfig() {
  return R"(# tandemd confserv bootstrap file
[server]
listen = "127.0.0.1:9000"      # HOST:PORT of one address of this host (not 0.0.0.0:
                               # listen where clients come from); port 0 picks a free port
# port_file = "/run/tandem/confserv.port"  # written with the bound port
application = "confserv"       # this server's Application object name
shutdown_grace_s = 5           # SIGTERM: wait this long for in-flight calls
max_large_lists = 8            # full listings (proxies reloading) streamed at once;
                               # more get RESOURCE_EXHAUSTED and retry after a backoff
reflection = true              # gRPC server reflection (grpcurl): the API's schema only

[tls]                          # every connection is TLS; `tandemctl pki` makes the files
cert = "/etc/tandem/pki/confserv.crt"  # this server's certificate (its SANs: the names and
key = "/etc/tandem/pki/confserv.key"   # addresses clients dial); key: mode 0600
ca = "/etc/tandem/pki/ca.crt"  # the CA of client certificates (proxies, the HA peer)
# plaintext = true             # instead of the three: no TLS at all (logged at every start
#                              # and an alarm in `tandemctl status`; not for a real network)

[auth]                         # who is calling (docs/SECURITY.md)
mode = "on"                    # "off": everyone may do everything (an alarm; tests only)
bootstrap_file = "/etc/tandem/bootstrap.secret"  # the secret of the first administrator
                               # (`tandemctl auth bootstrap`); written at start while
                               # there is none; default: beside this file
token_hours = 8                # how long a login's session token is valid
argon2_ops = 2                 # password hashing cost (Argon2id); raising it rehashes
argon2_memory_mib = 64         # each password at its next login
password_min_length = 12       # for persons outside any tenant (tenants set their own)
lockout_failures = 5           # failed logins in a row that lock an account ...
lockout_minutes = 15           # ... for this long

[storage]
backend = "sqlite"             # "sqlite" (embedded) or "postgres"
path = "/var/lib/tandem/config.db"   # sqlite: the database file
# conninfo = "host=db1,db2 dbname=tandem user=tandem target_session_attrs=read-write sslmode=verify-full sslrootcert=/etc/tandem/ca.crt passfile=/etc/tandem/pgpass"
#                                    # postgres: libpq connection string (the
#                                    # password in a passfile, never here)
# sync_commit_timeout_s = 5          # postgres: longest wait for a synchronous standby
# on_sync_standby_lost = "wait"      # postgres: "wait" (each write waits, then reports
#                                    # "not replicated") or "degrade" (commit on the
#                                    # primary only, with an alarm, until a standby is back)

# [ha]                         # a primary/backup pair on one Configuration Database
# node = "cs1"                 # this server's name; the other one has its own
# advertise = "cs1.example:9000"     # where clients reach this server
# lease_ms = 1500              # a dead primary blocks writes at most this long
# poll_ms = 100                # how often the backup looks at the lease

[history]
max_count = 100000             # keep at most this many recent changes
max_age_days = 30              # and none older than this

# [audit]                      # the audit trail into the Log Database too (tandemctl logs
# log_servers = ["192.0.2.14:5100", "192.0.2.15:5100"]   # --audit): every committed write
#                              # and refused call, sent to the region's Log Message Server
#                              # pair as this server's Application (it needs execute on the
#                              # pair's first Application); buffered while none answers

# [metrics]                    # Prometheus metrics over plain HTTP (GET /metrics); leave
# listen = "127.0.0.1:9470"    # out to serve none. Loopback or the management network:
#                              # it answers anyone who can reach it

[log]
level = "info"                 # trace, debug, info, warn, error, off
file = ""                      # empty: stderr
)";
}

}  // namespace tandem::confserv
