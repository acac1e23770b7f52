// The bootstrap file of `tandemd lca` (TOML): which Host it is, where it
// listens, where it keeps its state and its applications' logs, and which
// configuration server tells it who owns the host.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lca/agent.h"
#include "metrics/metrics_server.h"
#include "tandem/tls_files.h"

namespace tandem::lca {

struct LcaConfig {
  //! [lca] host: the Host object's name.
  std::string host;
  //! [lca] listen: HOST:PORT of one address of this host (the SCS dials the
  //! Host's address and lca_port).
  std::string listen;
  std::string port_file;
  //! [lca] application: this LCA's Application (its certificate's CN), as
  //! which it reads its Host from the configuration.
  std::string application;
  std::string state_dir = "/var/lib/tandem/lca";
  std::string log_dir = "/var/log/tandem/apps";
  //! "auto" (a directory under the LCA's own cgroup v2), a path, or "" for
  //! process groups only.
  std::string cgroup_root = "auto";
  std::string default_user = "nobody";
  //! tandem-shim; empty: beside this tandemd.
  std::string shim;
  int64_t log_max_mib = 10;
  int log_keep = 5;
  //! [config] servers: a proxy (or the masters), "host:port" each.
  std::vector<std::string> config_servers;
  TlsFiles tls;
  //! [metrics]: where /metrics is served, if anywhere.
  metrics::MetricsConfig metrics;
  std::string log_level = "info";
  std::string log_file;
  //! [[lca.service]]: the host's own services (AgentOptions::services).
  std::vector<cv1::ProcessSpec> services;
};

absl::StatusOr<LcaConfig> LoadLcaConfig(const std::string& path);
absl::StatusOr<LcaConfig> ParseLcaConfig(absl::string_view toml, const std::string& source);
//! A commented example, printed by `tandemd lca --example-config`.
std::string ExampleLcaConfig();

//! The cgroup directory "auto" means: the LCA's own cgroup v2 (from
//! /proc/self/cgroup) + "/tandem-apps", or "" when there is no cgroup v2.
std::string AutoCgroupRoot();

}  // namespace tandem::lca
