// Why a server cannot listen where its bootstrap file says, in words an
// operator can act on. gRPC's own answer is a null server and a log line.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace tandem {

//! Tries to bind a TCP socket to `listen` ("host:port", port 0 = any) the
//! way a server would (SO_REUSEADDR, never SO_REUSEPORT) and closes it.
//! OK if that works; otherwise an error naming the address and the cause:
//! in use by another process, not an address of this host, a privileged
//! port, a name that does not resolve, or a malformed address. `setting`
//! names where the address came from ("[server] listen").
absl::Status CheckListenAddress(const std::string& listen, const std::string& setting);

}  // namespace tandem
