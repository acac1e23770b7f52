#include "net/config_client.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "grpcpp/client_context.h"
#include "net/channel.h"
#include "net/status_convert.h"
#include "tandem/config/v1/config.grpc.pb.h"

namespace tandem::net {
namespace {

namespace v1 = ::tandem::config::v1;
using config::kSessionMetadataKey;

ChannelOptions TlsChannel(const config::ClientOptions& options) {
  ChannelOptions o;
  o.tls = options.tls;
  return o;
}

}  // namespace

class ClientChannel {
 public:
  explicit ClientChannel(std::shared_ptr<grpc::Channel> channel) : channel_(std::move(channel)) {}
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

namespace {

class GrpcConfigClient final : public config::ConfigClient {
 public:
  explicit GrpcConfigClient(const config::ClientOptions& options)
      : options_(options),
        stub_(v1::ConfigService::NewStub(MakeChannel(options.server, TlsChannel(options)))) {}
  GrpcConfigClient(const config::ClientOptions& options, ClientChannelPtr channel)
      : options_(options),
        shared_(std::move(channel)),
        stub_(v1::ConfigService::NewStub(shared_->channel())) {}
  GrpcConfigClient(const GrpcConfigClient&) = delete;
  GrpcConfigClient& operator=(const GrpcConfigClient&) = delete;

  absl::StatusOr<v1::RegisterResponse> Register() override { return Call(RegisterRequest()); }

  absl::StatusOr<v1::RegisterResponse> Login(const v1::RegisterRequest& credentials) override {
    v1::RegisterRequest request = RegisterRequest();
    request.set_user_name(credentials.user_name());
    request.set_password(credentials.password());
    request.set_tenant_dbid(credentials.tenant_dbid());
    request.set_tenant_name(credentials.tenant_name());
    absl::StatusOr<v1::RegisterResponse> r = Call(request);
    if (r.ok() && !r->token().empty()) token_ = r->token();
    return r;
  }

  absl::StatusOr<v1::SetPasswordResponse> SetPassword(
      const v1::SetPasswordRequest& request) override {
    // Hashing on the server takes a moment beyond the usual deadline.
    return Unary<v1::SetPasswordResponse>(request, &Stub::SetPassword,
                                          std::max(Timeout(), absl::Seconds(30)));
  }

  absl::StatusOr<v1::BootstrapResponse> Bootstrap(const v1::BootstrapRequest& request) override {
    return Unary<v1::BootstrapResponse>(request, &Stub::Bootstrap,
                                        std::max(Timeout(), absl::Seconds(30)));
  }

  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) override {
    return Unary<v1::GetResponse>(request, &Stub::Get);
  }

  absl::Status List(const v1::ListRequest& request, const ListFn& fn) override {
    grpc::ClientContext ctx;
    Prepare(&ctx, absl::InfiniteDuration());
    auto reader = stub_->List(&ctx, request);
    v1::ListResponse response;
    absl::Status result;
    while (reader->Read(&response)) {
      result = fn(response);
      if (!result.ok()) {
        ctx.TryCancel();
        break;
      }
    }
    absl::Status status = FromGrpc(reader->Finish());
    return result.ok() ? status : result;
  }

  absl::StatusOr<v1::CreateResponse> Create(const v1::CreateRequest& request) override {
    return Unary<v1::CreateResponse>(request, &Stub::Create);
  }
  absl::StatusOr<v1::UpdateResponse> Update(const v1::UpdateRequest& request) override {
    return Unary<v1::UpdateResponse>(request, &Stub::Update);
  }
  absl::StatusOr<v1::DeleteResponse> Delete(const v1::DeleteRequest& request) override {
    return Unary<v1::DeleteResponse>(request, &Stub::Delete);
  }
  absl::StatusOr<v1::TransactionResponse> Transaction(const v1::TransactionRequest& request,
                                                      absl::Duration timeout) override {
    return Unary<v1::TransactionResponse>(request, &Stub::Transaction, timeout);
  }
  absl::StatusOr<v1::HistoryResponse> History(const v1::HistoryRequest& request) override {
    return Unary<v1::HistoryResponse>(request, &Stub::History);
  }
  absl::StatusOr<v1::ServerInfo> GetServerInfo() override {
    return Unary<v1::ServerInfo>(v1::ServerInfoRequest(), &Stub::GetServerInfo);
  }

