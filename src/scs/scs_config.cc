#include "scs/scs_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/toml_file.h"

namespace tandem::scs {
namespace {

const TomlSchema kKnownKeys = {
    {"scs",
     {"application", "listen", "takeover_s", "status_file", "ready_file", "audit_file",
      "message_servers", "log_servers", "grace_period_s", "max_failures", "failure_window_s",
      "flip_max", "flip_window_s", "restart_backoff_max_s"}},
    {"config", {"masters"}},
    {"tls", TlsKeys()},
    {"metrics", metrics::MetricsKeys()},
    {"log", {"level", "file"}},
};

absl::Status Invalid(const std::string& source, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", msg));
}

}  // namespace

absl::StatusOr<ScsConfig> ParseScsConfig(absl::string_view text, const std::string& source) {
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(text, source, kKnownKeys, "scs"));
  ScsConfig c;
  int64_t grace_s = 5, window_s = 600, flip_window_s = 600;
  int64_t max_failures = c.controller.max_failures, flip_max = c.controller.flip_max;
  int64_t backoff_max_s = 60;
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "application", &c.application));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "listen", &c.listen));
  int64_t takeover_s = 3;
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "takeover_s", &takeover_s));
  if (takeover_s < 1 || takeover_s > 600) return Invalid(source, "[scs] takeover_s must be 1..600");
  c.takeover_after = absl::Seconds(takeover_s);
  if (!c.listen.empty() && c.listen.find(':') == std::string::npos) {
    return Invalid(source, absl::StrCat("[scs] listen '", c.listen, "' must be HOST:PORT"));
  }
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "status_file", &c.status_file));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "ready_file", &c.ready_file));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "audit_file", &c.audit_file));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "message_servers", &c.message_servers));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "log_servers", &c.log_servers));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "grace_period_s", &grace_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "max_failures", &max_failures));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "failure_window_s", &window_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "flip_max", &flip_max));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "flip_window_s", &flip_window_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "scs", "restart_backoff_max_s", &backoff_max_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "config", "masters", &c.masters));
  TANDEM_RETURN_IF_ERROR(TomlGetTls(root, source, &c.tls));
  TANDEM_RETURN_IF_ERROR(metrics::TomlGetMetrics(root, source, &c.metrics));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "level", &c.log_level));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "file", &c.log_file));
  if (c.application.empty()) {
    return Invalid(source, "[scs] application is required: this SCS's Application object");
  }
  if (c.masters.empty()) {
    return Invalid(source,
                   "[config] masters is required: the master Configuration Servers by FQDN "
                   "(an SCS never follows a proxy), e.g. masters = [\"cs-p.example:9000\", "
                   "\"cs-b.example:9000\"]");
  }
  if (c.tls.plaintext || !c.tls.has_identity()) {
    return Invalid(source,
                   "[tls] cert, key and ca are required: LCAs take commands only from the "
                   "certificate of the SCS that owns their host");
  }
  if (grace_s < 0 || grace_s > 3600) return Invalid(source, "[scs] grace_period_s must be 0..3600");
  if (max_failures < 1) return Invalid(source, "[scs] max_failures must be at least 1");
  if (flip_max < 1) return Invalid(source, "[scs] flip_max must be at least 1");
  if (backoff_max_s < 1) return Invalid(source, "[scs] restart_backoff_max_s must be at least 1");
  c.controller.backoff_max = absl::Seconds(backoff_max_s);
  c.controller.grace_period = absl::Seconds(grace_s);
  c.controller.max_failures = static_cast<int>(max_failures);
  c.controller.failure_window = absl::Seconds(window_s);
  c.controller.flip_max = static_cast<int>(flip_max);
  c.controller.flip_window = absl::Seconds(flip_window_s);
  return c;
}

absl::StatusOr<ScsConfig> LoadScsConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read configuration file '", path,
                                            "'; `tandemd scs --example-config` prints one"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseScsConfig(ss.str(), path);
}

std::string ExampleScsConfig() {
  return R"(# tandemd scs bootstrap file: a Solution Control Server
[scs]
application = "scs-r1"         # this SCS's Application (CN of its certificate); it owns
                               # the Hosts whose scs names it
listen = "192.0.2.11:4998"     # ScsControl: operators' commands (tandemctl app|host|solution)
                               # and its partner's liveness probe (required in a pair: the
                               # Application's host address and `default` port)
takeover_s = 3                 # a pair's backup takes over after the primary is silent this long
# status_file = "/run/tandem/scs-status.json"  # every application's status, as it changes
# ready_file = "/run/tandem/scs.ready"  # "1" once running
audit_file = "/var/lib/tandem/scs/audit.jsonl"  # every control action (who, what, allowed or
                               # refused), synced before it is carried out; empty: the log only
# message_servers = ["192.0.2.12:5100", "192.0.2.13:5100"]  # the SCSs' Message Server pair
                               # (scs_distributed): this SCS publishes its hosts there, shows
                               # the other SCSs' and forwards commands for their hosts
# log_servers = ["192.0.2.14:5100", "192.0.2.15:5100"]  # the region's Log Message Server pair:
                               # the acting SCS logs what happens (an application failed,
                               # restarts given up, a switchover, an LCA lost), which raises
                               # the framework's alarms there (tandemctl alarms)
grace_period_s = 5             # an LCA unreachable this long: its primaries switch over
max_failures = 5               # failed runs within failure_window_s before giving up
failure_window_s = 600
flip_max = 3                   # more switchovers of a pair within flip_window_s: held
flip_window_s = 600
restart_backoff_max_s = 60     # restarts wait 1 s, 2 s, 4 s, ... up to this

[config]
# The master pair by FQDN: an SCS never follows a proxy.
masters = ["cs-primary.example:9000", "cs-backup.example:9000"]

[tls]                          # required: the LCAs obey only this certificate
cert = "/etc/tandem/pki/scs-r1.crt"
key = "/etc/tandem/pki/scs-r1.key"
ca = "/etc/tandem/pki/ca.crt"

# [metrics]                    # Prometheus metrics over plain HTTP (GET /metrics); leave
# listen = "127.0.0.1:9473"    # out to serve none. Loopback or the management network:
#                              # it answers anyone who can reach it

[log]
level = "info"
)";
}

}  // namespace tandem::scs
