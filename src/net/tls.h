// TLS for every Tandem link (gRPC credentials from TlsFiles). Servers
// present their certificate and request the client's: one signed by the CA
// is verified and identifies the caller (daemons); a client without one may
// still connect and authenticate otherwise. Certificate files are watched
// and re-read within a second of a change, so a rotated certificate is used
// by new connections while open streams carry on.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/authenticator.h"
#include "auth/backend_directory.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"
#include "tandem/tls_files.h"

namespace tandem::net {

//! How often certificate files are looked at for changes.
inline constexpr unsigned kTlsRefreshSeconds = 1;

//! Credentials for a server: insecure for plaintext, else TLS after
//! checking the files (key matches certificate, certificate verifies against
//! the CA, valid now). Errors name `setting` ("[tls]") and say what to fix.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& tls, const std::string& setting);

//! Credentials for a client: insecure for plaintext, else TLS checking the
//! server's certificate against `tls.ca` and the name dialed against its
//! SANs, presenting `tls.cert` when given. Watchers are shared per set of
//! files, so many channels cost one watcher.
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsFiles& tls);

//! What a server says about its own TLS: alarms for plaintext and for a
//! certificate that expires within 30 days (the file is read again at most
//! once a minute, so a rotated one clears the alarm), and the check SIGHUP
//! runs. Thread-safe.
class TlsStatus {
 public:
  explicit TlsStatus(TlsFiles tls) : tls_(std::move(tls)) {}
  std::vector<std::string> Alarms();
  //! Alarms() about the certificate only (none for plaintext).
  std::vector<std::string> CertificateAlarms();
  //! Checks the files now (SIGHUP): a line for the log, or what is wrong.
  absl::StatusOr<std::string> Recheck();

 private:
  const TlsFiles tls_;
  absl::Mutex mu_;
  absl::Time checked_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::vector<std::string> alarms_ ABSL_GUARDED_BY(mu_);
};

//! Logs how a server runs: its certificate, or a warning for plaintext
//! (at every start).
void LogTlsAtStart(const TlsFiles& tls, TlsStatus& status);
//! SIGHUP: checks the certificate files and logs the outcome (the file
//! watcher swaps them in by itself; a broken file keeps the old ones).
void RecheckTlsOnSighup(TlsStatus& status);

//! Logs how a server authenticates (a warning for mode = "off", at every
//! start). A master (`bootstrap_file` given) with no administrator yet writes
//! the bootstrap secret (if the file is not there) and says how to use it.
void LogAuthAtStart(auth::Authenticator* auth, auth::BackendDirectory& directory,
                    const std::string& bootstrap_file);

//! The common name of the calling peer's verified client certificate, or ""
//! (plaintext, or no certificate presented).
std::string PeerCertificateName(const grpc::ServerContextBase& ctx);

//! The address in a gRPC peer string ("ipv4:192.0.2.10:5000" -> "192.0.2.10").
std::string PeerAddress(const std::string& peer);

//! The session token of a call ("authorization: Bearer TOKEN"), or "".
std::string CallToken(const grpc::ServerContextBase& ctx);

}  // namespace tandem::net
