#include "net/scs_service.h"

#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "net/tls.h"

namespace tandem::net {

grpc::Status ScsServiceImpl::GetInfo(grpc::ServerContext* ctx,
                                     const control::v1::GetScsInfoRequest* /*req*/,
                                     control::v1::ScsInfo* resp) {
  if (PeerCertificateName(*ctx).empty()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "present a client certificate of the site's CA");
  }
  *resp = info_();
  return grpc::Status::OK;
}

bool ScsProbeClient::Ask(const std::string& address, int deadline_ms, control::v1::ScsInfo* out) {
  if (address != address_ || stub_ == nullptr) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    stub_ = control::v1::ScsControl::NewStub(
        grpc::CreateCustomChannel(address, MakeChannelCredentials(tls_), args));
    address_ = address;
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  return stub_->GetInfo(&ctx, {}, out).ok();
}

}  // namespace tandem::net
