// config::ConfigClient over gRPC.
#pragma once

#include "tandem/config/client.h"

namespace tandem::net {

//! A client of options.server over an insecure keep-alive channel
//! (MakeChannel); connects lazily on the first call. Every client has its
//! own channel.
config::ConfigClientPtr NewGrpcConfigClient(const config::ClientOptions& options);

}  // namespace tandem::net
