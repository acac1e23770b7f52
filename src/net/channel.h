// Client channels to Tandem servers, with keep-alive pings so that a dead
// peer is noticed in seconds (the seed's ADDP).
#pragma once

#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "tandem/tls_files.h"

namespace tandem::net {

struct ChannelOptions {
  int keepalive_time_ms = 10'000;
  int keepalive_timeout_ms = 5'000;
  //! Upper bound on reconnect backoff.
  int max_reconnect_backoff_ms = 2'000;
  //! TLS (the default) or plaintext; see net/tls.h. With no CA given, the
  //! system's trusted roots check the server.
  TlsFiles tls;
};

//! A channel to "host:port" with the options' credentials.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ChannelOptions& options = {});

//! Who calls: `token` as "authorization: Bearer TOKEN" and `claimed` (the
//! name the caller claims, for logs and rate limits) as x-tandem-claimed;
//! either is left out when empty.
void AddCallerMetadata(grpc::ClientContext& ctx, const std::string& token,
                       const std::string& claimed = "");

}  // namespace tandem::net
