// `tandemd confserv`: wires storage, the configuration database and the
// network front end together, and runs until SIGTERM/SIGINT.
#pragma once

#include "absl/status/status.h"
#include "confserv/server_config.h"

namespace tandem::confserv {

//! Blocks until a termination signal, then shuts down cleanly: stops taking
//! calls, finishes in-flight writes, ends watch streams. SIGHUP re-checks the
//! certificate files instead. The caller must have blocked SIGTERM/SIGINT/
//! SIGHUP in every thread (BlockTerminationSignals).
absl::Status RunConfServ(const ServerConfig& config);

//! Blocks the termination signals in the calling thread (and threads it
//! starts later) so that RunConfServ can wait for them.
void BlockTerminationSignals();

}  // namespace tandem::confserv
