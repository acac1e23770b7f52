// Asking the site's Tandem servers (masters, proxies, SCSs, Message
// Servers) what they are, for
// `dr status` and the runbooks' checks: GetServerInfo after a short TCP
// probe, so a VM that is down costs 0.5 s instead of gRPC's timeout, and all
// servers of a list at once.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/host_port.h"
#include "tandem/config/v1/config.pb.h"
#include "tandem/control/v1/scs.pb.h"
#include "tandem/msg/v1/bus.pb.h"
#include "tandem/msg/v1/log.pb.h"
#include "tandem/tls_files.h"

namespace tandem::dr {

//! How long a TCP connection may take before a host counts as down.
inline constexpr absl::Duration kTcpProbe = absl::Milliseconds(500);

//! "198.51.100.11:9000" -> "198.51.100.11"; "[2001:db8::1]:9000" -> "2001:db8::1".
inline std::string HostOfAddress(const std::string& address) {
  return SplitHostPort(address).first;
}

//! How `dr` reaches the site's servers: TLS files and a session token.
struct ServerAccess {
  TlsFiles tls;
  std::string token;
};

//! GetServerInfo of one server ("host:port").
absl::StatusOr<config::v1::ServerInfo> AskServer(const std::string& server,
                                                 const ServerAccess& access);

//! An SCS's ScsControl.Status ("host:port"), after the same TCP probe.
absl::StatusOr<control::v1::ScsStatusResponse> AskScs(const std::string& scs,
                                                      const ServerAccess& access);

//! What a Message Server says of itself: its bus (every one has it) and,
//! for a Log Message Server, its Log Database.
struct MsgServerAnswer {
  msg::v1::BusInfo bus;
  std::optional<msg::v1::LogInfo> log;
};
//! GetInfo, then GetLogInfo ("host:port"), after the same TCP probe. A
//! server without a Log Database (UNIMPLEMENTED) has no `log`.
absl::StatusOr<MsgServerAnswer> AskMsgServer(const std::string& server, const ServerAccess& access);

//! AskServer for every server, all at once; in the same order.
std::vector<absl::StatusOr<config::v1::ServerInfo>> AskServers(
    const std::vector<std::string>& servers, const ServerAccess& access);

}  // namespace tandem::dr
