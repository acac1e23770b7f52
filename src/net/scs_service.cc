#include "net/scs_service.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "net/channel.h"
#include "net/status_convert.h"
#include "net/tls.h"
#include "tandem/config/client.h"

namespace tandem::net {

namespace cv1 = ::tandem::control::v1;

namespace {

OperatorCall CallOf(const grpc::ServerContext& ctx) {
  OperatorCall call;
  call.token = CallToken(ctx);
  call.certificate = PeerCertificateName(ctx);
  call.peer = PeerAddress(ctx.peer());
  auto it = ctx.client_metadata().find(kClaimedMetadataKey);
  if (it != ctx.client_metadata().end()) {
    call.claimed = std::string(it->second.data(), std::min<size_t>(it->second.size(), 255));
  }
  return call;
}

}  // namespace

grpc::Status ScsServiceImpl::GetInfo(grpc::ServerContext* ctx,
                                     const cv1::GetScsInfoRequest* /*req*/, cv1::ScsInfo* resp) {
  if (PeerCertificateName(*ctx).empty()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "present a client certificate of the site's CA");
  }
  *resp = ops_.Info();
  return grpc::Status::OK;
}

grpc::Status ScsServiceImpl::Status(grpc::ServerContext* ctx, const cv1::ScsStatusRequest* req,
                                    cv1::ScsStatusResponse* resp) {
  absl::StatusOr<cv1::ScsStatusResponse> r = ops_.Status(CallOf(*ctx), *req);
  if (!r.ok()) return ToGrpc(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status ScsServiceImpl::Control(grpc::ServerContext* ctx, const cv1::ControlRequest* req,
                                     cv1::ControlResponse* resp) {
  absl::StatusOr<cv1::ControlResponse> r = ops_.Control(CallOf(*ctx), *req);
  if (!r.ok()) return ToGrpc(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

bool ScsProbeClient::Ask(const std::string& address, int deadline_ms, cv1::ScsInfo* out) {
  if (address != address_ || stub_ == nullptr) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    stub_ = cv1::ScsControl::NewStub(
        grpc::CreateCustomChannel(address, MakeChannelCredentials(tls_), args));
    address_ = address;
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  return stub_->GetInfo(&ctx, {}, out).ok();
}

ScsControlClient::ScsControlClient(const std::string& address, const TlsFiles& tls,
                                   std::string token, std::string claimed, absl::Duration timeout)
    : address_(address),
      token_(std::move(token)),
      claimed_(std::move(claimed)),
      timeout_(timeout),
      stub_(cv1::ScsControl::NewStub(grpc::CreateChannel(address, MakeChannelCredentials(tls)))) {}

void ScsControlClient::Prepare(grpc::ClientContext& ctx) const {
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  AddCallerMetadata(ctx, token_, claimed_);
}

absl::StatusOr<cv1::ScsStatusResponse> ScsControlClient::Status(
    const cv1::ScsStatusRequest& request) {
  grpc::ClientContext ctx;
  Prepare(ctx);
  cv1::ScsStatusResponse resp;
  grpc::Status st = stub_->Status(&ctx, request, &resp);
  if (!st.ok()) return FromGrpc(st);
  return resp;
}

absl::StatusOr<cv1::ControlResponse> ScsControlClient::Control(const cv1::ControlRequest& request) {
  grpc::ClientContext ctx;
  Prepare(ctx);
  cv1::ControlResponse resp;
  grpc::Status st = stub_->Control(&ctx, request, &resp);
  if (!st.ok()) return FromGrpc(st);
  return resp;
}

}  // namespace tandem::net
