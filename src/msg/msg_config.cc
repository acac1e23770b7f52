#include "msg/msg_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/toml_file.h"

namespace tandem::msg {
namespace {

const TomlSchema kKnownKeys = {
    {"msgserver", {"application", "listen", "takeover_s", "access_cache_s", "ready_file"}},
    {"channels", {"max_messages", "max_bytes", "max_age_s", "max_message_bytes"}},
    {"bus", {"max_channels", "max_subscribers"}},
    {"config", {"masters"}},
    {"tls", TlsKeys()},
    {"metrics", metrics::MetricsKeys()},
    {"log", {"level", "file"}},
    {"logdb",
     {"sqlite", "postgres", "max_age_days", "max_events", "max_text_bytes", "rate_per_app",
      "trim_every_s"}},
};

absl::Status Invalid(const std::string& source, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", msg));
}

absl::Status InRange(const std::string& source, const char* what, int64_t v, int64_t lo,
                     int64_t hi) {
  if (v >= lo && v <= hi) return absl::OkStatus();
  return Invalid(source, absl::StrCat(what, " is ", v, "; it must be ", lo, "..", hi));
}

}  // namespace

absl::StatusOr<MsgConfig> ParseMsgConfig(absl::string_view text, const std::string& source) {
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(text, source, kKnownKeys, "msgserver"));
  MsgConfig c;
  int64_t takeover_s = 3, cache_s = 30;
  int64_t max_messages = 10000, max_bytes = 64 << 20, max_age_s = 600, max_message = 1 << 20;
  int64_t max_channels = 1000, max_subscribers = 10000;
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "msgserver", "application", &c.application));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "msgserver", "listen", &c.listen));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "msgserver", "takeover_s", &takeover_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "msgserver", "access_cache_s", &cache_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "msgserver", "ready_file", &c.ready_file));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "channels", "max_messages", &max_messages));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "channels", "max_bytes", &max_bytes));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "channels", "max_age_s", &max_age_s));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "channels", "max_message_bytes", &max_message));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "bus", "max_channels", &max_channels));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "bus", "max_subscribers", &max_subscribers));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "config", "masters", &c.masters));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "level", &c.log_level));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "file", &c.log_file));
  int64_t max_age_days = 30, max_events = 50'000'000, max_text = 16 * 1024, rate = 20'000;
  int64_t trim_s = 60;
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "logdb", "sqlite", &c.logdb.sqlite));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "logdb", "postgres", &c.logdb.postgres));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "logdb", "max_age_days", &max_age_days));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "logdb", "max_events", &max_events));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "logdb", "max_text_bytes", &max_text));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "logdb", "rate_per_app", &rate));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "logdb", "trim_every_s", &trim_s));
  if (!c.logdb.sqlite.empty() && !c.logdb.postgres.empty()) {
    return Invalid(source,
                   "[logdb] gives both sqlite and postgres: the Log Database is one of them");
  }
  TANDEM_RETURN_IF_ERROR(InRange(source, "[logdb] max_age_days", max_age_days, 1, 3650));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[logdb] max_events", max_events, 1000, 10'000'000'000LL));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[logdb] max_text_bytes", max_text, 64, 1 << 20));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[logdb] rate_per_app", rate, 1, 10'000'000));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[logdb] trim_every_s", trim_s, 1, 86400));
  c.logdb.store.max_age = absl::Hours(24 * max_age_days);
  c.logdb.store.max_events = max_events;
  c.logdb.store.max_text_bytes = static_cast<size_t>(max_text);
  c.logdb.rate_per_app = rate;
  c.logdb.trim_every = absl::Seconds(trim_s);
  if (c.application.empty()) {
    return Invalid(source,
                   "[msgserver] application is required: this server's Application object "
                   "(app_type MessageServer)");
  }
  if (c.listen.empty() || c.listen.find(':') == std::string::npos) {
    return Invalid(source,
                   "[msgserver] listen is required as HOST:PORT: its Application's host address "
                   "and `default` port (never 0.0.0.0 unless every address should serve)");
  }
  if (c.masters.empty()) {
    return Invalid(source,
                   "[config] masters is required: the master Configuration Servers by FQDN, "
                   "e.g. masters = [\"cs-p.example:9000\", \"cs-b.example:9000\"]");
  }
  TANDEM_RETURN_IF_ERROR(TomlGetTls(root, source, &c.tls));
  TANDEM_RETURN_IF_ERROR(metrics::TomlGetMetrics(root, source, &c.metrics));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[msgserver] takeover_s", takeover_s, 1, 600));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[msgserver] access_cache_s", cache_s, 0, 3600));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[channels] max_messages", max_messages, 1, 10'000'000));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[channels] max_bytes", max_bytes, 1024, 16LL << 30));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[channels] max_age_s", max_age_s, 1, 7 * 86400));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[channels] max_message_bytes", max_message, 1, 64 << 20));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[bus] max_channels", max_channels, 1, 1'000'000));
  TANDEM_RETURN_IF_ERROR(InRange(source, "[bus] max_subscribers", max_subscribers, 1, 1'000'000));
  c.takeover_after = absl::Seconds(takeover_s);
  c.access_cache = absl::Seconds(cache_s);
  c.bus.channel.max_messages = static_cast<size_t>(max_messages);
  c.bus.channel.max_bytes = static_cast<size_t>(max_bytes);
  c.bus.channel.max_age = absl::Seconds(max_age_s);
  c.bus.channel.max_message_bytes = static_cast<size_t>(max_message);
  c.bus.max_channels = static_cast<size_t>(max_channels);
  c.bus.max_subscribers = static_cast<size_t>(max_subscribers);
  return c;
}

