#include "net/tls.h"

#include <unistd.h>

#include <map>
#include <mutex>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "auth/auth_config.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "pki/pki.h"
#include "spdlog/spdlog.h"
#include "tandem/config/client.h"

namespace tandem::net {
namespace {

using Provider = grpc::experimental::FileWatcherCertificateProvider;

//! One file watcher per set of files for the whole process (each runs a
//! refresh thread).
std::shared_ptr<Provider> SharedProvider(const TlsFiles& tls) {
  static std::mutex mu;
  static auto* providers =
      new std::map<std::tuple<std::string, std::string, std::string>, std::shared_ptr<Provider>>();
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_tuple(tls.key, tls.cert, tls.ca);
  auto it = providers->find(key);
  if (it != providers->end()) return it->second;
  std::shared_ptr<Provider> p =
      tls.has_identity() ? std::make_shared<Provider>(tls.key, tls.cert, tls.ca, kTlsRefreshSeconds)
                         : std::make_shared<Provider>(tls.ca, kTlsRefreshSeconds);
  providers->emplace(key, p);
  return p;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& tls, const std::string& setting) {
  if (tls.plaintext) return grpc::InsecureServerCredentials();
  if (tls.cert.empty() || tls.key.empty() || tls.ca.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(setting,
                     ": a server needs cert, key and ca (`tandemctl pki issue` makes them), or "
                     "plaintext = true to run without TLS (not for a real network)"));
  }
  if (absl::Status st = pki::CheckIdentity(tls.cert, tls.key, tls.ca); !st.ok()) {
    return absl::Status(st.code(), absl::StrCat(setting, ": ", st.message()));
  }
  grpc::experimental::TlsServerCredentialsOptions options(SharedProvider(tls));
  options.watch_identity_key_cert_pairs();
  options.watch_root_certs();
  // Daemons present certificates and are verified; operators and programs
  // without one get in to log in otherwise (authentication decides).
  options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsFiles& tls) {
  if (tls.plaintext) return grpc::InsecureChannelCredentials();
  if (tls.ca.empty() && !tls.has_identity()) {
    return grpc::SslCredentials(grpc::SslCredentialsOptions());  // the system's roots
  }
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(SharedProvider(tls));
  if (!tls.ca.empty()) options.watch_root_certs();  // else the system's roots
  if (tls.has_identity()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  options.set_check_call_host(true);
  return grpc::experimental::TlsCredentials(options);
}

std::vector<std::string> TlsStatus::Alarms() {
  if (tls_.plaintext) {
    return {
        "plaintext: [tls] plaintext = true, so connections are neither encrypted nor "
        "authenticated; give [tls] cert, key and ca"};
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (now - checked_ < absl::Minutes(1)) return alarms_;
  checked_ = now;
  alarms_.clear();
  auto certs = pki::ReadCertificates(tls_.cert);
  if (!certs.ok()) {
    alarms_.push_back(absl::StrCat("certificate: ", certs.status().message()));
    return alarms_;
  }
  const pki::CertInfo& c = certs->front();
  const int64_t left = c.DaysLeft(now);
  if (left < 0) {
    alarms_.push_back(absl::StrCat("certificate ", c.subject, " (", tls_.cert,
                                   ") has expired; issue a new one (tandemctl pki issue --force)"));
  } else if (left <= 30) {
    alarms_.push_back(absl::StrCat("certificate ", c.subject, " (", tls_.cert, ") expires in ",
                                   left, " days; issue a new one (tandemctl pki issue --force)"));
  }
  return alarms_;
}

std::vector<std::string> TlsStatus::CertificateAlarms() {
  if (tls_.plaintext) return {};
  return Alarms();
}

absl::StatusOr<std::string> TlsStatus::Recheck() {
  if (tls_.plaintext) return std::string("plaintext: no certificate files to read");
  if (absl::Status st = pki::CheckIdentity(tls_.cert, tls_.key, tls_.ca); !st.ok()) return st;
  auto certs = pki::ReadCertificates(tls_.cert);
  if (!certs.ok()) return certs.status();
  {
    absl::MutexLock lock(&mu_);
    checked_ = absl::InfinitePast();  // alarms from the new file at the next look
  }
  const pki::CertInfo& c = certs->front();
  return absl::StrCat("certificate files are valid: ", c.subject, " until ",
                      absl::FormatTime("%Y-%m-%d", c.not_after, absl::UTCTimeZone()), " (serial ",
                      c.serial, "); new connections use them within ", kTlsRefreshSeconds,
                      " s, open ones carry on");
}

void LogTlsAtStart(const TlsFiles& tls, TlsStatus& status) {
  if (tls.plaintext) {
    spdlog::warn(
        "[tls] plaintext = true: connections are neither encrypted nor authenticated; give [tls] "
        "cert, key and ca before this server is on a real network");
    return;
  }
  auto line = status.Recheck();
  spdlog::info("TLS: {}; client certificates are checked against {}",
               line.ok() ? *line : std::string(line.status().message()), tls.ca);
}

void RecheckTlsOnSighup(TlsStatus& status) {
  auto line = status.Recheck();
  if (line.ok()) {
    spdlog::info("SIGHUP: {}", *line);
  } else {
    spdlog::error(
        "SIGHUP: the certificate files are not usable ({}); the ones loaded before "
        "stay in use until they are fixed",
        std::string(line.status().message()));
  }
}

void LogAuthAtStart(auth::Authenticator* auth, auth::BackendDirectory& directory,
                    const std::string& bootstrap_file) {
  if (auth == nullptr) {
    spdlog::warn(
        "[auth] mode = \"off\": every caller may read and change everything, as whatever "
        "application it claims to be; set mode = \"on\" before this server is on a real network");
    return;
  }
  spdlog::info(
      "authentication on: persons log in with a password (session tokens for {} h), "
      "applications present a client certificate naming their Application",
      absl::ToInt64Hours(auth->config().token_lifetime));
  if (bootstrap_file.empty() || directory.HasAdministrator()) return;
  if (access(bootstrap_file.c_str(), F_OK) != 0) {
    if (absl::Status st = auth::WriteBootstrapSecret(bootstrap_file); !st.ok()) {
      spdlog::error("no administrator yet, and the bootstrap secret cannot be written: {}",
                    std::string(st.message()));
      return;
    }
  }
  spdlog::warn(
      "no administrator yet: on this host, run `tandemctl auth bootstrap --secret-file {} --user "
      "admin` (it asks for the new password; the file is removed once used)",
      bootstrap_file);
}

std::string PeerCertificateName(const grpc::ServerContextBase& ctx) {
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  for (const grpc::string_ref& v : auth->FindPropertyValues("x509_common_name")) {
    return std::string(v.data(), v.size());
  }
  return "";
}

std::string PeerAddress(const std::string& peer) {
  absl::string_view p = peer;
  if (!absl::ConsumePrefix(&p, "ipv4:") && !absl::ConsumePrefix(&p, "ipv6:")) return peer;
  if (absl::ConsumePrefix(&p, "[")) return std::string(p.substr(0, p.find(']')));
  return std::string(p.substr(0, p.rfind(':')));
}

std::string CallToken(const grpc::ServerContextBase& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(config::kAuthorizationMetadataKey);
  if (it == md.end()) return "";
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ")) return "";
  return std::string(value);
}

}  // namespace tandem::net
