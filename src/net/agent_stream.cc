#include "net/agent_stream.h"

#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "net/status_convert.h"
#include "tandem/control/v1/lca.grpc.pb.h"

namespace tandem::net {
namespace {

namespace cv1 = ::tandem::control::v1;

class GrpcAgentStream : public AgentStream {
 public:
  explicit GrpcAgentStream(const std::string& path) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    // A restarted LCA should be found again within a second.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1'000);
    channel_ = grpc::CreateCustomChannel("unix:" + path, grpc::InsecureChannelCredentials(), args);
    stub_ = cv1::AppAgent::NewStub(channel_);
    ctx_.set_wait_for_ready(true);
    stream_ = stub_->Attach(&ctx_);
  }
  bool Write(const cv1::AppMessage& m) override { return stream_->Write(m); }
  bool Read(cv1::AgentMessage* m) override { return stream_->Read(m); }
  void Cancel() override { ctx_.TryCancel(); }
  absl::Status Finish() override { return FromGrpc(stream_->Finish()); }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<cv1::AppAgent::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<cv1::AppMessage, cv1::AgentMessage>> stream_;
};

}  // namespace

std::unique_ptr<AgentStream> OpenAgentStream(const std::string& path) {
  return std::make_unique<GrpcAgentStream>(path);
}

}  // namespace tandem::net
