// config::ConfigClient over gRPC.
#pragma once

#include <memory>
#include <string>

#include "net/channel.h"
#include "tandem/config/client.h"

namespace tandem::net {

//! A client of options.server over an insecure keep-alive channel
//! (MakeChannel); connects lazily on the first call. Every client has its
//! own channel.
config::ConfigClientPtr NewGrpcConfigClient(const config::ClientOptions& options);

//! One connection to a server that several clients share (one TCP
//! connection, sessions told apart by their session ids). The target name is
//! resolved when the channel is created: make a new one to resolve again.
class ClientChannel;
using ClientChannelPtr = std::shared_ptr<ClientChannel>;
ClientChannelPtr NewClientChannel(const std::string& target, const ChannelOptions& options = {});
//! A client over a shared channel; options.server is only reported.
config::ConfigClientPtr NewGrpcConfigClientOn(const config::ClientOptions& options,
                                              ClientChannelPtr channel);

}  // namespace tandem::net
