// The bootstrap file of `tandemd scs` (TOML): which Application it is, the
// master pair it follows (never a proxy), its certificate, and the timers.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "metrics/metrics_server.h"
#include "scs/controller.h"
#include "tandem/tls_files.h"

namespace tandem::scs {

struct ScsConfig {
  //! This SCS's Application object (its certificate's CN); it owns the
  //! Hosts whose `scs` names it.
  std::string application;
  //! The master Configuration Servers by their FQDNs.
  std::vector<std::string> masters;
  //! HOST:PORT of ScsControl (operators' commands, its partner's liveness
  //! probe). Required in an SCS pair: it must match the Application's host
  //! address and `default` port.
  std::string listen;
  //! A pair's backup takes over after its partner is silent this long.
  absl::Duration takeover_after = absl::Seconds(3);
  TlsFiles tls;
  //! [metrics]: where /metrics is served, if anywhere.
  metrics::MetricsConfig metrics;
  //! Written (atomically) with every application's status when it changes.
  std::string status_file;
  //! Written with "1" once the SCS runs (readiness for scripts and tests).
  std::string ready_file;
  //! Every operator's control action, a JSON line each (AuditLog); empty:
  //! the log only.
  std::string audit_file;
  //! The Message Server pair of the SCSs (HOST:PORT each): the state of
  //! every SCS, commands forwarded to the owner of a host. Empty: alone.
  std::vector<std::string> message_servers;
  //! The region's Log Message Server pair: the acting SCS logs what happens
  //! there, raising the framework's alarms. Empty: the local log only.
  std::vector<std::string> log_servers;
  ControllerOptions controller;
  std::string log_level = "info";
  std::string log_file;
};

absl::StatusOr<ScsConfig> LoadScsConfig(const std::string& path);
absl::StatusOr<ScsConfig> ParseScsConfig(absl::string_view toml, const std::string& source);
std::string ExampleScsConfig();

}  // namespace tandem::scs
