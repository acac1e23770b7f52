#include "pki/pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace tandem::pki {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
void FreeNames(GENERAL_NAMES* n) { GENERAL_NAMES_free(n); }
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, FreeNames>>;
void FreeBn(BIGNUM* b) { BN_free(b); }
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, FreeBn>>;
void FreeEku(EXTENDED_KEY_USAGE* e) { EXTENDED_KEY_USAGE_free(e); }
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, Deleter<EXTENDED_KEY_USAGE, FreeEku>>;
void FreeBasic(BASIC_CONSTRAINTS* b) { BASIC_CONSTRAINTS_free(b); }
using BasicPtr = std::unique_ptr<BASIC_CONSTRAINTS, Deleter<BASIC_CONSTRAINTS, FreeBasic>>;

//! The last OpenSSL error as text (and the queue cleared).
std::string SslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

absl::Status MakeDir(const std::string& dir) {
  if (Exists(dir)) return absl::OkStatus();
  if (mkdir(dir.c_str(), 0700) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", dir, ": ", std::strerror(errno), "; give another --dir"));
  }
  return absl::OkStatus();
}

//! Writes `text` to `path` with `mode`, through PATH.tmp and a rename.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  fchmod(fd, mode);  // an older file may have had another mode
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      const int err = errno;
      close(fd);
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", what, " ", path, ": ", std::strerror(errno)));
  }
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

std::string Pem(const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (write(bio.get()) != 1) return "";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<KeyPtr> NewKey() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return absl::InternalError(absl::StrCat("key generation: ", SslError()));
  return key;
}

absl::StatusOr<KeyPtr> LoadKey(const std::string& path) {
  auto text = ReadFile(path, "key");
  if (!text.ok()) return text.status();
  BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a PEM private key (", SslError(), ")"));
  }
  return key;
}

absl::StatusOr<std::vector<X509Ptr>> PemCerts(const std::string& text, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  std::vector<X509Ptr> certs;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(x);
  ERR_clear_error();  // the end of the text reads as an error
  if (certs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no PEM certificate in it"));
  }
  return certs;
}

absl::StatusOr<std::vector<X509Ptr>> LoadCerts(const std::string& path) {
  auto text = ReadFile(path, "certificate");
  if (!text.ok()) return text.status();
  return PemCerts(*text, path);
}

std::string NameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::Time ToTime(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTM(tm, absl::UTCTimeZone());
}

CertInfo Describe(X509* x) {
  CertInfo info;
  info.subject = NameText(X509_get_subject_name(x));
  info.issuer = NameText(X509_get_issuer_name(x));
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) > 0) {
    info.common_name = cn;
  }
  NamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type == GEN_DNS) {
      const ASN1_IA5STRING* s = n->d.dNSName;
      info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                  ASN1_STRING_length(s));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = n->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      const int len = ASN1_STRING_length(s);
      if (inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), text, sizeof text)) {
        info.ip_addresses.push_back(text);
      }
    }
  }
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
  info.serial = absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)), ASN1_STRING_length(serial)));
  info.not_before = ToTime(X509_get0_notBefore(x));
  info.not_after = ToTime(X509_get0_notAfter(x));
  BasicPtr basic(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(x, NID_basic_constraints, nullptr, nullptr)));
  info.is_ca = basic != nullptr && basic->ca;
  EkuPtr eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr)));
  for (int i = 0; eku != nullptr && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    const int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
    info.server_auth |= nid == NID_server_auth;
    info.client_auth |= nid == NID_client_auth;
  }
  return info;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate extension ", OBJ_nid2sn(nid), " '", value, "': ", SslError()));
  }
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return absl::InternalError(absl::StrCat("X509_add_ext: ", SslError()));
  return absl::OkStatus();
}

//! A certificate for `key` named `cn`, valid `days` from `from` (default:
//! five minutes ago: clocks of a site are never exactly in step), with a
//! random serial.
absl::StatusOr<X509Ptr> NewCert(EVP_PKEY* key, const std::string& cn, int days,
                                absl::Time from = absl::InfinitePast()) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return absl::InternalError("RAND_bytes failed");
  serial[0] &= 0x7f;  // positive
  BnPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()));
  time_t start =
      absl::ToTimeT(from == absl::InfinitePast() ? absl::Now() - absl::Minutes(5) : from);
  X509_time_adj_ex(X509_getm_notBefore(x.get()), 0, 0, &start);
  X509_time_adj_ex(X509_getm_notAfter(x.get()), days, 0, &start);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_pubkey(x.get(), key);
  return x;
}

