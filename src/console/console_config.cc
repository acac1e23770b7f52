#include "console/console_config.h"

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/status_macros.h"
#include "common/toml_file.h"

namespace tandem::console {
namespace {

const std::map<std::string, std::vector<std::string>> kKnownKeys = {
    {"server", {"listen", "port_file", "max_connections"}},
    {"tls", TlsKeys()},
    {"console",
     {"servers", "session_idle_minutes", "max_sessions", "call_timeout_s", "site", "journal",
      "regions_refresh_ms", "scs", "log_servers"}},
    {"metrics", metrics::MetricsKeys()},
    {"log", {"level", "file"}},
};

absl::Status Invalid(const std::string& source, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", msg));
}

}  // namespace

absl::StatusOr<ConsoleConfig> ParseConsoleConfig(absl::string_view text,
                                                 const std::string& source) {
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(text, source, kKnownKeys, "console"));
  ConsoleConfig c;
  int64_t idle_min = absl::ToInt64Minutes(c.session_idle);
  int64_t timeout_s = absl::ToInt64Seconds(c.call_timeout);
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "listen", &c.listen));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "port_file", &c.port_file));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "server", "max_connections", &c.max_connections));
  TANDEM_RETURN_IF_ERROR(TomlGetTls(root, source, &c.tls));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "console", "servers", &c.servers));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "console", "session_idle_minutes", &idle_min));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "console", "max_sessions", &c.max_sessions));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "console", "call_timeout_s", &timeout_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "console", "site", &c.site));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "console", "scs", &c.scs));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "console", "log_servers", &c.log_servers));
  for (const auto& [key, list] :
       {std::pair{"[console] scs", &c.scs}, std::pair{"[console] log_servers", &c.log_servers}}) {
    for (const std::string& s : *list) {
      if (auto hp = ParseHostPort(s, key, false); !hp.ok()) {
        return Invalid(source, hp.status().message());
      }
    }
  }
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "console", "journal", &c.journal));
  int64_t refresh_ms = absl::ToInt64Milliseconds(c.regions_refresh);
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "console", "regions_refresh_ms", &refresh_ms));
  if (refresh_ms < 100 || refresh_ms > 60000) {
    return Invalid(source, "[console] regions_refresh_ms must be between 100 and 60000");
  }
  c.regions_refresh = absl::Milliseconds(refresh_ms);
  if (!c.site.empty() && c.journal.empty()) c.journal = c.site + ".journal";
  TANDEM_RETURN_IF_ERROR(metrics::TomlGetMetrics(root, source, &c.metrics));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "level", &c.log_level));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "file", &c.log_file));
  if (auto hp = ParseHostPort(c.listen, "[server] listen", true); !hp.ok()) {
    return Invalid(source, hp.status().message());
  }
  if (c.tls.plaintext) {
    return Invalid(source,
                   "[tls] plaintext is not served by the console: browsers send passwords to "
                   "it, so it needs cert and key (`tandemctl pki issue` makes them) and ca "
                   "(to check the configuration servers)");
  }
  if (c.servers.empty()) {
    return Invalid(source,
                   "[console] servers is required: configuration servers (masters or proxies) "
                   "as a list of \"host:port\", e.g. servers = [\"cs1.example:9000\", "
                   "\"cs2.example:9000\"]");
  }
  for (const std::string& s : c.servers) {
    if (auto hp = ParseHostPort(s, "[console] servers", false); !hp.ok()) {
      return Invalid(source, hp.status().message());
    }
  }
  if (idle_min < 1 || idle_min > 24 * 60) {
    return Invalid(source, "[console] session_idle_minutes must be between 1 and 1440");
  }
  if (c.max_sessions < 1) return Invalid(source, "[console] max_sessions must be at least 1");
  if (timeout_s < 1) return Invalid(source, "[console] call_timeout_s must be at least 1");
  if (c.max_connections < 4 || c.max_connections > 4096) {
    return Invalid(source, "[server] max_connections must be between 4 and 4096");
  }
  c.session_idle = absl::Minutes(idle_min);
  c.call_timeout = absl::Seconds(timeout_s);
  return c;
}

absl::StatusOr<ConsoleConfig> LoadConsoleConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read configuration file '", path,
                                            "'; `tandemd console --example-config` prints one"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConsoleConfig(ss.str(), path);
}

std::string ExampleConsoleConfig() {
  return R"(# tandemd console bootstrap file: the operator's browser console (HTTPS)
[server]
listen = "127.0.0.1:9480"      # HOST:PORT of one address of this host; browsers connect
                               # here (https://HOST:PORT/); port 0 picks a free port
# port_file = "/run/tandem/console.port"  # written with the bound port
max_connections = 256          # HTTP connections at once; each open page holds one
                               # for its live updates

[tls]                          # HTTPS only; `tandemctl pki issue` makes the files
cert = "/etc/tandem/pki/console.crt"  # the console's certificate (for its host name)
key = "/etc/tandem/pki/console.key"   # mode 0600
ca = "/etc/tandem/pki/ca.crt"  # checks the configuration servers' certificates

[console]
# Configuration servers (masters or proxies), tried in order. Every call
# carries the logged-in person's own session token: the console holds no
# privileges and sees only what the person may see.
servers = ["cs1.example:9000", "cs2.example:9000"]
session_idle_minutes = 30      # a browser session unused this long ends
max_sessions = 1000            # browser sessions at once
call_timeout_s = 10            # deadline of each call to a server
# The Regions page (`tandemctl dr status`, live) needs the site file of
# `tandemctl dr`. The console asks the servers with the viewing person's
# token and no client certificate; the DBMS and DNS with the site file's
# conninfo and server: give it a DBMS role with pg_monitor only. Without
# `site` the page says it is not configured.
# site = "/etc/tandem/site.toml"
# journal = "/etc/tandem/site.toml.journal"  # the runbooks' (for their fences)
# scs = ["scs1.example:4998", "scs2.example:4998"]  # the Applications page's
                               # SCSs (ScsControl); default: those of the site file
# log_servers = ["lms1.example:4996", "lms2.example:4996"]  # the Alarms page's Log
                               # Message Servers; default: the site file's Message Servers
regions_refresh_ms = 500       # each part of the picture is asked again this often (a
                               # lost region shows within this + 1 s)

# [metrics]                    # Prometheus metrics over plain HTTP (GET /metrics); leave
# listen = "127.0.0.1:9475"    # out to serve none

[log]
level = "info"                 # trace, debug, info, warn, error, off
file = ""                      # empty: stderr
)";
}

}  // namespace tandem::console
