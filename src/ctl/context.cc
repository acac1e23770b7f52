#include "ctl/context.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/host_port.h"
#include "common/status_macros.h"
#include "ctl/commands.h"
#include "ctl/errors.h"

namespace tandem::ctl {
namespace {

constexpr char kClientVersion[] = "tandemctl/0.1";

}  // namespace

absl::StatusOr<TlsFiles> ClientTls(const GlobalOptions& options) {
  TlsFiles tls = options.tls;
  if (tls.plaintext) {  // the files (maybe from the environment) are not used
    TlsFiles plain;
    plain.plaintext = true;
    return plain;
  }
  if (tls.cert.empty() != tls.key.empty()) {
    return UsageError("--cert and --key go together (a client certificate and its key)");
  }
  if (tls.ca.empty()) {
    std::vector<std::string> defaults;
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
      defaults.push_back(absl::StrCat(home, "/.config/tandem/ca.crt"));
    }
    defaults.push_back("/etc/tandem/pki/ca.crt");
    for (const std::string& path : defaults) {
      if (access(path.c_str(), R_OK) == 0) {
        tls.ca = path;
        break;
      }
    }
    if (tls.ca.empty()) {
      return UsageError(absl::StrCat(
          "no CA certificate to check the server with (looked for ", absl::StrJoin(defaults, ", "),
          "): give --ca FILE or TANDEM_CA, or --plaintext for a server without TLS"));
    }
  }
  for (const std::string* f : {&tls.ca, &tls.cert, &tls.key}) {
    if (!f->empty() && access(f->c_str(), R_OK) != 0) {
      return UsageError(absl::StrCat("cannot read ", *f, ": ", std::strerror(errno)));
    }
  }
  return tls;
}

config::ClientOptions CommandContext::MakeClientOptions(const std::string& server) const {
  config::ClientOptions client;
  client.server = server;
  client.application_name = options_.app;
  client.client_version = kClientVersion;
  client.timeout = absl::Seconds(options_.timeout_s);
  client.os_user = options_.os_user;
  client.os_host = options_.os_host;
  client.tls = tls_;
  client.token = token_;
  return client;
}

// The session token: TANDEM_TOKEN, else the file `tandemctl login` wrote.
std::string SessionToken() {
  if (const char* t = std::getenv("TANDEM_TOKEN"); t != nullptr && *t != '\0') return t;
  std::ifstream in(TokenFile());
  std::string token;
  std::getline(in, token);
  return std::string(absl::StripAsciiWhitespace(token));
}

// --server may list several servers (an HA pair, a proxy pair): the first
// that answers and is not a backup master is used; a backup only if no
// other answers (its status still shows, and writes say where the primary is).
absl::StatusOr<v1::RegisterResponse> CommandContext::Connect(
    const std::function<absl::StatusOr<v1::RegisterResponse>(config::ConfigClient&)>& hello) {
  std::vector<std::string> servers = absl::StrSplit(options_.server, ',');
  // Checked before dialing: a typo is one clear line, not a resolver error.
  for (const std::string& server : servers) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(server, "--server");
    if (!parsed.ok()) {
      return UsageError(absl::StrCat(parsed.status().message(),
                                     servers.size() > 1 ? " (in a list, separate with ',')" : ""));
    }
  }
  absl::StatusOr<TlsFiles> tls = ClientTls(options_);
  if (!tls.ok()) return tls.status();
  tls_ = *tls;
  token_ = hello ? "" : SessionToken();
  absl::Status last = absl::UnavailableError("no server given");
  config::ConfigClientPtr backup;
  v1::RegisterResponse backup_reg;
  for (const std::string& server : servers) {
    config::ConfigClientPtr client = factory_(MakeClientOptions(server));
    absl::StatusOr<v1::RegisterResponse> reg = hello ? hello(*client) : client->Register();
    if (!reg.ok()) {
      last = reg.status();
      continue;
    }
    if (reg->server().role() == v1::ROLE_BACKUP && servers.size() > 1) {
      if (backup == nullptr) {
        backup = std::move(client);
        backup_reg = *reg;
      }
      continue;
    }
    client_ = std::move(client);
    registration_ = *reg;
    return reg;
  }
  if (backup != nullptr) {
    client_ = std::move(backup);
    registration_ = backup_reg;
    return backup_reg;
  }
  client_ = nullptr;
  return last;
}

absl::StatusOr<v1::RegisterResponse> CommandContext::LoginWith(
    const v1::RegisterRequest& credentials) {
  client_ = nullptr;
  auto r = Connect([&credentials](config::ConfigClient& c) { return c.Login(credentials); });
  if (!r.ok()) {
    if (IsUsageError(r.status())) return r.status();
    return Describe(r.status(), absl::StrCat("log in as ", credentials.user_name()));
  }
  return r;
}

absl::StatusOr<v1::RegisterResponse> CommandContext::Registration() {
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, Client());
  (void)client;
  return registration_;
}

absl::StatusOr<config::ConfigClient*> CommandContext::UnauthenticatedClient() {
  std::vector<std::string> servers = absl::StrSplit(options_.server, ',');
  absl::StatusOr<HostPort> parsed = ParseHostPort(servers[0], "--server");
  if (!parsed.ok()) return UsageError(parsed.status().message());
  absl::StatusOr<TlsFiles> tls = ClientTls(options_);
  if (!tls.ok()) return tls.status();
  tls_ = *tls;
  token_.clear();
  client_ = factory_(MakeClientOptions(servers[0]));
  return client_.get();
}

absl::StatusOr<config::ConfigClient*> CommandContext::Client() {
  if (client_ != nullptr) return client_.get();
  auto registered = Connect(nullptr);
  if (!registered.ok()) {
    if (IsUsageError(registered.status())) return registered.status();
    if (absl::IsUnauthenticated(registered.status())) {
      return Describe(registered.status(), absl::StrCat("server ", options_.server));
    }
    return Describe(registered.status(), "register as application '" + options_.app + "'");
  }
  return client_.get();
}

absl::StatusOr<v1::RegisterResponse> CommandContext::Reconnect() { return Connect(nullptr); }

absl::Status CommandContext::Describe(const absl::Status& status, absl::string_view what) const {
  absl::Status described = DescribeRpcError(status, what, options_.server);
  // A plaintext client at a TLS server sees the connection closed at once.
  if (tls_.plaintext && absl::IsUnavailable(described) &&
      absl::StrContains(described.message(), "(connection closed)")) {
    return absl::UnavailableError(absl::StrCat(
        described.message(), " (the server may use TLS: drop --plaintext and give --ca)"));
  }
  return described;
}

absl::Status RefuseServerFlags(const CommandContext& ctx, absl::string_view command,
                               absl::string_view server_instead,
                               absl::string_view timeout_instead) {
  const GlobalOptions& o = ctx.options();
  if (o.server_given) {
    return UsageError(absl::StrCat("'", command,
                                   "' does not use --server (a configuration server); it takes ",
                                   server_instead));
  }
  if (o.timeout_given) {
    return UsageError(absl::StrCat("'", command,
                                   "' does not use --timeout (per call to a configuration "
                                   "server); it takes ",
                                   timeout_instead));
  }
  return absl::OkStatus();
}

}  // namespace tandem::ctl