absl::Status Sign(X509* x, EVP_PKEY* key) {
  if (X509_sign(x, key, EVP_sha256()) <= 0) {
    return absl::InternalError(absl::StrCat("signing: ", SslError()));
  }
  return absl::OkStatus();
}

absl::Status CheckName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("NAME must be 1-64 characters");
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != '@') {
      return absl::InvalidArgumentError(absl::StrCat(
          "NAME '", name, "': letters, digits, '-', '_', '.' and '@' only (it names the files)"));
    }
  }
  if (name == "ca") return absl::InvalidArgumentError("NAME 'ca' is the CA's own files");
  return absl::OkStatus();
}

}  // namespace

int64_t CertInfo::DaysLeft(absl::Time now) const {
  return static_cast<int64_t>(std::floor(absl::ToDoubleHours(not_after - now) / 24));
}

std::string CaCertPath(const std::string& dir) { return dir + "/ca.crt"; }
std::string CaKeyPath(const std::string& dir) { return dir + "/ca.key"; }
std::string CertPath(const std::string& dir, const std::string& name) {
  return dir + "/" + name + ".crt";
}
std::string KeyPath(const std::string& dir, const std::string& name) {
  return dir + "/" + name + ".key";
}

absl::StatusOr<CertInfo> InitCa(const CaOptions& o) {
  if (o.days < 1 || o.days > 36500) return absl::InvalidArgumentError("--days: 1..36500");
  if (Exists(CaCertPath(o.dir)) && !o.force) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a CA exists in ", o.dir, " already; `tandemctl pki show ", CaCertPath(o.dir),
        "` shows it (--force replaces it, and every certificate it issued stops verifying)"));
  }
  if (absl::Status st = MakeDir(o.dir); !st.ok()) return st;
  auto key = NewKey();
  if (!key.ok()) return key.status();
  auto cert = NewCert(key->get(), o.name, o.days);
  if (!cert.ok()) return cert.status();
  X509* x = cert->get();
  X509_set_issuer_name(x, X509_get_subject_name(x));
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
           {NID_key_usage, "critical,keyCertSign,cRLSign"},
           {NID_subject_key_identifier, "hash"}}) {
    if (absl::Status st = AddExtension(x, x, nid, value); !st.ok()) return st;
  }
  if (absl::Status st = Sign(x, key->get()); !st.ok()) return st;
  const std::string key_pem = Pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key->get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  const std::string cert_pem = Pem([&](BIO* b) { return PEM_write_bio_X509(b, x); });
  if (absl::Status st = WriteFileAtomically(CaKeyPath(o.dir), key_pem, 0600); !st.ok()) return st;
  if (absl::Status st = WriteFileAtomically(CaCertPath(o.dir), cert_pem, 0644); !st.ok()) {
    return st;
  }
  return Describe(x);
}

