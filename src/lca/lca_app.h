// `tandemd lca`: the Agent, the LocalControl service and the configuration
// client that says who owns this host, wired together until SIGTERM.
#pragma once

#include "absl/status/status.h"
#include "lca/lca_config.h"

namespace tandem::lca {

//! Runs until SIGTERM/SIGINT (SIGHUP rechecks the TLS files). The
//! applications keep running when it stops: the next LCA re-adopts them.
absl::Status RunLca(const LcaConfig& config, const std::string& self_dir);

}  // namespace tandem::lca
