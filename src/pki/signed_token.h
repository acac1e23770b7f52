// Session tokens any Tandem server can check without a shared secret: the
// payload is signed with the issuing server's TLS key, and the token carries
// that server's certificate, which must chain to the CA. A token issued by
// the master in region 1 is valid at a proxy or at region 2's master after a
// failover. The only code besides pki.cc that calls OpenSSL.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace tandem::pki {

//! Signs payloads with a server's key; re-reads the files when they change
//! (a rotated certificate signs new tokens). Thread-safe.
class TokenSigner {
 public:
  TokenSigner(std::string cert_path, std::string key_path);
  ~TokenSigner();
  //! "v1.<payload>.<certificate>.<signature>", each part base64url.
  absl::StatusOr<std::string> Sign(const std::string& payload);

 private:
  absl::Status LoadIfChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const std::string cert_path_, key_path_;
  absl::Mutex mu_;
  struct Loaded;
  std::unique_ptr<Loaded> loaded_ ABSL_GUARDED_BY(mu_);
};

struct VerifiedToken {
  std::string payload;
  //! CN of the server certificate that signed it.
  std::string signer;
  //! SHA-256 of the signing certificate (DER), raw.
  std::string signer_fingerprint;
};

//! SHA-256 (raw) of the first certificate in a PEM file.
absl::StatusOr<std::string> CertificateFingerprint(const std::string& cert_path);

//! Checks tokens against the CA: the embedded certificate chains to it and
//! is a server certificate, and the signature over the payload is its key's.
//! Verified certificates are remembered. Thread-safe.
class TokenVerifier {
 public:
  explicit TokenVerifier(std::string ca_path);
  ~TokenVerifier();
  //! The payload of a genuine token; UNAUTHENTICATED (saying what is wrong)
  //! for anything else. Expiry is the caller's business (it is in the payload).
  absl::StatusOr<VerifiedToken> Verify(const std::string& token);

 private:
  const std::string ca_path_;
  absl::Mutex mu_;
  struct Cache;
  std::unique_ptr<Cache> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::pki