absl::StatusOr<CertInfo> Issue(const IssueOptions& o) {
  if (absl::Status st = CheckName(o.name); !st.ok()) return st;
  if (o.days < 1 || o.days > 36500) return absl::InvalidArgumentError("--days: 1..36500");
  if (!o.server_auth && !o.client_auth) {
    return absl::InvalidArgumentError("a certificate for neither server nor client use");
  }
  const std::string out = o.out_dir.empty() ? o.dir : o.out_dir;
  if (Exists(CertPath(out, o.name)) && !o.force) {
    return absl::AlreadyExistsError(
        absl::StrCat(CertPath(out, o.name),
                     " exists already; --force replaces it (rotation: a server picks "
                     "the new files up by itself)"));
  }
  if (!Exists(CaKeyPath(o.dir))) {
    return absl::NotFoundError(absl::StrCat("no CA in ", o.dir, " (", CaKeyPath(o.dir),
                                            "); create one with `tandemctl pki init --dir ", o.dir,
                                            "`"));
  }
  auto ca_key = LoadKey(CaKeyPath(o.dir));
  if (!ca_key.ok()) return ca_key.status();
  auto ca_certs = LoadCerts(CaCertPath(o.dir));
  if (!ca_certs.ok()) return ca_certs.status();
  X509* ca = ca_certs->front().get();
  std::vector<std::string> sans;
  for (const std::string& d : o.dns_names) {
    if (d.empty() || d.find_first_of(", \t") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--dns '", d, "': not a DNS name"));
    }
    sans.push_back("DNS:" + d);
  }
  for (const std::string& ip : o.ip_addresses) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("--ip '", ip, "': not an IP address"));
    }
    sans.push_back("IP:" + ip);
  }
  if (o.server_auth && sans.empty()) {
    return absl::InvalidArgumentError(
        "a server certificate needs the names clients use: give --dns and/or --ip (or "
        "--client-only for a client certificate)");
  }
  auto key = NewKey();
  if (!key.ok()) return key.status();
  auto cert = NewCert(key->get(), o.name, o.days, o.valid_from);
  if (!cert.ok()) return cert.status();
  X509* x = cert->get();
  X509_set_issuer_name(x, X509_get_subject_name(ca));
  std::vector<std::string> usages;
  if (o.server_auth) usages.push_back("serverAuth");
  if (o.client_auth) usages.push_back("clientAuth");
  std::vector<std::pair<int, std::string>> exts = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                   {NID_key_usage, "critical,digitalSignature"},
                                                   {NID_ext_key_usage, absl::StrJoin(usages, ",")},
                                                   {NID_subject_key_identifier, "hash"},
                                                   {NID_authority_key_identifier, "keyid:always"}};
  if (!sans.empty()) exts.emplace_back(NID_subject_alt_name, absl::StrJoin(sans, ","));
  for (const auto& [nid, value] : exts) {
    if (absl::Status st = AddExtension(x, ca, nid, value); !st.ok()) return st;
  }
  if (absl::Status st = Sign(x, ca_key->get()); !st.ok()) return st;
  if (absl::Status st = MakeDir(out); !st.ok()) return st;
  const std::string key_pem = Pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key->get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  const std::string cert_pem = Pem([&](BIO* b) { return PEM_write_bio_X509(b, x); });
  // Key first: a reader that sees the new certificate finds its key.
  if (absl::Status st = WriteFileAtomically(KeyPath(out, o.name), key_pem, 0600); !st.ok()) {
    return st;
  }
  if (absl::Status st = WriteFileAtomically(CertPath(out, o.name), cert_pem, 0644); !st.ok()) {
    return st;
  }
  return Describe(x);
}

absl::StatusOr<std::vector<CertInfo>> ReadCertificates(const std::string& path) {
  auto certs = LoadCerts(path);
  if (!certs.ok()) return certs.status();
  std::vector<CertInfo> out;
  for (const X509Ptr& x : *certs) out.push_back(Describe(x.get()));
  return out;
}

absl::StatusOr<std::vector<CertInfo>> ParseCertificates(const std::string& pem) {
  auto certs = PemCerts(pem, "PEM text");
  if (!certs.ok()) return certs.status();
  std::vector<CertInfo> out;
  for (const X509Ptr& x : *certs) out.push_back(Describe(x.get()));
  return out;
}

absl::Status CheckIdentity(const std::string& cert_path, const std::string& key_path,
                           const std::string& ca_path) {
  auto certs = LoadCerts(cert_path);
  if (!certs.ok()) return certs.status();
  auto key = LoadKey(key_path);
  if (!key.ok()) return key.status();
  X509* leaf = certs->front().get();
  if (X509_check_private_key(leaf, key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(key_path, " is not the key of ", cert_path,
                     " (a certificate and key from different issues?); issue both again"));
  }
  const CertInfo info = Describe(leaf);
  const absl::Time now = absl::Now();
  if (info.not_after < now) {
    return absl::FailedPreconditionError(
        absl::StrCat(cert_path, " expired on ",
                     absl::FormatTime("%Y-%m-%d", info.not_after, absl::UTCTimeZone()),
                     "; issue a new one (tandemctl pki issue ... --force)"));
  }
  if (info.not_before > now) {
    return absl::FailedPreconditionError(
        absl::StrCat(cert_path, " is not valid before ",
                     absl::FormatTime("%Y-%m-%d %H:%M UTC", info.not_before, absl::UTCTimeZone()),
                     "; is this host's clock right?"));
  }
  if (ca_path.empty()) return absl::OkStatus();
  auto cas = LoadCerts(ca_path);
  if (!cas.ok()) return cas.status();
  StorePtr store(X509_STORE_new());
  for (const X509Ptr& ca : *cas) X509_STORE_add_cert(store.get(), ca.get());
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (size_t i = 1; i < certs->size(); ++i) sk_X509_push(chain, (*certs)[i].get());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, chain);
  const int ok = X509_verify_cert(ctx.get());
  const int err = X509_STORE_CTX_get_error(ctx.get());
  sk_X509_free(chain);
  ERR_clear_error();
  if (ok != 1) {
    return absl::InvalidArgumentError(absl::StrCat(cert_path, " does not verify against ", ca_path,
                                                   ": ", X509_verify_cert_error_string(err),
                                                   " (issued by another CA?)"));
  }
  return absl::OkStatus();
}

}  // namespace tandem::pki
