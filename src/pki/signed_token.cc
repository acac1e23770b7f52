#include "pki/signed_token.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace tandem::pki {
namespace {

struct FileStamp {
  int64_t mtime_ns = 0;
  int64_t size = -1;
  bool operator==(const FileStamp&) const = default;
};

FileStamp Stamp(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {};
  return {static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          static_cast<int64_t>(st.st_size)};
}

std::string ReadAll(const std::string& path) {
  std::string text;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

void FreeKey(EVP_PKEY* k) { EVP_PKEY_free(k); }
void FreeX509(X509* x) { X509_free(x); }
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&FreeKey)>;
using X509Ptr = std::unique_ptr<X509, decltype(&FreeX509)>;

//! Every certificate in PEM text, in order.
std::vector<X509Ptr> PemChain(const std::string& pem) {
  std::vector<X509Ptr> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.emplace_back(x, FreeX509);
  BIO_free(bio);
  ERR_clear_error();
  return out;
}

std::string Der(X509* x) {
  unsigned char* buf = nullptr;
  const int len = i2d_X509(x, &buf);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::string Sha256(const std::string& data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(
      absl::StrCat("token not accepted: ", why, "; log in again (tandemctl login)"));
}

}  // namespace

struct TokenSigner::Loaded {
  FileStamp cert_stamp, key_stamp;
  KeyPtr key{nullptr, FreeKey};
  std::string chain_der;  // the certificate file's certificates, DER, concatenated
};

TokenSigner::TokenSigner(std::string cert_path, std::string key_path)
    : cert_path_(std::move(cert_path)), key_path_(std::move(key_path)) {}
TokenSigner::~TokenSigner() = default;

absl::Status TokenSigner::LoadIfChanged() {
  const FileStamp cert = Stamp(cert_path_), key = Stamp(key_path_);
  if (loaded_ != nullptr && loaded_->cert_stamp == cert && loaded_->key_stamp == key) {
    return absl::OkStatus();
  }
  auto next = std::make_unique<Loaded>();
  next->cert_stamp = cert;
  next->key_stamp = key;
  const std::string key_pem = ReadAll(key_path_);
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  next->key.reset(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  ERR_clear_error();
  std::vector<X509Ptr> chain = PemChain(ReadAll(cert_path_));
  if (next->key == nullptr || chain.empty() ||
      X509_check_private_key(chain[0].get(), next->key.get()) != 1) {
    ERR_clear_error();
    if (loaded_ != nullptr) return absl::OkStatus();  // keep signing with what worked
    return absl::FailedPreconditionError(absl::StrCat("cannot sign session tokens: ", cert_path_,
                                                      " and ", key_path_, " are not a key pair"));
  }
  for (const X509Ptr& x : chain) next->chain_der += Der(x.get());
  loaded_ = std::move(next);
  return absl::OkStatus();
}

absl::StatusOr<std::string> TokenSigner::Sign(const std::string& payload) {
  absl::MutexLock lock(&mu_);
  if (absl::Status st = LoadIfChanged(); !st.ok()) return st;
  const std::string signed_part = absl::StrCat("v1.", absl::WebSafeBase64Escape(payload), ".",
                                               absl::WebSafeBase64Escape(loaded_->chain_der));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok =
      EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, loaded_->key.get()) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(signed_part.data()),
                     signed_part.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(signed_part.data()),
                        signed_part.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  if (!ok) return absl::InternalError("signing a session token failed");
  return absl::StrCat(signed_part, ".", absl::WebSafeBase64Escape(sig));
}

struct TokenVerifier::Cache {
  FileStamp ca_stamp;
  X509_STORE* store = nullptr;
  struct Signer {
    KeyPtr key{nullptr, FreeKey};
    std::string common_name;
    std::string fingerprint;  // of the leaf
    absl::Time not_after;
  };
  std::map<std::string, Signer> signers;  // by SHA-256 of the chain's DER
  ~Cache() {
    if (store != nullptr) X509_STORE_free(store);
  }
};

TokenVerifier::TokenVerifier(std::string ca_path) : ca_path_(std::move(ca_path)) {}
TokenVerifier::~TokenVerifier() = default;

absl::StatusOr<VerifiedToken> TokenVerifier::Verify(const std::string& token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 4 || parts[0] != "v1") return Unauthenticated("malformed");
  std::string payload, chain_der, sig;
  if (!absl::WebSafeBase64Unescape(parts[1], &payload) ||
      !absl::WebSafeBase64Unescape(parts[2], &chain_der) ||
      !absl::WebSafeBase64Unescape(parts[3], &sig)) {
    return Unauthenticated("malformed");
  }
  const std::string signed_part = absl::StrCat(parts[0], ".", parts[1], ".", parts[2]);
  absl::MutexLock lock(&mu_);
  const FileStamp ca_stamp = Stamp(ca_path_);
  if (cache_ == nullptr || !(cache_->ca_stamp == ca_stamp)) {
    auto next = std::make_unique<Cache>();
    next->ca_stamp = ca_stamp;
    next->store = X509_STORE_new();
    for (const X509Ptr& ca : PemChain(ReadAll(ca_path_)))
      X509_STORE_add_cert(next->store, ca.get());
    cache_ = std::move(next);
  }
  const std::string fingerprint = Sha256(chain_der);
  auto it = cache_->signers.find(fingerprint);
  if (it == cache_->signers.end()) {
    std::vector<X509Ptr> chain;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(chain_der.data());
    const unsigned char* end = p + chain_der.size();
    while (p < end) {
      X509* x = d2i_X509(nullptr, &p, end - p);
      if (x == nullptr) break;
      chain.emplace_back(x, FreeX509);
    }
    ERR_clear_error();
    if (chain.empty()) return Unauthenticated("no signer certificate");
    STACK_OF(X509)* rest = sk_X509_new_null();
    for (size_t i = 1; i < chain.size(); ++i) sk_X509_push(rest, chain[i].get());
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, cache_->store, chain[0].get(), rest);
    // Only server certificates sign tokens (an application's client
    // certificate cannot mint sessions).
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    const bool trusted = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    sk_X509_free(rest);
    ERR_clear_error();
    if (!trusted) return Unauthenticated("not signed by a server of this site's CA");
    Cache::Signer signer;
    signer.key.reset(X509_get_pubkey(chain[0].get()));
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(chain[0].get()), NID_commonName, cn, sizeof cn);
    signer.common_name = cn;
    signer.fingerprint = Sha256(Der(chain[0].get()));
    struct tm tm {};
    ASN1_TIME_to_tm(X509_get0_notAfter(chain[0].get()), &tm);
    signer.not_after = absl::FromTM(tm, absl::UTCTimeZone());
    if (cache_->signers.size() > 1000) cache_->signers.clear();  // bounded
    it = cache_->signers.emplace(fingerprint, std::move(signer)).first;
  }
  if (it->second.not_after < absl::Now())
    return Unauthenticated("its signer's certificate expired");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool good =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, it->second.key.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  if (!good) return Unauthenticated("bad signature");
  return VerifiedToken{std::move(payload), it->second.common_name, it->second.fingerprint};
}

absl::StatusOr<std::string> CertificateFingerprint(const std::string& cert_path) {
  std::vector<X509Ptr> chain = PemChain(ReadAll(cert_path));
  if (chain.empty()) {
    return absl::NotFoundError(absl::StrCat(cert_path, ": no PEM certificate in it"));
  }
  return Sha256(Der(chain[0].get()));
}

}  // namespace tandem::pki