  absl::Status Watch(const v1::WatchRequest& request, const WatchFn& fn,
                     const std::atomic<bool>& stop) override {
    grpc::ClientContext ctx;
    Prepare(&ctx, absl::InfiniteDuration());
    std::atomic<bool> done = false;
    // Cancels the stream when asked to stop; Read() cannot be interrupted otherwise.
    std::thread canceller([&] {
      while (!done.load()) {
        if (stop.load()) {
          ctx.TryCancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    auto reader = stub_->Watch(&ctx, request);
    v1::WatchResponse response;
    while (reader->Read(&response)) fn(response);
    grpc::Status status = reader->Finish();
    done = true;
    canceller.join();
    if (stop.load()) return absl::OkStatus();
    return FromGrpc(status);
  }

 private:
  using Stub = v1::ConfigService::Stub;

  absl::Duration Timeout() const { return options_.timeout; }

  static std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
    if (timeout == absl::InfiniteDuration()) return std::chrono::system_clock::time_point::max();
    return absl::ToChronoTime(absl::Now() + timeout);
  }

  void Prepare(grpc::ClientContext* ctx, absl::Duration timeout) {
    if (timeout != absl::InfiniteDuration()) ctx->set_deadline(Deadline(timeout));
    if (!session_id_.empty()) ctx->AddMetadata(kSessionMetadataKey, session_id_);
    AddCallerMetadata(*ctx, token_);
    if (!options_.on_behalf_of.empty()) {
      ctx->AddMetadata(config::kOnBehalfOfMetadataKey, options_.on_behalf_of);
    }
    if (!options_.forwarded_for.empty()) {
      ctx->AddMetadata(config::kForwardedForMetadataKey, options_.forwarded_for);
    }
  }

  v1::RegisterRequest RegisterRequest() const {
    v1::RegisterRequest request;
    request.set_application_name(options_.application_name);
    request.set_client_version(options_.client_version);
    request.set_os_user(options_.os_user);
    request.set_os_host(options_.os_host);
    return request;
  }

  absl::StatusOr<v1::RegisterResponse> Call(const v1::RegisterRequest& request) {
    v1::RegisterResponse response;
    grpc::ClientContext ctx;
    // Hashing a password on the server takes a moment beyond the usual deadline.
    ctx.set_deadline(
        Deadline(request.password().empty() ? Timeout() : std::max(Timeout(), absl::Seconds(30))));
    AddCallerMetadata(ctx, token_);
    grpc::Status status = stub_->Register(&ctx, request, &response);
    if (!status.ok()) return FromGrpc(status);
    session_id_ = response.session_id();
    return response;
  }

  template <typename Response, typename Request, typename Method>
  absl::StatusOr<Response> Unary(const Request& request, Method method,
                                 absl::Duration timeout = absl::ZeroDuration()) {
    grpc::ClientContext ctx;
    Prepare(&ctx, timeout == absl::ZeroDuration() ? Timeout() : timeout);
    Response response;
    grpc::Status status = (stub_.get()->*method)(&ctx, request, &response);
    if (!status.ok()) return FromGrpc(status);
    return response;
  }

  const config::ClientOptions options_;
  const ClientChannelPtr shared_;  // null: the stub owns its channel
  std::unique_ptr<Stub> stub_;
  std::string session_id_;
  //! ClientOptions::token, or the one a Login returned.
  std::string token_ = options_.token;
};

}  // namespace

config::ConfigClientPtr NewGrpcConfigClient(const config::ClientOptions& options) {
  return std::make_unique<GrpcConfigClient>(options);
}

ClientChannelPtr NewClientChannel(const std::string& target, const ChannelOptions& options) {
  return std::make_shared<ClientChannel>(MakeChannel(target, options));
}

config::ConfigClientPtr NewGrpcConfigClientOn(const config::ClientOptions& options,
                                              ClientChannelPtr channel) {
  return std::make_unique<GrpcConfigClient>(options, std::move(channel));
}

}  // namespace tandem::net
