// Who is calling: every call to a configuration server (master or proxy)
// passes through Authenticator::Authenticate, which takes what the call
// carries (a session token, the peer's verified certificate) and answers
// with an Identity or UNAUTHENTICATED. Persons log in with a password
// (Argon2id, checked on a login thread of its own so that a wave of logins
// does not slow other calls) and get a session token signed with the
// server's TLS key, which every server of the site accepts. Daemons and
// applications authenticate by client certificate, whose CN names their
// Application object.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/password.h"
#include "common/clock.h"
#include "common/serial_executor.h"
#include "config/permissions.h"
#include "pki/signed_token.h"
#include "tandem/config/v1/config.pb.h"
#include "tandem/tls_files.h"

namespace tandem::auth {

namespace v1 = ::tandem::config::v1;

struct Identity {
  enum class Kind {
    kNone,         // not authenticated
    kPerson,       // a password login (or its token)
    kApplication,  // a client certificate naming an Application
    kClaimed,      // authentication is off: the name the client gave
  };
  Kind kind = Kind::kNone;
  int64_t dbid = 0;
  std::string name;
  int64_t tenant = 0;
  //! A person in the Administrators access group.
  bool administrator = false;
  //! An Application of type ConfigServer or ConfigServerProxy: Tandem's own
  //! servers (they hold full copies, secrets included, and may write on
  //! behalf of their clients).
  bool tandem_server = false;
  //! How: "password", "token", "certificate", "claimed".
  std::string via;
  //! The peer's address ("192.0.2.10"), for history and logs.
  std::string peer;
  //! When a token-based identity stops being valid.
  absl::Time expires = absl::InfiniteFuture();

  bool authenticated() const { return kind == Kind::kPerson || kind == Kind::kApplication; }
  //! "person alice", "application csproxy", "tandemctl (claimed)".
  std::string Who() const;
};

//! What a call carries, as the network edge found it.
struct CallCredentials {
  std::string token = {};      //!< "authorization: Bearer ..." metadata
  std::string cert_name = {};  //!< CN of the peer's verified client certificate
  std::string peer = {};       //!< the peer's address
  //! With authentication off: the application name it registered as.
  std::string claimed = {};
  //! From a Tandem server (a proxy): the identity it writes on behalf of
  //! ("application NAME"); ignored from anyone else.
  std::string on_behalf_of = {};
  //! From a Tandem server (a proxy): the address of the client whose call
  //! it forwards; the identity's peer becomes "CLIENT via PROXY". Ignored
  //! from anyone else, and unless it is an IP address.
  std::string forwarded_for = {};
};

//! The configuration as authentication sees it (master and proxy implement
//! it over their state; BackendDirectory over any config::Backend).
class Directory {
 public:
  virtual ~Directory() = default;
  //! The Person whose user_name is `user` in `tenant` (0 = global), secret
  //! properties included; NOT_FOUND if none.
  virtual absl::StatusOr<v1::ConfigObject> FindPerson(int64_t tenant, const std::string& user) = 0;
  virtual absl::StatusOr<v1::ConfigObject> PersonByDbid(int64_t dbid) = 0;
  //! The Application named `name` (any tenant); NOT_FOUND if none.
  virtual absl::StatusOr<v1::ConfigObject> FindApplication(const std::string& name) = 0;
  virtual absl::StatusOr<v1::ConfigObject> TenantByDbid(int64_t dbid) = 0;
  //! Is the person a member of the global AccessGroup "Administrators"?
  virtual bool IsAdministrator(int64_t person_dbid) = 0;
  //! Stores a new password hash (and tokens_after) for the person; `done`
  //! once committed (or failed). Used for rehashing and SetPassword.
  virtual void StorePassword(int64_t person_dbid, std::string hash, int64_t tokens_after,
                             std::function<void(absl::Status)> done) = 0;
};

//! The global AccessGroup whose members are administrators.
inline constexpr const char* kAdministrators = config::kAdministratorsGroup;

struct AuthConfig {
  //! [auth] mode = "off": no authentication at all (the claimed application
  //! name is recorded, as before); logged at every start and an alarm.
  bool enabled = true;
  absl::Duration token_lifetime = absl::Hours(8);
  PasswordParams argon2;
  //! For persons outside any tenant (a tenant's properties rule its own).
  PasswordRules rules;
  int lockout_failures = 5;
  absl::Duration lockout = absl::Minutes(15);
  //! Logins waiting for the login thread at most; more are refused
  //! (RESOURCE_EXHAUSTED: retry) instead of queueing without bound.
  int max_pending_logins = 64;
  //! The server's certificate and key sign tokens; the CA checks them.
  TlsFiles tls;
};

struct LoginResult {
  Identity identity;
  std::string token;
  absl::Time expires;
};

class Authenticator {
 public:
  Authenticator(AuthConfig config, Directory& directory, Clock& clock = Clock::Real());
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  const AuthConfig& config() const { return config_; }

  //! The caller's identity, or UNAUTHENTICATED saying what to do. With
  //! authentication off, a claimed identity.
  absl::StatusOr<Identity> Authenticate(const CallCredentials& call);

  //! Password login: checks lockout, the password (on the login thread) and
  //! issues a token. `done` runs on the login thread (or at once when the
  //! queue is full). Failures are counted per user for the lockout.
  void Login(int64_t tenant, std::string user, std::string password, std::string peer,
             std::function<void(absl::StatusOr<LoginResult>)> done);

  //! A token for an identity established otherwise (a certificate).
  absl::StatusOr<LoginResult> IssueToken(const Identity& identity);

  //! Sets a person's password (rules checked, hashed on the login thread);
  //! tokens issued before are invalid afterwards. `done` once stored.
  void SetPassword(const v1::ConfigObject& person, std::string password,
                   std::function<void(absl::Status)> done);

  //! Refused calls, counted (and logged by the caller).
  int64_t refusals() const;
  void CountRefusal();

 private:
  struct Lockout {
    int failures = 0;
    absl::Time locked_until = absl::InfinitePast();
  };
  absl::StatusOr<Identity> FromToken(const std::string& token, const std::string& peer);
  absl::StatusOr<Identity> FromCertificate(const std::string& name, const std::string& peer);
  Identity PersonIdentity(const v1::ConfigObject& person, const std::string& via,
                          const std::string& peer);
  //! The rules and lockout of the person's tenant.
  void TenantPolicy(int64_t tenant, PasswordRules* rules, int* failures, absl::Duration* lockout);

  const AuthConfig config_;
  Directory& directory_;
  Clock& clock_;
  pki::TokenSigner signer_;
  pki::TokenVerifier verifier_;
  SerialExecutor login_thread_;

  mutable absl::Mutex mu_;
  int pending_logins_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<int64_t, std::string>, Lockout> lockouts_ ABSL_GUARDED_BY(mu_);
  //! Tokens verified recently: their identity, until `checked + kRecheck`.
  struct Cached {
    Identity identity;
    absl::Time checked;
  };
  std::map<std::string, Cached> tokens_ ABSL_GUARDED_BY(mu_);
  //! Client certificate names (Applications) recently found, the same way.
  std::map<std::string, Cached> certificates_ ABSL_GUARDED_BY(mu_);
  int64_t refusals_ ABSL_GUARDED_BY(mu_) = 0;
};

//! The authenticator of a server with `config` (its [auth]) and TLS files
//! `tls` (they sign tokens); null when authentication is off.
std::unique_ptr<Authenticator> MakeAuthenticator(const AuthConfig& config, const TlsFiles& tls,
                                                 Directory& directory);

}  // namespace tandem::auth
