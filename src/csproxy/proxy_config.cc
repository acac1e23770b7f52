#include "csproxy/proxy_config.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/auth_config.h"
#include "common/status_macros.h"
#include "common/toml_file.h"

namespace tandem::csproxy {
namespace {

const std::map<std::string, std::vector<std::string>> kKnownKeys = {
    {"server", {"listen", "port_file", "application", "shutdown_grace_s", "reflection"}},
    {"tls", TlsKeys()},
    {"metrics", metrics::MetricsKeys()},
    {"auth", auth::AuthKeys()},
    {"proxy",
     {"masters", "reconnect_max_backoff_s", "history_max_count", "reload_stagger_max_ms",
      "forward_threads"}},
    {"log", {"level", "file"}},
};

absl::Status Invalid(const std::string& source, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", msg));
}

}  // namespace

absl::StatusOr<ProxyConfig> ParseProxyConfig(absl::string_view text, const std::string& source) {
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(text, source, kKnownKeys, "proxy"));
  ProxyConfig c;
  int64_t grace_s = absl::ToInt64Seconds(c.shutdown_grace);
  int64_t backoff_s = absl::ToInt64Seconds(c.reconnect_max_backoff);
  int64_t stagger_ms = absl::ToInt64Milliseconds(c.reload_stagger_max);
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "listen", &c.listen));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "port_file", &c.port_file));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "application", &c.application));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "shutdown_grace_s", &grace_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "reflection", &c.reflection));
  TANDEM_RETURN_IF_ERROR(TomlGetTls(root, source, &c.tls));
  TANDEM_RETURN_IF_ERROR(metrics::TomlGetMetrics(root, source, &c.metrics));
  std::string unused_bootstrap_file;  // a proxy takes no bootstrap
  TANDEM_RETURN_IF_ERROR(auth::ReadAuthSection(root, source, &c.auth, &unused_bootstrap_file));
  if (c.auth.enabled && c.tls.plaintext) {
    return Invalid(source,
                   "[auth] needs TLS (session tokens are signed with the server's certificate "
                   "key): give [tls] cert, key and ca, or set [auth] mode = \"off\"");
  }
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "proxy", "masters", &c.masters));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "proxy", "reconnect_max_backoff_s", &backoff_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "proxy", "history_max_count", &c.history_max_count));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "proxy", "reload_stagger_max_ms", &stagger_ms));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "proxy", "forward_threads", &c.forward_threads));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "level", &c.log_level));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "file", &c.log_file));
  if (c.listen.find(':') == std::string::npos) {
    return Invalid(source, absl::StrCat("[server] listen '", c.listen, "' must be HOST:PORT"));
  }
  if (c.application.empty()) return Invalid(source, "[server] application must not be empty");
  if (grace_s < 0) return Invalid(source, "[server] shutdown_grace_s must not be negative");
  if (c.masters.empty()) {
    return Invalid(source,
                   "[proxy] masters is required: the master pair as a list of \"host:port\", "
                   "e.g. masters = [\"cs1.example:9000\", \"cs2.example:9000\"]");
  }
  for (const std::string& m : c.masters) {
    const size_t colon = m.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == m.size() ||
        m.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
      return Invalid(source, absl::StrCat("[proxy] masters: '", m,
                                          "' must be HOST:PORT, e.g. \"cs1.example:9000\""));
    }
  }
  if (backoff_s < 1) {
    return Invalid(source, "[proxy] reconnect_max_backoff_s must be at least 1 (seconds)");
  }
  if (c.history_max_count < 1)
    return Invalid(source, "[proxy] history_max_count must be at least 1");
  if (stagger_ms < 0) return Invalid(source, "[proxy] reload_stagger_max_ms must not be negative");
  if (c.forward_threads < 1 || c.forward_threads > 1024) {
    return Invalid(source, "[proxy] forward_threads must be between 1 and 1024");
  }
  c.shutdown_grace = absl::Seconds(grace_s);
  c.reconnect_max_backoff = absl::Seconds(backoff_s);
  c.reload_stagger_max = absl::Milliseconds(stagger_ms);
  return c;
}

absl::StatusOr<ProxyConfig> LoadProxyConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read configuration file '", path,
                                            "'; `tandemd csproxy --example-config` prints one"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseProxyConfig(ss.str(), path);
}

std::string ExampleProxyConfig() {
  return R"(# tandemd csproxy bootstrap file
[server]
listen = "127.0.0.1:9001"      # HOST:PORT of one address of this host (not 0.0.0.0:
                               # listen where clients come from); port 0 picks a free port
# port_file = "/run/tandem/csproxy.port"  # written with the bound port
application = "csproxy"        # this proxy's Application object name
shutdown_grace_s = 5           # SIGTERM: wait this long for in-flight calls
reflection = true              # gRPC server reflection (grpcurl): the API's schema only

[tls]                          # every connection is TLS; `tandemctl pki` makes the files
cert = "/etc/tandem/pki/csproxy.crt"  # presented to clients, and to the masters as this
key = "/etc/tandem/pki/csproxy.key"   # proxy's identity (mutual TLS); key: mode 0600
ca = "/etc/tandem/pki/ca.crt"  # checks the masters and client certificates
# plaintext = true             # instead of the three: no TLS at all (not for a real network)

[auth]                         # who is calling: the same as the masters' [auth]
mode = "on"                    # "off": everyone may do everything (an alarm; tests only)
token_hours = 8
argon2_ops = 2
argon2_memory_mib = 64
password_min_length = 12
lockout_failures = 5
lockout_minutes = 15

[proxy]
# The master Configuration Server pair, tried in order. Names are resolved
# again on every connect attempt; a backup master is skipped (the proxy goes
# to the primary it names).
masters = ["cs1.example:9000", "cs2.example:9000"]
reconnect_max_backoff_s = 5    # reconnect backoff: 100 ms doubling up to this, jittered
history_max_count = 100000     # recent changes kept in memory for resuming watchers
reload_stagger_max_ms = 2000   # a full reload after a reconnect waits a random
                               # time up to this (no reload storm on the master)
forward_threads = 16           # writes forwarded to the master at once

# [metrics]                    # Prometheus metrics over plain HTTP (GET /metrics); leave
# listen = "127.0.0.1:9471"    # out to serve none. Loopback or the management network:
#                              # it answers anyone who can reach it

[log]
level = "info"                 # trace, debug, info, warn, error, off
file = ""                      # empty: stderr
)";
}

}  // namespace tandem::csproxy
