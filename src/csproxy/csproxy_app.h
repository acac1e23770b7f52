// `tandemd csproxy`: wires the proxy backend and the network front end
// together, and runs until SIGTERM/SIGINT.
#pragma once

#include "absl/status/status.h"
#include "csproxy/proxy_config.h"

namespace tandem::csproxy {

//! Blocks until a termination signal, then shuts down cleanly: stops
//! following the master, refuses queued writes, ends watch streams, drains
//! in-flight calls. The caller must have blocked SIGTERM/SIGINT/SIGHUP in
//! every thread (confserv::BlockTerminationSignals).
absl::Status RunCsProxy(const ProxyConfig& config);

}  // namespace tandem::csproxy
