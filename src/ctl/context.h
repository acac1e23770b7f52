// What every tandemctl command runs with: global options, streams and a
// lazily connected client.
#pragma once

#include <functional>
#include <iostream>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ctl/options.h"
#include "tandem/config/client.h"

namespace tandem::ctl {

namespace v1 = ::tandem::config::v1;

//! Makes a client for the given options (net::NewGrpcConfigClient; tests
//! pass a fake).
using ClientFactory = std::function<config::ConfigClientPtr(const config::ClientOptions&)>;

class CommandContext {
 public:
  CommandContext(ClientFactory factory, std::istream& in, std::ostream& out, std::ostream& err)
      : factory_(std::move(factory)), in_(in), out_(out), err_(err) {}
  CommandContext(const CommandContext&) = delete;
  CommandContext& operator=(const CommandContext&) = delete;

  GlobalOptions& options() { return options_; }
  const GlobalOptions& options() const { return options_; }
  std::istream& in() { return in_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  //! The client, created and registered with the server on first use.
  //! Errors are operator messages ("cannot reach server ...").
  absl::StatusOr<config::ConfigClient*> Client();

  //! Drops the client and connects a new one (fresh channel), registering
  //! again; for long-running commands after the server went away.
  absl::StatusOr<v1::RegisterResponse> Reconnect();
  //! The client last connected; null after a Reconnect() that failed.
  config::ConfigClient* CurrentClient() { return client_.get(); }

  //! Logs in with `credentials` (a password) at the first suitable server
  //! of --server; the client keeps the session token for later calls.
  absl::StatusOr<v1::RegisterResponse> LoginWith(const v1::RegisterRequest& credentials);
  //! What the server said when the client registered (identity, role).
  absl::StatusOr<v1::RegisterResponse> Registration();
  //! A client of the first --server that has not registered (Bootstrap:
  //! nobody can log in yet).
  absl::StatusOr<config::ConfigClient*> UnauthenticatedClient();

  //! `status` from a call described by `what`, as an operator message.
  absl::Status Describe(const absl::Status& status, absl::string_view what) const;

 private:
  //! What a client is made with: the server, --app, --timeout.
  config::ClientOptions MakeClientOptions(const std::string& server) const;
  //! Registers (or `hello`s: a login) with the first suitable server of
  //! --server's list.
  absl::StatusOr<v1::RegisterResponse> Connect(
      const std::function<absl::StatusOr<v1::RegisterResponse>(config::ConfigClient&)>& hello);

  ClientFactory factory_;
  GlobalOptions options_;
  std::istream& in_;
  std::ostream& out_;
  std::ostream& err_;
  config::ConfigClientPtr client_;
  //! The TLS files in use (ClientTls of the options), set by Connect.
  TlsFiles tls_;
  //! The session token sent with calls (TANDEM_TOKEN or the token file).
  std::string token_;
  v1::RegisterResponse registration_;
};

//! The session token tandemctl sends: TANDEM_TOKEN, else the token file.
std::string SessionToken();

//! The TLS a client of a configuration server uses: the options' files, the
//! default CA when none is given, or plaintext; errors say what to give.
absl::StatusOr<TlsFiles> ClientTls(const GlobalOptions& options);

//! A parsed command, run after the command line was accepted.
using Action = std::function<absl::Status()>;

}  // namespace tandem::ctl
