// Authentication on simulated time against a fake directory: Argon2id
// hashes, session tokens signed by a server certificate and checked against
// the CA, certificate identities, lockout, revocation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "auth/authenticator.h"
#include "auth/password.h"
#include "pki/pki.h"
#include "pki/signed_token.h"
#include "testing/temp_dir.h"

namespace tandem::auth {
namespace {

using ::testing::HasSubstr;

// Cheap hashes: the tests are about logic, not cost.
PasswordParams Cheap() { return {.ops = 1, .mem_bytes = 64 * 1024}; }

v1::ConfigObject Person(int64_t dbid, const std::string& user, int64_t tenant = 0) {
  v1::ConfigObject o;
  o.set_type(v1::OBJECT_TYPE_PERSON);
  o.set_dbid(dbid);
  o.set_name(user);
  o.set_tenant_dbid(tenant);
  o.set_enabled(true);
  (*o.mutable_properties())["user_name"].set_string_value(user);
  return o;
}

v1::ConfigObject App(int64_t dbid, const std::string& name, const std::string& type) {
  v1::ConfigObject o;
  o.set_type(v1::OBJECT_TYPE_APPLICATION);
  o.set_dbid(dbid);
  o.set_name(name);
  o.set_enabled(true);
  (*o.mutable_properties())["app_type"].set_string_value(type);
  return o;
}

class FakeDirectory : public Directory {
 public:
  std::map<int64_t, v1::ConfigObject> persons, apps, tenants;
  std::set<int64_t> admins;
  absl::StatusOr<v1::ConfigObject> FindPerson(int64_t tenant, const std::string& user) override {
    for (const auto& [id, p] : persons) {
      if (p.tenant_dbid() == tenant && p.properties().at("user_name").string_value() == user) {
        return p;
      }
    }
    return absl::NotFoundError("no such person");
  }
  absl::StatusOr<v1::ConfigObject> PersonByDbid(int64_t dbid) override {
    auto it = persons.find(dbid);
    if (it == persons.end()) return absl::NotFoundError("gone");
    return it->second;
  }
  absl::StatusOr<v1::ConfigObject> FindApplication(const std::string& name) override {
    for (const auto& [id, a] : apps) {
      if (a.name() == name) return a;
    }
    return absl::NotFoundError("no such app");
  }
  absl::StatusOr<v1::ConfigObject> TenantByDbid(int64_t dbid) override {
    auto it = tenants.find(dbid);
    if (it == tenants.end()) return absl::NotFoundError("no tenant");
    return it->second;
  }
  bool IsAdministrator(int64_t dbid) override { return admins.contains(dbid); }
  void StorePassword(int64_t dbid, std::string hash, int64_t tokens_after,
                     std::function<void(absl::Status)> done) override {
    auto& p = persons.at(dbid);
    (*p.mutable_properties())["password_hash"].set_string_value(hash);
    (*p.mutable_properties())["tokens_after"].set_int_value(tokens_after);
    done(absl::OkStatus());
  }
};

class AuthTest : public ::testing::Test {
 protected:
  AuthTest() {
    EXPECT_TRUE(pki::InitCa({.dir = ca_}).ok());
    pki::IssueOptions server;
    server.dir = ca_;
    server.name = "confserv";
    server.ip_addresses = {"127.0.0.1"};
    EXPECT_TRUE(pki::Issue(server).ok());
    pki::IssueOptions client = server;
    client.name = "sample-app";
    client.server_auth = false;
    client.ip_addresses.clear();
    EXPECT_TRUE(pki::Issue(client).ok());
    dir_.apps[1] = App(1, "confserv", "ConfigServer");
    dir_.apps[2] = App(2, "sample-app", "Sample");
    dir_.apps[3] = App(3, "csproxy", "ConfigServerProxy");
    dir_.persons[7] = Person(7, "alice");
    SetPasswordOf(7, "correct horse battery");
    dir_.admins.insert(7);
    config_.argon2 = Cheap();
    config_.lockout_failures = 3;
    config_.lockout = absl::Minutes(10);
    config_.token_lifetime = absl::Hours(8);
    config_.tls = {pki::CertPath(ca_, "confserv"), pki::KeyPath(ca_, "confserv"),
                   pki::CaCertPath(ca_), false};
    auth_ = std::make_unique<Authenticator>(config_, dir_, clock_);
  }

