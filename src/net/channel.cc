#include "net/channel.h"

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "net/tls.h"
#include "tandem/config/client.h"

namespace tandem::net {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ChannelOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, options.keepalive_time_ms);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, options.keepalive_timeout_ms);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, options.max_reconnect_backoff_ms);
  // A name whose address changed (the DR runbooks move fw-p, cfgmaster in
  // DNS) is asked again after a failed connection at most this often; gRPC's
  // default (30 s) kept long-lived clients on the dead region's address.
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 1000);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 64 * 1024 * 1024);
  // Each channel gets its own TCP connection (benchmarks open many clients).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, MakeChannelCredentials(options.tls), args);
}

void AddCallerMetadata(grpc::ClientContext& ctx, const std::string& token,
                       const std::string& claimed) {
  if (!token.empty()) ctx.AddMetadata(config::kAuthorizationMetadataKey, "Bearer " + token);
  if (!claimed.empty()) ctx.AddMetadata(config::kClaimedMetadataKey, claimed);
}

}  // namespace tandem::net