absl::StatusOr<MsgConfig> LoadMsgConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read configuration file '", path,
                                            "'; `tandemd msgserver --example-config` prints one"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseMsgConfig(ss.str(), path);
}

std::string ExampleMsgConfig() {
  return R"(# tandemd msgserver bootstrap file: a Message Server (one of an HA pair)
[msgserver]
application = "ms-r1"          # this server's Application (app_type MessageServer; CN of its
                               # certificate). Grants on it decide who may subscribe (read)
                               # and publish (execute). Its partner is the Application that
                               # names it as `backup`, or the one it names.
listen = "192.0.2.12:5100"     # MessageBus: its Application's host address and `default` port
takeover_s = 3                 # the backup takes over after the acting server is silent this
                               # long (taking over needs a master: the pair's lock is in the
                               # first server's annex [msg-pair])
access_cache_s = 30            # a caller's permission, once the master decided it, is reused
                               # this long (and while no master answers)
# ready_file = "/run/tandem/msgserver.ready"   # "1" once serving

[channels]                     # what each channel keeps for subscribers that come back
max_messages = 10000
max_bytes = 67108864           # 64 MiB
max_age_s = 600
max_message_bytes = 1048576    # a bigger message is refused

[bus]
max_channels = 1000
max_subscribers = 10000

[config]
masters = ["cs-primary.example:9000", "cs-backup.example:9000"]

[tls]
cert = "/etc/tandem/pki/ms-r1.crt"
key = "/etc/tandem/pki/ms-r1.key"
ca = "/etc/tandem/pki/ca.crt"

# [metrics]                    # Prometheus metrics over plain HTTP (GET /metrics); leave
# listen = "127.0.0.1:9474"    # out to serve none. Loopback or the management network:
#                              # it answers anyone who can reach it

[log]
level = "info"

# With a Log Database this is a Log Message Server: libtandem's Logger sends
# network log events here, acknowledged once stored. Leave the section out
# for a plain Message Server.
# [logdb]
# sqlite = "/var/lib/tandem/log.db"  # one host: both servers of the pair share the file
# postgres = "host=db1.example dbname=tandem_log user=tandem"
#                              # or PostgreSQL (the pair shares it; replicate it to
#                              # region 2 like the Configuration Database)
# max_age_days = 30            # retention by age ...
# max_events = 50000000        # ... and by count (the oldest go first)
# max_text_bytes = 16384       # a bigger event is refused, the rest of its batch stored
# rate_per_app = 20000         # events/s per application; over it, requests are refused
#                              # (they stay buffered in the application) and logged
# trim_every_s = 60
)";
}

}  // namespace tandem::msg
