// The bootstrap file of `tandemd console` (TOML): where the console listens
// (HTTPS), which configuration servers it talks to, and how long a browser
// session lasts. The console holds no privileges of its own: every call it
// makes carries the logged-in person's session token.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "metrics/metrics_server.h"
#include "tandem/tls_files.h"

namespace tandem::console {

struct ConsoleConfig {
  //! HOST:PORT of the HTTPS listener.
  std::string listen = "127.0.0.1:9480";
  //! If set, the bound port is written here once serving (for port 0).
  std::string port_file;
  //! [tls]: cert and key are the console's HTTPS identity; ca checks the
  //! configuration servers. The console presents no client certificate.
  TlsFiles tls;
  //! [console] servers: configuration servers (masters or proxies),
  //! "host:port" each, tried in order.
  std::vector<std::string> servers;
  //! A session unused this long ends (the person's token may end sooner).
  absl::Duration session_idle = absl::Minutes(30);
  //! Browser sessions at once (logins beyond it are refused).
  int max_sessions = 1000;
  //! HTTP connections served at once; each open page holds one for its
  //! live updates.
  int max_connections = 256;
  //! Deadline of each call to a server.
  absl::Duration call_timeout = absl::Seconds(10);
  //! [console] site: the site file of `tandemctl dr`, for the Regions page
  //! (empty: the page says it is not configured); journal: the runbooks'
  //! journal (default SITE.journal, as tandemctl dr).
  std::string site;
  std::string journal;
  //! [console] scs: the Solution Control Servers ("host:port" of their
  //! ScsControl) for the Applications page; empty: the site file's.
  std::vector<std::string> scs;
  //! [console] log_servers: the Log Message Servers ("host:port") for the
  //! Alarms page; empty: the site file's Message Servers.
  std::vector<std::string> log_servers;
  //! Each part of the Regions picture is asked again this often.
  absl::Duration regions_refresh = absl::Milliseconds(500);
  //! [metrics]: where /metrics is served, if anywhere.
  metrics::MetricsConfig metrics;
  std::string log_level = "info";
  std::string log_file;
};

//! Parses the file; errors name the file and key and say what is expected.
absl::StatusOr<ConsoleConfig> LoadConsoleConfig(const std::string& path);
absl::StatusOr<ConsoleConfig> ParseConsoleConfig(absl::string_view toml, const std::string& source);

//! A commented example, printed by `tandemd console --example-config`.
std::string ExampleConsoleConfig();

}  // namespace tandem::console
