// A small certificate authority for Tandem's TLS: a CA, server/client
// certificates for daemons and operators, and reading certificates back
// (subject, names, expiry). Enough for the lab, the demo and a small site;
// a site with its own PKI uses its own files instead. The only code that
// calls OpenSSL's X509 API.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::pki {

//! What a certificate says, for `tandemctl pki show` and expiry alarms.
struct CertInfo {
  std::string subject;      //!< "CN=csproxy"
  std::string issuer;       //!< "CN=Tandem CA tandem"
  std::string common_name;  //!< "csproxy"
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::string serial;  //!< hex
  absl::Time not_before;
  absl::Time not_after;
  bool is_ca = false;
  bool server_auth = false;  //!< extended key usage
  bool client_auth = false;
  //! Whole days from `now` until not_after (negative: expired).
  int64_t DaysLeft(absl::Time now) const;
};

//! Files of a CA directory: DIR/ca.crt and DIR/ca.key.
std::string CaCertPath(const std::string& dir);
std::string CaKeyPath(const std::string& dir);

struct CaOptions {
  std::string dir;
  //! Subject CN of the CA.
  std::string name = "Tandem CA";
  int days = 3650;
  //! Replace an existing CA (every certificate it issued stops verifying).
  bool force = false;
};

//! Creates DIR (0700 if new), an EC P-256 key (0600) and a self-signed CA
//! certificate. Refuses to overwrite an existing CA unless forced.
absl::StatusOr<CertInfo> InitCa(const CaOptions& options);

struct IssueOptions {
  //! CA directory (InitCa).
  std::string dir;
  //! Subject CN: a daemon's Application name, or a person's user name.
  std::string name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  int days = 397;
  //! Start of validity (default: five minutes ago, for clocks a little
  //! apart); the certificate is valid for `days` from then.
  absl::Time valid_from = absl::InfinitePast();
  bool server_auth = true;
  bool client_auth = true;
  //! Where to write NAME.crt / NAME.key (default: `dir`).
  std::string out_dir;
  //! Replace existing files (rotation): written to temporary files first
  //! and renamed, key before certificate, so readers never see half a file.
  bool force = false;
};

//! Issues a certificate signed by the CA in `dir`: a new EC P-256 key
//! (0600) and the certificate with the names as SANs. Returns what it wrote.
absl::StatusOr<CertInfo> Issue(const IssueOptions& options);

//! Path of an issued certificate / key: OUT/NAME.crt, OUT/NAME.key.
std::string CertPath(const std::string& dir, const std::string& name);
std::string KeyPath(const std::string& dir, const std::string& name);

//! Every certificate in a PEM file (a chain or a bundle), in file order.
absl::StatusOr<std::vector<CertInfo>> ReadCertificates(const std::string& path);
//! The same for PEM text (e.g. the certificate a peer presented).
absl::StatusOr<std::vector<CertInfo>> ParseCertificates(const std::string& pem);

//! Checks what a server or client will present: the key file matches the
//! certificate, the certificate verifies against `ca_path` (if given) and is
//! valid now. Errors name the file and say what to do.
absl::Status CheckIdentity(const std::string& cert_path, const std::string& key_path,
                           const std::string& ca_path);

}  // namespace tandem::pki
