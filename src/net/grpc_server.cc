#include "net/grpc_server.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/listen_check.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "metrics/registry.h"
#include "net/grpc_metrics.h"
#include "net/tls.h"

namespace tandem::net {
namespace {

// Linking gRPC's reflection library registers its plugin for every server
// (a static initializer); this option takes it out of one server again.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
      return dynamic_cast<grpc::reflection::ProtoServerReflectionPlugin*>(p.get()) != nullptr;
    });
  }
};

// Every server's calls are counted into the process's metrics.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> WithMetrics() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> v;
  v.push_back(MakeGrpcMetrics(metrics::Registry::Default()));
  return v;
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const std::string& listen,
                                                              std::vector<grpc::Service*> services,
                                                              const ServerOptions& options) {
  // Checked first, so that a typo or a taken port gets a message that says
  // what to do (gRPC's answer is a null server and a log line).
  if (absl::Status st = CheckListenAddress(listen, "[server] listen"); !st.ok()) return st;
  auto credentials = MakeServerCredentials(options.tls, "[tls]");
  if (!credentials.ok()) return credentials.status();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options.reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  int port = 0;
  builder.AddListeningPort(listen, *credentials, &port);
  // gRPC sets SO_REUSEPORT by default: a second server on the same address
  // would start too and take half of the connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  for (grpc::Service* s : services) builder.RegisterService(s);
  builder.experimental().SetInterceptorCreators(WithMetrics());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    // Lost a race for the port, most likely: say why if the check can tell.
    if (absl::Status st = CheckListenAddress(listen, "[server] listen"); !st.ok()) return st;
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", listen, ": gRPC refused the address; check [server] listen"));
  }
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), port));
}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::StartLocal(
    const std::string& path, std::vector<grpc::Service*> services) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path ", path, " is too long for a Unix socket (max ",
                     sizeof(sockaddr_un{}.sun_path) - 1, " bytes): use a shorter state_dir"));
  }
  unlink(path.c_str());
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<WithoutReflection>());
  builder.AddListeningPort("unix:" + path, grpc::InsecureServerCredentials());
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  for (grpc::Service* s : services) builder.RegisterService(s);
  builder.experimental().SetInterceptorCreators(WithMetrics());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on Unix socket ", path,
                     ": check that its directory exists and is writable"));
  }
  chmod(path.c_str(), 0666);
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), 0));
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  server_.reset();
}

absl::Status WritePortFile(const std::string& path, int port) {
  absl::Status st = WriteFileAtomically(path, absl::StrCat(port, "\n"));
  if (!st.ok()) return absl::UnavailableError(absl::StrCat("port file: ", st.message()));
  return absl::OkStatus();
}

}  // namespace tandem::net
