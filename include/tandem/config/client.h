// The calls a client makes to a configuration server (master or proxy) over
// the tandem.config.v1.ConfigService API. tandemctl, the benchmarks, the
// client library and the Configuration Server Proxy use this interface, so
// that tests can substitute a fake server. The gRPC implementation is
// net::NewGrpcConfigClient (src/net/config_client.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tandem/config/v1/config.pb.h"
#include "tandem/tls_files.h"

namespace tandem::config {

//! Where a client connects and what it registers as.
struct ClientOptions {
  //! "host:port" of the configuration server.
  std::string server;
  //! Application name sent by Register (recorded as "who" in history).
  std::string application_name;
  //! Sent by Register as client_version, e.g. "tandemctl/0.1".
  std::string client_version;
  //! Sent by Register: the OS user and host running the client (history
  //! records them with the application name; not authenticated).
  std::string os_user;
  std::string os_host;
  //! How to reach the server: TLS with these files, or plaintext if asked.
  TlsFiles tls;
  //! A session token (tandemctl login) sent with every call.
  std::string token;
  //! For a proxy: the identity it writes on behalf of ("application NAME").
  std::string on_behalf_of;
  //! For a proxy: the address of the client whose write it forwards
  //! ("203.0.113.7"); the master records it with the proxy's address, and
  //! believes it only from a Tandem server's certificate.
  std::string forwarded_for;
  //! Deadline of each unary call (Register, and so connecting, included)
  //! unless the call takes its own.
  absl::Duration timeout = absl::Seconds(10);
};

//! Statuses are the server's, unchanged (callers turn them into messages
//! for their users). Not thread-safe: one call at a time.
class ConfigClient {
 public:
  using ListFn = std::function<absl::Status(const v1::ListResponse&)>;
  using WatchFn = std::function<void(const v1::WatchResponse&)>;

  virtual ~ConfigClient() = default;

  //! Registers as the configured application; later calls carry the
  //! session id. Called once before any other call (again to re-register
  //! after the server restarted).
  virtual absl::StatusOr<v1::RegisterResponse> Register() = 0;
  virtual absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) = 0;
  //! Calls fn for every streamed chunk; stops at fn's first error.
  virtual absl::Status List(const v1::ListRequest& request, const ListFn& fn) = 0;
  virtual absl::StatusOr<v1::CreateResponse> Create(const v1::CreateRequest& request) = 0;
  virtual absl::StatusOr<v1::UpdateResponse> Update(const v1::UpdateRequest& request) = 0;
  virtual absl::StatusOr<v1::DeleteResponse> Delete(const v1::DeleteRequest& request) = 0;
  //! `timeout` replaces the usual per-call deadline (big imports).
  virtual absl::StatusOr<v1::TransactionResponse> Transaction(const v1::TransactionRequest& request,
                                                              absl::Duration timeout) = 0;
  //! Blocks delivering responses to fn until the stream ends (its status is
  //! returned; OK when the server closed it) or `stop` becomes true (OK).
  virtual absl::Status Watch(const v1::WatchRequest& request, const WatchFn& fn,
                             const std::atomic<bool>& stop) = 0;
  virtual absl::StatusOr<v1::HistoryResponse> History(const v1::HistoryRequest& request) = 0;
  virtual absl::StatusOr<v1::ServerInfo> GetServerInfo() = 0;

  //! A password login: Register with `credentials`' user_name, password and
  //! tenant (the rest is filled in); the response's token is sent with this
  //! client's later calls.
  virtual absl::StatusOr<v1::RegisterResponse> Login(const v1::RegisterRequest& credentials) {
    (void)credentials;
    return absl::UnimplementedError("Login");
  }
  virtual absl::StatusOr<v1::SetPasswordResponse> SetPassword(
      const v1::SetPasswordRequest& request) {
    (void)request;
    return absl::UnimplementedError("SetPassword");
  }
  virtual absl::StatusOr<v1::BootstrapResponse> Bootstrap(const v1::BootstrapRequest& request) {
    (void)request;
    return absl::UnimplementedError("Bootstrap");
  }
};

using ConfigClientPtr = std::unique_ptr<ConfigClient>;

//! Metadata key carrying the session id returned by Register.
inline constexpr char kSessionMetadataKey[] = "x-tandem-session";
//! Metadata keys of a session token ("Bearer TOKEN") and of the identity a
//! proxy writes on behalf of.
inline constexpr char kAuthorizationMetadataKey[] = "authorization";
inline constexpr char kOnBehalfOfMetadataKey[] = "x-tandem-on-behalf-of";
//! Metadata key of the client address a proxy forwards a write for.
inline constexpr char kForwardedForMetadataKey[] = "x-tandem-forwarded-for";
//! Metadata key of the name a caller claims when authentication is off (the
//! SCS's and the Message Server's callers).
inline constexpr char kClaimedMetadataKey[] = "x-tandem-claimed";

}  // namespace tandem::config
