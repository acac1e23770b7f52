#include "auth/authenticator.h"

#include <arpa/inet.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "nlohmann/json.hpp"

namespace tandem::auth {
namespace {

//! A verified token's identity is looked at again (the person still there,
//! enabled, its tokens not revoked) this often at most.
constexpr absl::Duration kRecheck = absl::Seconds(5);
constexpr size_t kMaxCachedTokens = 100'000;

absl::Status Unauthenticated(absl::string_view why) { return absl::UnauthenticatedError(why); }

std::string StringProperty(const v1::ConfigObject& o, const std::string& key) {
  auto it = o.properties().find(key);
  return it != o.properties().end() && it->second.has_string_value() ? it->second.string_value()
                                                                     : "";
}

//! "192.0.2.7" or "2001:db8::7", nothing else (a forwarded-for value is
//! written into the history as it comes).
bool IsIpAddress(const std::string& s) {
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return false;
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

int64_t IntProperty(const v1::ConfigObject& o, const std::string& key, int64_t def) {
  auto it = o.properties().find(key);
  return it != o.properties().end() && it->second.has_int_value() ? it->second.int_value() : def;
}

//! The login name of a person: its user_name property, else its name.
//! A hash to verify against when the user does not exist, so that the
//! answer takes as long as for a wrong password (no probing for names).
const std::string& DummyHash(const PasswordParams& params) {
  static const std::string* hash = [&] {
    absl::StatusOr<std::string> h = HashPassword(RandomId(), params);
    return new std::string(h.ok() ? *h : "");
  }();
  return *hash;
}

std::string UserName(const v1::ConfigObject& person) {
  std::string user = StringProperty(person, "user_name");
  return user.empty() ? person.name() : user;
}

bool IsTandemServer(const v1::ConfigObject& app) {
  const std::string type = StringProperty(app, "app_type");
  return type == "ConfigServer" || type == "ConfigServerProxy";
}

}  // namespace

std::string Identity::Who() const {
  switch (kind) {
    case Kind::kPerson:
      return absl::StrCat("person ", name,
                          tenant != 0 ? absl::StrCat(" (tenant ", tenant, ")") : "");
    case Kind::kApplication:
      return absl::StrCat("application ", name);
    case Kind::kClaimed:
      return absl::StrCat(name, " (claimed; authentication is off)");
    case Kind::kNone:
      break;
  }
  return "anonymous";
}

Authenticator::Authenticator(AuthConfig config, Directory& directory, Clock& clock)
    : config_(std::move(config)),
      directory_(directory),
      clock_(clock),
      signer_(config_.tls.cert, config_.tls.key),
      verifier_(config_.tls.ca) {}

Authenticator::~Authenticator() { login_thread_.Stop(); }

int64_t Authenticator::refusals() const {
  absl::MutexLock lock(&mu_);
  return refusals_;
}

void Authenticator::CountRefusal() {
  absl::MutexLock lock(&mu_);
  ++refusals_;
}

Identity Authenticator::PersonIdentity(const v1::ConfigObject& person, const std::string& via,
                                       const std::string& peer) {
  Identity id;
  id.kind = Identity::Kind::kPerson;
  id.dbid = person.dbid();
  id.name = UserName(person);
  id.tenant = person.tenant_dbid();
  id.administrator = directory_.IsAdministrator(person.dbid());
  id.via = via;
  id.peer = peer;
  return id;
}

void Authenticator::TenantPolicy(int64_t tenant, PasswordRules* rules, int* failures,
                                 absl::Duration* lockout) {
  *rules = config_.rules;
  *failures = config_.lockout_failures;
  *lockout = config_.lockout;
  if (tenant == 0) return;
  absl::StatusOr<v1::ConfigObject> t = directory_.TenantByDbid(tenant);
  if (!t.ok()) return;
  rules->min_length = static_cast<int>(IntProperty(*t, "password_min_length", rules->min_length));
  *failures = static_cast<int>(IntProperty(*t, "lockout_failures", *failures));
  *lockout = absl::Minutes(IntProperty(*t, "lockout_minutes", absl::ToInt64Minutes(*lockout)));
}

absl::StatusOr<Identity> Authenticator::FromCertificate(const std::string& name,
                                                        const std::string& peer) {
  // An application's every call presents its certificate: its Application
  // is looked up again every kRecheck, not per call (a refusal is not kept:
  // a new Application counts at once).
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = certificates_.find(name);
    if (it != certificates_.end() && now - it->second.checked < kRecheck) {
      Identity id = it->second.identity;
      id.peer = peer;
      return id;
    }
  }
  absl::StatusOr<v1::ConfigObject> app = directory_.FindApplication(name);
  if (!app.ok()) {
    return Unauthenticated(absl::StrCat(
        "the client certificate names '", name,
        "', which is no Application object: create the Application (tandemctl create app) or "
        "issue the certificate with the Application's name"));
  }
  if (!app->enabled()) {
    return Unauthenticated(
        absl::StrCat("the Application '", name, "' of the client certificate is disabled"));
  }
  Identity id;
  id.kind = Identity::Kind::kApplication;
  id.dbid = app->dbid();
  id.name = app->name();
  id.tenant = app->tenant_dbid();
  id.tandem_server = IsTandemServer(*app);
  id.via = "certificate";
  id.peer = peer;
  absl::MutexLock lock(&mu_);
  if (certificates_.size() >= kMaxCachedTokens) certificates_.clear();
  certificates_[name] = Cached{id, now};
  return id;
}

absl::StatusOr<Identity> Authenticator::FromToken(const std::string& token,
                                                  const std::string& peer) {
  const absl::Time now = clock_.Now();
  const std::string key = Sha256(token, "");
  {
    absl::MutexLock lock(&mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && now - it->second.checked < kRecheck &&
        it->second.identity.expires > now) {
      Identity id = it->second.identity;
      id.peer = peer;
      return id;
    }
  }
  absl::StatusOr<pki::VerifiedToken> verified = verifier_.Verify(token);
  if (!verified.ok()) return verified.status();
  // Tokens this server signed itself are good (a new site has no Application
  // objects for its servers yet); others, if their signer is one of the
  // site's Tandem servers.
  absl::StatusOr<std::string> own = pki::CertificateFingerprint(config_.tls.cert);
  const bool self = own.ok() && *own == verified->signer_fingerprint;
  absl::StatusOr<v1::ConfigObject> signer =
      self ? absl::StatusOr<v1::ConfigObject>(v1::ConfigObject())
           : directory_.FindApplication(verified->signer);
  if (!self && (!signer.ok() || !IsTandemServer(*signer))) {
    return Unauthenticated(absl::StrCat(
        "the token was signed by '", verified->signer,
        "', which is no Tandem server of this site (no Application '", verified->signer,
        "' with app_type ConfigServer or ConfigServerProxy); log in at this server "
        "(tandemctl login), or have an administrator create that Application"));
  }
  const nlohmann::json p = nlohmann::json::parse(verified->payload, nullptr, false);
  if (!p.is_object() || p.value("sub", "") != "person" || !p.contains("id") ||
      !p["id"].is_number_integer() || !p.contains("exp") || !p["exp"].is_number_integer() ||
      !p.contains("iat_ms") || !p["iat_ms"].is_number_integer()) {
    return Unauthenticated("the token's contents are not understood; log in again");
  }
  const absl::Time expires = absl::FromUnixSeconds(p["exp"].get<int64_t>());
  if (expires <= now) {
    return Unauthenticated("the session expired; log in again (tandemctl login)");
  }
  absl::StatusOr<v1::ConfigObject> person = directory_.PersonByDbid(p["id"].get<int64_t>());
  if (!person.ok()) return Unauthenticated("the token's person no longer exists");
  if (!person->enabled())
    return Unauthenticated(absl::StrCat("person ", UserName(*person), " is disabled"));
  if (IntProperty(*person, "tokens_after", 0) > p["iat_ms"].get<int64_t>()) {
    return Unauthenticated(
        "the session was ended (password changed or logged out everywhere); log in again");
  }
  Identity id = PersonIdentity(*person, "token", peer);
  id.expires = expires;
  absl::MutexLock lock(&mu_);
  if (tokens_.size() >= kMaxCachedTokens) tokens_.clear();
  tokens_[key] = Cached{id, now};
  return id;
}

absl::StatusOr<Identity> Authenticator::Authenticate(const CallCredentials& call) {
  if (!config_.enabled) {
    Identity id;
    id.kind = Identity::Kind::kClaimed;
    id.name = call.claimed.empty() ? absl::StrCat("anonymous@", call.peer) : call.claimed;
    id.via = "claimed";
    id.peer = call.peer;
    id.administrator = true;  // nothing is checked
    id.tandem_server = true;
    return id;
  }
  std::optional<Identity> from_cert;
  if (!call.cert_name.empty()) {
    absl::StatusOr<Identity> cert = FromCertificate(call.cert_name, call.peer);
    if (!cert.ok() && call.token.empty()) return cert.status();
    if (cert.ok()) from_cert = *std::move(cert);
  }
  // A proxy's forwarded call: the history shows the client's address, and
  // the proxy's.
  std::string peer = call.peer;
  if (from_cert && from_cert->tandem_server && IsIpAddress(call.forwarded_for)) {
    peer = absl::StrCat(call.forwarded_for, " via ", call.peer);
    from_cert->peer = peer;
  }
  if (!call.token.empty()) return FromToken(call.token, peer);
  if (!from_cert) {
    return Unauthenticated(
        "this call needs a session: log in (tandemctl login, or TANDEM_TOKEN), or present a "
        "client certificate naming an Application");
  }
  // A Tandem server (a proxy) writing for an application it serves.
  if (from_cert->tandem_server && absl::StartsWith(call.on_behalf_of, "application ")) {
    absl::StatusOr<Identity> behalf =
        FromCertificate(call.on_behalf_of.substr(std::string("application ").size()), peer);
    if (!behalf.ok()) return behalf.status();
    behalf->via = absl::StrCat("certificate, through ", from_cert->name);
    return behalf;
  }
  return *from_cert;
}

void Authenticator::Login(int64_t tenant, std::string user, std::string password, std::string peer,
                          std::function<void(absl::StatusOr<LoginResult>)> done) {
  {
    absl::MutexLock lock(&mu_);
    if (pending_logins_ >= config_.max_pending_logins) {
      ++refusals_;
      done(absl::ResourceExhaustedError("too many logins at once; retry in a moment"));
      return;
    }
    ++pending_logins_;
  }
  login_thread_.Submit([this, tenant, user = std::move(user), password = std::move(password),
                        peer = std::move(peer), done = std::move(done)]() mutable {
    auto finish = [&](absl::StatusOr<LoginResult> r) {
      {
        absl::MutexLock lock(&mu_);
        --pending_logins_;
        if (!r.ok()) ++refusals_;
      }
      done(std::move(r));
    };
    PasswordRules rules;
    int max_failures = 0;
    absl::Duration lockout;
    TenantPolicy(tenant, &rules, &max_failures, &lockout);
    const absl::Time now = clock_.Now();
    const auto key = std::make_pair(tenant, user);
    absl::Time locked_until = absl::InfinitePast();
    {
      absl::MutexLock lock(&mu_);
      locked_until = lockouts_[key].locked_until;
    }
    if (locked_until > now) {
      finish(absl::PermissionDeniedError(
          absl::StrCat("account ", user, " is locked after ", max_failures, " failed logins until ",
                       absl::FormatTime("%H:%M:%S UTC", locked_until, absl::UTCTimeZone()),
                       "; wait, or have an administrator set its password (tandemctl passwd)")));
      return;
    }
    absl::StatusOr<v1::ConfigObject> person = directory_.FindPerson(tenant, user);
    const std::string hash = person.ok() ? StringProperty(*person, "password_hash") : "";
    // A missing person costs the same as a wrong password (no user probing).
    bool good =
        VerifyPassword(hash.empty() ? DummyHash(config_.argon2) : hash, password) && !hash.empty();
    if (good && !person->enabled()) good = false;
    if (!good) {
      {
        absl::MutexLock lock(&mu_);
        Lockout& l = lockouts_[key];
        if (++l.failures >= max_failures) {
          l.locked_until = now + lockout;
          l.failures = 0;
        }
      }
      finish(
          absl::UnauthenticatedError("wrong user name or password (or the account is disabled)"));
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      lockouts_.erase(key);
    }
    if (NeedsRehash(hash, config_.argon2)) {
      // Stronger parameters than when it was set: store a new hash, best effort.
      absl::StatusOr<std::string> rehashed = HashPassword(password, config_.argon2);
      if (rehashed.ok()) {
        directory_.StorePassword(person->dbid(), *rehashed, IntProperty(*person, "tokens_after", 0),
                                 [](absl::Status) {});
      }
    }
    Identity id = PersonIdentity(*person, "password", peer);
    finish(IssueToken(id));
  });
}

absl::StatusOr<LoginResult> Authenticator::IssueToken(const Identity& identity) {
  if (identity.kind != Identity::Kind::kPerson) {
    return absl::InvalidArgumentError(
        "only persons get session tokens; applications present their certificate on every call");
  }
  const absl::Time now = clock_.Now();
  const absl::Time expires = now + config_.token_lifetime;
  nlohmann::json payload = {{"sub", "person"},
                            {"id", identity.dbid},
                            {"name", identity.name},
                            {"tenant", identity.tenant},
                            {"iat_ms", absl::ToUnixMillis(now)},
                            {"exp", absl::ToUnixSeconds(expires)},
                            {"jti", RandomId()}};
  absl::StatusOr<std::string> token = signer_.Sign(payload.dump());
  if (!token.ok()) return token.status();
  LoginResult r;
  r.identity = identity;
  r.identity.expires = expires;
  r.token = *std::move(token);
  r.expires = expires;
  return r;
}

void Authenticator::SetPassword(const v1::ConfigObject& person, std::string password,
                                std::function<void(absl::Status)> done) {
  PasswordRules rules;
  int failures = 0;
  absl::Duration lockout;
  TenantPolicy(person.tenant_dbid(), &rules, &failures, &lockout);
  if (absl::Status st = CheckPasswordRules(password, UserName(person), rules); !st.ok()) {
    done(st);
    return;
  }
  login_thread_.Submit([this, dbid = person.dbid(),
                        key = std::make_pair(person.tenant_dbid(), UserName(person)),
                        password = std::move(password), done = std::move(done)]() mutable {
    absl::StatusOr<std::string> hash = HashPassword(password, config_.argon2);
    if (!hash.ok()) {
      done(hash.status());
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      lockouts_.erase(key);  // a new password unlocks the account
    }
    directory_.StorePassword(dbid, *std::move(hash), absl::ToUnixMillis(clock_.Now()),
                             [this, dbid, done = std::move(done)](absl::Status st) {
                               if (st.ok()) {
                                 // This server refuses the person's older tokens at once (the
                                 // others within kRecheck).
                                 absl::MutexLock lock(&mu_);
                                 std::erase_if(tokens_, [dbid](const auto& t) {
                                   return t.second.identity.dbid == dbid;
                                 });
                               }
                               done(std::move(st));
                             });
  });
}

std::unique_ptr<Authenticator> MakeAuthenticator(const AuthConfig& config, const TlsFiles& tls,
                                                 Directory& directory) {
  if (!config.enabled) return nullptr;
  AuthConfig with_tls = config;
  with_tls.tls = tls;
  return std::make_unique<Authenticator>(std::move(with_tls), directory);
}

}  // namespace tandem::auth
