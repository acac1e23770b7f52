// The bootstrap file of `tandemd csproxy` (TOML): where to listen and which
// masters to follow. Everything else comes from the master.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/authenticator.h"
#include "metrics/metrics_server.h"
#include "tandem/tls_files.h"

namespace tandem::csproxy {

struct ProxyConfig {
  std::string listen = "127.0.0.1:9001";
  //! [tls]: presented to clients, and to the masters (mutual TLS).
  TlsFiles tls;
  //! [metrics]: where /metrics is served, if anywhere.
  metrics::MetricsConfig metrics;
  //! [server] reflection: gRPC server reflection on.
  bool reflection = true;
  //! [auth]: authentication of the proxy's clients (on unless mode = "off").
  auth::AuthConfig auth;
  //! If set, the bound port is written here once serving (for port 0).
  std::string port_file;
  //! This proxy's Application object name (reported in GetServerInfo).
  std::string application = "csproxy";
  //! How long SIGTERM waits for in-flight calls before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(5);
  //! The master pair, "host:port" each, tried in order; names are resolved
  //! again on every connect attempt.
  std::vector<std::string> masters;
  //! Reconnect backoff grows from 100 ms to this (jittered).
  absl::Duration reconnect_max_backoff = absl::Seconds(5);
  //! Changes kept in memory for watchers that resume.
  int64_t history_max_count = 100000;
  //! A reload after a reconnect waits a random time up to this, so that many
  //! proxies reconnecting at once do not all load from the master together.
  absl::Duration reload_stagger_max = absl::Seconds(2);
  //! Threads forwarding writes to the master (writes in flight at once).
  int forward_threads = 16;
  std::string log_level = "info";
  std::string log_file;
};

//! Parses the file; errors name the file, line and key and say what is expected.
absl::StatusOr<ProxyConfig> LoadProxyConfig(const std::string& path);
absl::StatusOr<ProxyConfig> ParseProxyConfig(absl::string_view toml, const std::string& source);

//! A commented example, printed by `tandemd csproxy --example-config`.
std::string ExampleProxyConfig();

}  // namespace tandem::csproxy
