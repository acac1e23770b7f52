#include "dr/servers.h"

#include "absl/strings/str_cat.h"
#include "common/at_once.h"
#include "common/tcp_probe.h"
#include "net/config_client.h"
#include "net/scs_service.h"

namespace tandem::dr {

namespace {

// A host that is down costs kTcpProbe, not gRPC's timeout.
absl::Status Probe(const std::string& server) {
  const auto [host, port] = SplitHostPort(server);
  if (!port.empty() && !TcpAnswers(host, port, kTcpProbe)) {
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
