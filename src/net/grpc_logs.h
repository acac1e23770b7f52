// Where gRPC's own log lines go: a daemon's log (spdlog, so that a failed
// TLS handshake is in the same file as everything else), or nowhere for
// the command line, whose errors are its own one-line messages.
#pragma once

namespace tandem::net {

//! gRPC errors and warnings to spdlog (warn), the rest at debug. Call once,
//! before the first channel or server.
void SendGrpcLogsToSpdlog();

//! gRPC logs nothing unless GRPC_VERBOSITY is set (for debugging).
void SilenceGrpcLogs();

}  // namespace tandem::net