  void SetPasswordOf(int64_t dbid, const std::string& password) {
    auto hash = HashPassword(password, Cheap());
    ASSERT_TRUE(hash.ok());
    (*dir_.persons[dbid].mutable_properties())["password_hash"].set_string_value(*hash);
  }

  absl::StatusOr<LoginResult> Login(const std::string& user, const std::string& password,
                                    int64_t tenant = 0) {
    std::promise<absl::StatusOr<LoginResult>> p;
    auth_->Login(tenant, user, password, "192.0.2.10",
                 [&p](absl::StatusOr<LoginResult> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  absl::StatusOr<Identity> WithToken(const std::string& token) {
    return auth_->Authenticate({.token = token, .peer = "192.0.2.10"});
  }

  testing::TempDir tmp_;
  std::string ca_ = tmp_.file("ca");
  FakeDirectory dir_;
  SimClock clock_{absl::Now()};  // real time: certificates are valid now
  AuthConfig config_;
  std::unique_ptr<Authenticator> auth_;
};

// Hashes are Argon2id with their parameters inside; a stronger setting is
// noticed; the rules refuse weak passwords.
TEST(Password, HashVerifyRehashAndRules) {
  auto hash = HashPassword("a long enough secret", Cheap());
  ASSERT_TRUE(hash.ok());
  EXPECT_THAT(*hash, ::testing::StartsWith("$argon2id$v=19$m=64,t=1,p=1$"));
  EXPECT_TRUE(VerifyPassword(*hash, "a long enough secret"));
  EXPECT_FALSE(VerifyPassword(*hash, "a long enough secreT"));
  EXPECT_FALSE(VerifyPassword("", "anything"));
  EXPECT_FALSE(NeedsRehash(*hash, Cheap()));
  EXPECT_TRUE(NeedsRehash(*hash, {.ops = 2, .mem_bytes = 64 * 1024}));
  PasswordRules rules{.min_length = 12};
  EXPECT_THAT(CheckPasswordRules("short", "bob", rules).message(), HasSubstr("at least 12"));
  EXPECT_THAT(CheckPasswordRules("my-name-is-bob!", "bob", rules).message(),
              HasSubstr("user name"));
  EXPECT_THAT(CheckPasswordRules("aaaaaaaaaaaaaaaa", "bob", rules).message(),
              HasSubstr("repeated"));
  EXPECT_TRUE(CheckPasswordRules("correct horse battery", "bob", rules).ok());
  EXPECT_FALSE(CheckPasswordRules(std::string(2000, 'x') + "y", "bob", rules).ok());
}

// A password login gets a token that authenticates the person at any
// server of the CA; administrators are known as such.
TEST_F(AuthTest, LoginAndToken) {
  auto login = Login("alice", "correct horse battery");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->identity.kind, Identity::Kind::kPerson);
  EXPECT_EQ(login->expires, clock_.Now() + absl::Hours(8));
  auto id = WithToken(login->token);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->name, "alice");
  EXPECT_TRUE(id->administrator);
  EXPECT_EQ(id->via, "token");
  EXPECT_EQ(id->Who(), "person alice");
  // Another server (its own authenticator) of the same CA accepts it.
  FakeDirectory other = dir_;
  Authenticator elsewhere(config_, other, clock_);
  EXPECT_TRUE(elsewhere.Authenticate({.token = login->token}).ok());
}

// Wrong passwords and unknown users get the same answer; N failures lock
// the account for the lockout time (PERMISSION_DENIED saying until when).
TEST_F(AuthTest, WrongPasswordsLockTheAccount) {
  auto unknown = Login("mallory", "whatever it is");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnauthenticated);
  auto wrong = Login("alice", "not the password");
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
  EXPECT_EQ(Login("alice", "not the password 2").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Login("alice", "not the password 3").status().code(),
            absl::StatusCode::kUnauthenticated);
  auto locked = Login("alice", "correct horse battery");
  EXPECT_EQ(locked.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(locked.status().message(), HasSubstr("is locked after 3 failed logins"));
  clock_.Advance(absl::Minutes(11));
  EXPECT_TRUE(Login("alice", "correct horse battery").ok());
  EXPECT_GE(auth_->refusals(), 5);
}

// A tenant's rules apply to its persons.
TEST_F(AuthTest, TenantLockoutPolicy) {
  v1::ConfigObject tenant;
  tenant.set_type(v1::OBJECT_TYPE_TENANT);
  tenant.set_dbid(4);
  (*tenant.mutable_properties())["lockout_failures"].set_int_value(1);
  dir_.tenants[4] = tenant;
  dir_.persons[8] = Person(8, "bob", 4);
  SetPasswordOf(8, "bob's long password");
  EXPECT_FALSE(Login("bob", "wrong", 4).ok());
  EXPECT_EQ(Login("bob", "bob's long password", 4).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Login("bob", "bob's long password", 0).status().code(),
            absl::StatusCode::kUnauthenticated);  // no global bob
}

// Tokens stop working when they expire, when the person is disabled or
// gone, and when its tokens were revoked (password change).
TEST_F(AuthTest, TokensEnd) {
  auto login = Login("alice", "correct horse battery");
  ASSERT_TRUE(login.ok());
  clock_.Advance(absl::Seconds(10));
  (*dir_.persons[7].mutable_properties())["tokens_after"].set_int_value(
      absl::ToUnixMillis(clock_.Now()));
  auto revoked = WithToken(login->token);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(revoked.status().message(), HasSubstr("log in again"));
  clock_.Advance(absl::Seconds(1));
  auto fresh = Login("alice", "correct horse battery");
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(WithToken(fresh->token).ok());
  dir_.persons[7].set_enabled(false);
  clock_.Advance(absl::Seconds(6));  // past the cache's recheck
  EXPECT_THAT(WithToken(fresh->token).status().message(), HasSubstr("disabled"));
  dir_.persons[7].set_enabled(true);
  clock_.Advance(absl::Hours(9));
  EXPECT_THAT(WithToken(fresh->token).status().message(), HasSubstr("expired"));
}

// A token is refused when anything in it was changed, when another CA's
// server signed it, when a client certificate signed it, and when its
// signer is not a Tandem server of the site.
TEST_F(AuthTest, ForgedTokensAreRefused) {
  auto login = Login("alice", "correct horse battery");
  ASSERT_TRUE(login.ok());
  std::string tampered = login->token;
  tampered[tampered.find('.') + 5] ^= 1;
  EXPECT_EQ(WithToken(tampered).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(WithToken("v1.a.b.c").ok());
  EXPECT_FALSE(WithToken("not a token").ok());

  const std::string payload =
      absl::StrCat(R"({"sub":"person","id":7,"name":"alice","tenant":0,"iat_ms":)",
                   absl::ToUnixMillis(clock_.Now()), R"(,"exp":)",
                   absl::ToUnixSeconds(clock_.Now() + absl::Hours(1)), R"(,"jti":"x"})");
  pki::TokenSigner by_client(pki::CertPath(ca_, "sample-app"), pki::KeyPath(ca_, "sample-app"));
  auto minted = by_client.Sign(payload);
  ASSERT_TRUE(minted.ok());
  EXPECT_THAT(WithToken(*minted).status().message(), HasSubstr("not signed by a server"));

  testing::TempDir other;
  const std::string other_ca = other.file("ca");
  ASSERT_TRUE(pki::InitCa({.dir = other_ca}).ok());
  pki::IssueOptions o;
  o.dir = other_ca;
  o.name = "confserv";
  o.ip_addresses = {"127.0.0.1"};
  ASSERT_TRUE(pki::Issue(o).ok());
  pki::TokenSigner foreign(pki::CertPath(other_ca, "confserv"), pki::KeyPath(other_ca, "confserv"));
  EXPECT_FALSE(WithToken(*foreign.Sign(payload)).ok());

  // A server certificate of the CA whose Application is not a Tandem server.
  pki::IssueOptions rogue;
  rogue.dir = ca_;
  rogue.name = "sample-app-server";
  rogue.ip_addresses = {"127.0.0.1"};
  ASSERT_TRUE(pki::Issue(rogue).ok());
  dir_.apps[4] = App(4, "sample-app-server", "Sample");
  pki::TokenSigner other_server(pki::CertPath(ca_, "sample-app-server"),
                                pki::KeyPath(ca_, "sample-app-server"));
  EXPECT_THAT(WithToken(*other_server.Sign(payload)).status().message(),
              HasSubstr("no Tandem server of this site"));
  // Signed by a proxy of the site: good.
  dir_.apps[4] = App(4, "sample-app-server", "ConfigServerProxy");
  EXPECT_TRUE(WithToken(*other_server.Sign(payload)).ok());
}

// A client certificate identifies its Application; an unknown or disabled
// one is refused; only a Tandem server may write on behalf of another.
TEST_F(AuthTest, CertificatesNameApplications) {
  auto app = auth_->Authenticate({.cert_name = "sample-app", .peer = "192.0.2.21"});
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->kind, Identity::Kind::kApplication);
  EXPECT_FALSE(app->tandem_server);
  EXPECT_EQ(app->Who(), "application sample-app");
  auto unknown = auth_->Authenticate({.cert_name = "ghost"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(unknown.status().message(), HasSubstr("which is no Application object"));
  dir_.apps[2].set_enabled(false);
  // Looked up again at most every 5 s (as tokens are rechecked).
  EXPECT_TRUE(auth_->Authenticate({.cert_name = "sample-app"}).ok());
  clock_.Advance(absl::Seconds(6));
  EXPECT_THAT(auth_->Authenticate({.cert_name = "sample-app"}).status().message(),
              HasSubstr("disabled"));
  dir_.apps[2].set_enabled(true);
  auto through_proxy =
      auth_->Authenticate({.cert_name = "csproxy", .on_behalf_of = "application sample-app"});
  ASSERT_TRUE(through_proxy.ok());
  EXPECT_EQ(through_proxy->name, "sample-app");
  EXPECT_THAT(through_proxy->via, HasSubstr("through csproxy"));
  auto not_a_proxy =
      auth_->Authenticate({.cert_name = "sample-app", .on_behalf_of = "application csproxy"});
  ASSERT_TRUE(not_a_proxy.ok());
  EXPECT_EQ(not_a_proxy->name, "sample-app");  // its own identity, not the claimed one
}

// A proxy's forwarded call records the client's address and the proxy's;
// the address is believed from a Tandem server only, and only as an address.
TEST_F(AuthTest, ForwardedForFromAProxyOnly) {
  auto via = auth_->Authenticate({.cert_name = "csproxy",
                                  .peer = "192.0.2.30",
                                  .on_behalf_of = "application sample-app",
                                  .forwarded_for = "203.0.113.7"});
  ASSERT_TRUE(via.ok()) << via.status();
  EXPECT_EQ(via->peer, "203.0.113.7 via 192.0.2.30");
  auto v6 = auth_->Authenticate(
      {.cert_name = "csproxy", .peer = "192.0.2.30", .forwarded_for = "2001:db8::7"});
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->peer, "2001:db8::7 via 192.0.2.30");
  auto claimed = auth_->Authenticate(
      {.cert_name = "sample-app", .peer = "192.0.2.21", .forwarded_for = "203.0.113.7"});
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->peer, "192.0.2.21");  // not a Tandem server: ignored
  for (const char* bad : {"203.0.113.7 via 192.0.2.1", "x\nperson admin", "localhost", ""}) {
    auto r =
        auth_->Authenticate({.cert_name = "csproxy", .peer = "192.0.2.30", .forwarded_for = bad});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->peer, "192.0.2.30") << bad;
  }
}

// Nothing to show: refused, saying how to log in. Authentication off: the
// claimed name, as before.
TEST_F(AuthTest, NoCredentialsAndAuthenticationOff) {
  auto none = auth_->Authenticate({.peer = "192.0.2.9"});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(none.status().message(), HasSubstr("tandemctl login"));
  AuthConfig off = config_;
  off.enabled = false;
  Authenticator open(off, dir_, clock_);
  auto claimed = open.Authenticate({.peer = "192.0.2.9", .claimed = "tandemctl (bob@ops)"});
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->kind, Identity::Kind::kClaimed);
  EXPECT_THAT(claimed->Who(), HasSubstr("claimed"));
}

// SetPassword checks the rules, stores a new hash and revokes older tokens.
TEST_F(AuthTest, SetPasswordRevokesTokens) {
  auto login = Login("alice", "correct horse battery");
  ASSERT_TRUE(login.ok());
  std::promise<absl::Status> weak;
  auth_->SetPassword(dir_.persons[7], "short", [&](absl::Status s) { weak.set_value(s); });
  EXPECT_THAT(weak.get_future().get().message(), HasSubstr("at least 12"));
  clock_.Advance(absl::Seconds(6));
  std::promise<absl::Status> done;
  auth_->SetPassword(dir_.persons[7], "a brand new passphrase",
                     [&](absl::Status s) { done.set_value(s); });
  ASSERT_TRUE(done.get_future().get().ok());
  EXPECT_FALSE(WithToken(login->token).ok());
  EXPECT_FALSE(Login("alice", "correct horse battery").ok());
  EXPECT_TRUE(Login("alice", "a brand new passphrase").ok());
}

}  // namespace
}  // namespace tandem::auth
