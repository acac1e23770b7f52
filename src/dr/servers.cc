#include "dr/servers.h"

#include "absl/strings/str_cat.h"
#include "common/at_once.h"
#include "common/tcp_probe.h"
#include "net/channel.h"
#include "net/config_client.h"
#include "net/scs_service.h"
#include "net/status_convert.h"
#include "tandem/config/client.h"
#include "tandem/msg/v1/bus.grpc.pb.h"
#include "tandem/msg/v1/log.grpc.pb.h"

namespace tandem::dr {

namespace {

// A host that is down costs kTcpProbe, not gRPC's timeout.
absl::Status Probe(const std::string& server) {
  if (!AddressAnswers(server, kTcpProbe)) {
    return absl::UnavailableError(absl::StrCat(server, " does not accept connections"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<control::v1::ScsStatusResponse> AskScs(const std::string& scs,
                                                      const ServerAccess& access) {
  if (absl::Status st = Probe(scs); !st.ok()) return st;
  return net::ScsControlClient(scs, access.tls, access.token, "tandemctl-dr",
                               absl::Milliseconds(1500))
      .Status({});
}

absl::StatusOr<MsgServerAnswer> AskMsgServer(const std::string& server,
                                             const ServerAccess& access) {
  if (absl::Status st = Probe(server); !st.ok()) return st;
  net::ChannelOptions co;
  co.tls = access.tls;
  std::shared_ptr<grpc::Channel> channel = net::MakeChannel(server, co);
  auto call = [&](grpc::ClientContext& ctx) {
    net::AddCallerMetadata(ctx, access.token, "tandemctl-dr");
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(1500)));
  };
  MsgServerAnswer out;
  {
    grpc::ClientContext ctx;
    call(ctx);
    grpc::Status st = msg::v1::MessageBus::NewStub(channel)->GetInfo(
        &ctx, msg::v1::GetBusInfoRequest(), &out.bus);
    if (!st.ok()) return net::FromGrpc(st);
  }
  grpc::ClientContext ctx;
  call(ctx);
  msg::v1::LogInfo log;
  grpc::Status st =
      msg::v1::LogService::NewStub(channel)->GetLogInfo(&ctx, msg::v1::GetLogInfoRequest(), &log);
  if (st.ok()) {
    out.log = std::move(log);
  } else if (st.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
    return net::FromGrpc(st);
  }
  return out;
}

absl::StatusOr<config::v1::ServerInfo> AskServer(const std::string& server,
                                                 const ServerAccess& access) {
  if (absl::Status st = Probe(server); !st.ok()) return st;
  config::ClientOptions o;
  o.server = server;
  o.application_name = "tandemctl-dr";
  o.timeout = absl::Milliseconds(1500);
  o.tls = access.tls;
  o.token = access.token;
  return net::NewGrpcConfigClient(o)->GetServerInfo();
}

std::vector<absl::StatusOr<config::v1::ServerInfo>> AskServers(
    const std::vector<std::string>& servers, const ServerAccess& access) {
  std::vector<absl::StatusOr<config::v1::ServerInfo>> out(servers.size(),
                                                          absl::UnknownError("not asked"));
  RunAtOnce(servers.size(), [&](size_t i) { out[i] = AskServer(servers[i], access); });
  return out;
}

}  // namespace tandem::dr
