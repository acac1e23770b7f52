// How a daemon's main thread waits for the end: SIGTERM or SIGINT (blocked
// in every thread beforehand, see confserv::BlockTerminationSignals).
#pragma once

#include <functional>

namespace tandem {

//! Blocks until SIGTERM or SIGINT and returns it; each SIGHUP on the way
//! calls `on_sighup` (when given; the signal is ignored otherwise).
int WaitForTerminationSignal(const std::function<void()>& on_sighup = nullptr);

//! Waits at most `timeout_ms` for SIGTERM or SIGINT (blocked as above);
//! the signal, or 0 when none came. For waits at start-up.
int TerminationSignalWithin(int timeout_ms);

}  // namespace tandem
