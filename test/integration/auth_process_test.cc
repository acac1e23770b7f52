// Authentication end to end with real processes (tandemd confserv, tandemd
// csproxy, tandemctl): nobody unauthenticated gets configuration, the first
// administrator is made with the bootstrap secret and only once, password
// logins and their lockout, tokens working at a proxy, applications by
// client certificate, a password change ending older sessions, recovery of a
// lost administrator password, and password hashes never leaving a server
// except to another Tandem server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/client_context.h"
#include "testing/csproxy_process.h"
#include "testing/tandemd_process.h"
#include "testing/temp_dir.h"
#include "testing/test_pki.h"

namespace tandem {
namespace {

using testing::CsProxyOptions;
using testing::CsProxyProcess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TandemdOptions;
using testing::TandemdProcess;
using testing::TestPki;
namespace v1 = config::v1;

constexpr char kAdminPassword[] = "correct horse battery";

using Result = testing::CommandResult;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// Runs programs as an operator would: tandemctl with a token file of its own.
class Operator {
 public:
  explicit Operator(std::string name) : name_(std::move(name)) {}
  std::string token_file() const { return tmp_.file(name_ + ".token"); }
  std::string token() const {
    return std::string(absl::StripAsciiWhitespace(ReadFile(token_file())));
  }

  // tandemctl ARGS against `address`, `input` on stdin (stdout+stderr).
  Result Ctl(const std::string& address, const std::string& args,
             const std::string& input = "") const {
    const std::string in = tmp_.file("stdin");
    std::ofstream(in, std::ios::trunc) << input;
    return Sh(absl::StrCat("TANDEM_TOKEN_FILE=", token_file(), " ",
                           testing::BinaryPath("tandemctl"), " --server ", address, " ", args, " <",
                           in, " 2>&1"));
  }

  Result Login(const std::string& address, const std::string& user,
               const std::string& password) const {
    return Ctl(address, absl::StrCat("login --user ", user, " --password-stdin"), password + "\n");
  }

  static Result Sh(const std::string& cmd) { return testing::Shell(cmd); }

 private:
  std::string name_;
  testing::TempDir tmp_;
};

// A master with authentication on and its first administrator, 'admin'.
class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TandemdOptions o;
    o.auth = true;
    server_ = std::make_unique<TandemdProcess>(o);
    server_->Start();
    ASSERT_TRUE(Exists(server_->bootstrap_file())) << server_->Log();
  }

  std::string address() const { return server_->address(); }

  void Bootstrap() {
    Result r = admin_.Ctl(
        address(),
        "auth bootstrap --user admin --password-stdin --secret-file " + server_->bootstrap_file(),
        std::string(kAdminPassword) + "\n");
    ASSERT_EQ(r.code, 0) << r.out;
    Result login = admin_.Login(address(), "admin", kAdminPassword);
    ASSERT_EQ(login.code, 0) << login.out;
  }

  // A unary call with `token` (none: unauthenticated), over TLS.
  grpc::Status GetPerson(const std::string& token, const std::string& name,
                         v1::GetResponse* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    v1::GetRequest request;
    request.set_type(v1::OBJECT_TYPE_PERSON);
    request.set_name(name);
    return server_->Stub()->Get(&ctx, request, response);
  }

  std::unique_ptr<TandemdProcess> server_;
  Operator admin_{"admin"};
};

TEST_F(AuthTest, NothingWithoutASession) {
  // The raw API without credentials: refused, saying what to do.
  v1::GetResponse got;
  grpc::Status st = GetPerson("", "admin", &got);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("log in"));
  {
    grpc::ClientContext ctx;
    v1::HistoryRequest request;
    v1::HistoryResponse response;
    EXPECT_EQ(server_->Stub()->History(&ctx, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::WatchRequest request;
    auto reader = server_->Stub()->Watch(&ctx, request);
    v1::WatchResponse response;
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // A forged token.
  EXPECT_EQ(GetPerson("bm90IGEgdG9rZW4", "admin", &got).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // tandemctl says the same, and writes nothing.
  Operator nobody("nobody");
  Result r = nobody.Ctl(address(), "create host -f -",
                        R"({"name": "h1", "properties": {"address": "192.0.2.1"}})");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("tandemctl login"));
  // What anyone may see: the server answers, and that it wants a login.
  r = nobody.Ctl(address(), "status");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("log in"));
  // A server that is up and refusing counts it.
  EXPECT_THAT(server_->Log(), HasSubstr("refused Get"));
}

TEST_F(AuthTest, BootstrapOnceThenLogin) {
  // A wrong secret is refused and the file stays.
  Operator mallory("mallory");
  testing::TempDir tmp;
  std::ofstream(tmp.file("guess")) << "0123456789abcdef\n";
  Result r = mallory.Ctl(
      address(),
      "auth bootstrap --user mallory --password-stdin --secret-file " + tmp.file("guess"),
      "mallory's password\n");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("wrong bootstrap secret"));
  EXPECT_TRUE(Exists(server_->bootstrap_file()));

  // A password the rules refuse: nothing made.
  r = admin_.Ctl(
      address(),
      "auth bootstrap --user admin --password-stdin --secret-file " + server_->bootstrap_file(),
      "short\n");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("at least"));

  ASSERT_NO_FATAL_FAILURE(Bootstrap());
  // Used once: the file is gone and a second bootstrap is refused.
  EXPECT_FALSE(Exists(server_->bootstrap_file()));
  r = mallory.Ctl(
      address(),
      "auth bootstrap --user mallory --password-stdin --secret-file " + server_->bootstrap_file(),
      "mallory's password\n");
  EXPECT_NE(r.code, 0);

  r = admin_.Ctl(address(), "whoami");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("person admin (administrator)"));
  // The token file is private.
  struct stat st {};
  ASSERT_EQ(stat(admin_.token_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  // Writes carry the person, whatever --app says.
  r = admin_.Ctl(address(), "--app anything create host -f -",
                 R"({"name": "h1", "properties": {"address": "192.0.2.1"}})");
  ASSERT_EQ(r.code, 0) << r.out;
  r = admin_.Ctl(address(), "history");
  EXPECT_THAT(r.out, HasSubstr("person admin"));
}

TEST_F(AuthTest, WrongPasswordsLockTheAccount) {
  ASSERT_NO_FATAL_FAILURE(Bootstrap());
  Operator guesser("guesser");
  Result r = guesser.Login(address(), "admin", "not the password");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("wrong user name or password"));
  r = guesser.Login(address(), "nobody", "not the password");
  EXPECT_THAT(r.out, HasSubstr("wrong user name or password"));  // the same for no such user
  for (int i = 0; i < 4; ++i) guesser.Login(address(), "admin", "still not it");
  // Five failures: even the right password is refused for a while.
  r = guesser.Login(address(), "admin", kAdminPassword);
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("locked"));
  // The session made before the lockout still works.
  EXPECT_EQ(admin_.Ctl(address(), "whoami").code, 0);
}

TEST_F(AuthTest, PasswordHashesStayOnTheServers) {
  ASSERT_NO_FATAL_FAILURE(Bootstrap());
  const std::string token = admin_.token();
  v1::GetResponse got;
  ASSERT_TRUE(GetPerson(token, "admin", &got).ok());
  EXPECT_FALSE(got.object().properties().contains("password_hash"));
  EXPECT_THAT(admin_.Ctl(address(), "export").out, Not(HasSubstr("argon2")));
  EXPECT_THAT(admin_.Ctl(address(), "history -o json").out, Not(HasSubstr("argon2")));
  EXPECT_THAT(admin_.Ctl(address(), "list person -o json").out, Not(HasSubstr("argon2")));
  {
    // bob, and his password set by the administrator: changes 3 and 4.
    Result made = admin_.Ctl(address(), "create person -f -",
                             R"({"name": "bob", "properties": {"user_name": "bob"}})");
    ASSERT_EQ(made.code, 0) << made.out;
    made = admin_.Ctl(address(), "passwd bob --password-stdin", "a long password of his own\n");
    ASSERT_EQ(made.code, 0) << made.out;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::WatchRequest request;
    request.set_from_revision(1);
    auto reader = server_->Stub()->Watch(&ctx, request);
    v1::WatchResponse response;
    int changes = 0;
    while (changes < 3 && reader->Read(&response)) {
      for (const v1::Change& c : response.changes()) {
        ++changes;
        EXPECT_FALSE(c.after().properties().contains("password_hash")) << c.revision();
        EXPECT_FALSE(c.before().properties().contains("password_hash")) << c.revision();
      }
    }
    EXPECT_EQ(changes, 3);
    ctx.TryCancel();
  }
  EXPECT_EQ(Operator("bob").Login(address(), "bob", "a long password of his own").code, 0);
  // Nobody but the server writes one.
  Result r = admin_.Ctl(address(), "create person -f -",
                        R"({"name": "eve", "properties": {"user_name": "eve",
                            "password_hash": "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA"}})");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("password_hash"));
}

TEST_F(AuthTest, PasswordChangeEndsOlderSessions) {
  ASSERT_NO_FATAL_FAILURE(Bootstrap());
  const std::string old_token = admin_.token();
  Result r = admin_.Ctl(address(), "passwd --password-stdin",
                        std::string(kAdminPassword) + "\na new and longer password\n");
  ASSERT_EQ(r.code, 0) << r.out;
  v1::GetResponse got;
  grpc::Status st;
  // At once at the server that changed it.
  st = GetPerson(old_token, "admin", &got);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("log in again"));
  EXPECT_NE(admin_.Login(address(), "admin", kAdminPassword).code, 0);
  EXPECT_EQ(admin_.Login(address(), "admin", "a new and longer password").code, 0);
}

TEST_F(AuthTest, LostAdministratorPasswordIsRecoveredWithANewSecret) {
  ASSERT_NO_FATAL_FAILURE(Bootstrap());
  // On the master's host, while it runs.
  Result r = Operator::Sh(absl::StrCat(testing::BinaryPath("tandemd"),
                                       " confserv --new-bootstrap-secret -f ",
                                       server_->config_path(), " 2>&1"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("tandemctl auth bootstrap"));
  Operator other("other");
  r = other.Ctl(
      address(),
      "auth bootstrap --user admin --password-stdin --secret-file " + server_->bootstrap_file(),
      "the recovered password\n");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(other.Login(address(), "admin", "the recovered password").code, 0);
  EXPECT_NE(other.Login(address(), "admin", kAdminPassword).code, 0);
}

TEST_F(AuthTest, ApplicationsByCertificateAndTokensAtAProxy) {
  ASSERT_NO_FATAL_FAILURE(Bootstrap());
  // A certificate naming no Application is refused, saying so.
  const TlsFiles unknown = TestPki::Get().Client("app-unknown");
  Operator app("app");
  Result r = app.Ctl(address(),
                     absl::StrCat("--cert ", unknown.cert, " --key ", unknown.key, " list app"));
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("no Application object"));

  // The application may read and change its own object (a grant naming it).
  r = admin_.Ctl(address(), "create app -f -",
                 R"({"name": "app-unknown", "properties": {"app_type": "Sample", "permissions":
                     [{"application": {"ref": "Application", "name": "app-unknown"},
                       "rights": ["read", "change"]}]}})");
  ASSERT_EQ(r.code, 0) << r.out;
  // A proxy (its certificate names the ConfigServerProxy 'csproxy') takes
  // tokens signed by a ConfigServer of the site only.
  CsProxyOptions po;
  po.masters = {address()};
  po.auth = true;
  auto proxy = std::make_unique<CsProxyProcess>(po);
  r = admin_.Ctl(address(), "create app -f -",
                 R"({"name": "csproxy", "properties": {"app_type": "ConfigServerProxy"}})");
  ASSERT_EQ(r.code, 0) << r.out;
  proxy->Start();
  ASSERT_TRUE(proxy->WaitForMode(v1::PROXY_MODE_NORMAL, 20)) << proxy->Log();
  r = admin_.Ctl(proxy->address(), "whoami");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("no Application 'confserv' with app_type ConfigServer"));
  r = admin_.Ctl(address(), "create app -f -",
                 R"({"name": "confserv", "properties": {"app_type": "ConfigServer"}})");
  ASSERT_EQ(r.code, 0) << r.out;
  r = app.Ctl(address(), absl::StrCat("--cert ", unknown.cert, " --key ", unknown.key, " whoami"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("application app-unknown"));

  // Now the master's token works at the proxy, and the proxy holds the
  // hashes: logins work there too.
  CsProxyProcess& at = *proxy;
  for (int i = 0; i < 50; ++i) {  // the proxy's copy gets the Application
    r = admin_.Ctl(at.address(), "whoami");
    if (r.code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("person admin"));
  Operator at_proxy("at-proxy");
  r = at_proxy.Login(at.address(), "admin", kAdminPassword);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(at_proxy.Ctl(at.address(), "get person admin -o json").out, Not(HasSubstr("argon2")));
  // A write through the proxy is the person's at the master.
  r = at_proxy.Ctl(at.address(), "create host -f -",
                   R"({"name": "via-proxy", "properties": {"address": "192.0.2.2"}})");
  ASSERT_EQ(r.code, 0) << r.out;
  // The history has the client's address and the proxy's (both loopback).
  EXPECT_THAT(admin_.Ctl(address(), "history").out,
              HasSubstr("person admin from 127.0.0.1 via 127.0.0.1"));
  // And an application's write through the proxy is the application's.
  r = app.Ctl(at.address(), absl::StrCat("--cert ", unknown.cert, " --key ", unknown.key,
                                         " set-option app app-unknown s k v"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(admin_.Ctl(address(), "history").out, HasSubstr("application app-unknown"));
  // Without credentials the proxy refuses too.
  EXPECT_NE(Operator("nobody").Ctl(at.address(), "list app").code, 0);
}

// Permissions, end to end: a person with grants on one folder sees and
// changes only what is in it, through every call (Get, List, export,
// History, Watch, writes and transactions), at the master and at a proxy;
// revoking the grant stops an open watch at once; the last administrator
// cannot be removed; a malformed grant is refused.
class PermissionsTest : public AuthTest {
 protected:
  void SetUp() override {
    AuthTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(Bootstrap());
    for (const char* json :
         {R"({"name": "Visible", "properties": {}})", R"({"name": "Hidden", "properties": {}})",
          R"({"name": "Other", "properties": {}})"}) {
      Result r = admin_.Ctl(address(), "create folder -f -", json);
      ASSERT_EQ(r.code, 0) << r.out;
    }
    Result r = admin_.Ctl(address(), "create person -f -",
                          R"({"name": "carol", "properties": {"user_name": "carol"}})");
    ASSERT_EQ(r.code, 0) << r.out;
    r = admin_.Ctl(address(), "passwd carol --password-stdin", "a secret of her own\n");
    ASSERT_EQ(r.code, 0) << r.out;
    ASSERT_NO_FATAL_FAILURE(GrantCarol("Visible", R"(["read", "change", "create"])"));
    ASSERT_NO_FATAL_FAILURE(GrantCarol("Other", R"(["read"])"));
    // Folders Visible, Hidden and Other are DBIDs 1, 2 and 3.
    for (const auto& [name, folder] :
         {std::pair{"hv", 1}, std::pair{"hh", 2}, std::pair{"ho", 3}}) {
      r = admin_.Ctl(address(), "create host -f -",
                     absl::StrCat(R"({"name": ")", name, R"(", "folder_dbid": )", folder,
                                  R"(, "properties": {"address": "192.0.2.1"}})"));
      ASSERT_EQ(r.code, 0) << r.out;
    }
    r = carol_.Login(address(), "carol", "a secret of her own");
    ASSERT_EQ(r.code, 0) << r.out;
  }

  void GrantCarol(const std::string& folder, const std::string& rights) {
    Result r = admin_.Ctl(
        address(), absl::StrCat("update folder ", folder, " -f -"),
        absl::StrCat(R"({"name": ")", folder,
                     R"(", "enabled": true, "properties": {"permissions": [{"person": )",
                     R"({"ref": "Person", "name": "carol"}, "rights": )", rights, "}]}}"));
    ASSERT_EQ(r.code, 0) << r.out;
  }

  Operator carol_{"carol"};
};

TEST_F(PermissionsTest, ReadsShowOnlyWhatMayBeRead) {
  const std::string at = address();
  // A host in Hidden with a grant of its own: readable although its folder
  // is not (a listing decides grant-less objects once per folder, not this).
  Result r = admin_.Ctl(at, "create host -f -",
                        R"({"name": "hx", "folder_dbid": 2, "properties": {"address": "192.0.2.3",
                            "permissions": [{"person": {"ref": "Person", "name": "carol"},
                                             "rights": ["read"]}]}})");
  ASSERT_EQ(r.code, 0) << r.out;
  r = carol_.Ctl(at, "list host -o json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"hv\""));
  EXPECT_THAT(r.out, HasSubstr("\"ho\""));
  EXPECT_THAT(r.out, HasSubstr("\"hx\""));
  EXPECT_THAT(r.out, Not(HasSubstr("\"hh\"")));
  r = carol_.Ctl(at, "get host hh");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("may not read Host 'hh'"));
  EXPECT_THAT(carol_.Ctl(at, "export").out, Not(HasSubstr("\"hh\"")));
  r = carol_.Ctl(at, "history -o json");
  EXPECT_THAT(r.out, HasSubstr("\"hv\""));
  EXPECT_THAT(r.out, Not(HasSubstr("\"hh\"")));
  // Without Read Permissions the grants are not shown.
  EXPECT_THAT(carol_.Ctl(at, "get folder Visible -o json").out, Not(HasSubstr("permissions")));
  EXPECT_THAT(admin_.Ctl(at, "get folder Visible -o json").out, HasSubstr("permissions"));
}

TEST_F(PermissionsTest, TheSameAtAProxy) {
  ASSERT_EQ(admin_
                .Ctl(address(), "create app -f -",
                     R"({"name": "csproxy", "properties": {"app_type": "ConfigServerProxy"}})")
                .code,
            0);
  CsProxyOptions po;
  po.masters = {address()};
  po.auth = true;
  CsProxyProcess proxy(po);
  proxy.Start();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_NORMAL, 20)) << proxy.Log();
  Operator at_proxy("carol-at-proxy");
  Result r = at_proxy.Login(proxy.address(), "carol", "a secret of her own");
  ASSERT_EQ(r.code, 0) << r.out;
  r = at_proxy.Ctl(proxy.address(), "list host -o json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"hv\""));
  EXPECT_THAT(r.out, Not(HasSubstr("\"hh\"")));
  EXPECT_THAT(at_proxy.Ctl(proxy.address(), "get host hh").out, HasSubstr("may not read"));
  EXPECT_THAT(at_proxy.Ctl(proxy.address(), "history -o json").out, Not(HasSubstr("\"hh\"")));
  // A write through the proxy is judged at the master.
  r = at_proxy.Ctl(proxy.address(), "set-option host ho s k v");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("may not change Host 'ho'"));
  EXPECT_THAT(server_->Log(), HasSubstr("may not change Host 'ho'"));
}

TEST_F(PermissionsTest, WritesNeedTheirRight) {
  Result r = carol_.Ctl(address(), "set-option host hv s k v");
  EXPECT_EQ(r.code, 0) << r.out;
  r = carol_.Ctl(address(), "set-option host ho s k v");  // read only there
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("may not change Host 'ho'"));
  r = carol_.Ctl(address(), "delete host hv");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("may not delete"));
  r = carol_.Ctl(address(), "create host -f -",
                 R"({"name": "new1", "folder_dbid": 1, "properties": {"address": "192.0.2.3"}})");
  EXPECT_EQ(r.code, 0) << r.out;
  r = carol_.Ctl(address(), "create host -f -",
                 R"({"name": "new2", "folder_dbid": 3, "properties": {"address": "192.0.2.3"}})");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("may not create"));
  r = carol_.Ctl(address(), "create host -f -",
                 R"({"name": "new3", "properties": {"address": "192.0.2.3"}})");
  EXPECT_NE(r.code, 0);  // outside any folder: administrators only
  // Granting herself more: Change Permissions, which she lacks.
  r = carol_.Ctl(address(), "update folder Other -f -",
                 R"({"name": "Other", "enabled": true,
                     "properties": {"permissions": [{"person": {"ref": "Person", "name": "carol"},
                     "rights": ["read", "change", "delete"]}]}})");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("may not"));
  // An update that leaves the grants out keeps them (she cannot see them).
  r = carol_.Ctl(address(), "set-option folder Visible s k v");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(admin_.Ctl(address(), "get folder Visible -o json").out, HasSubstr("\"create\""));
  // A transaction is all or nothing: one operation she may not do refuses it.
  testing::TempDir tmp;
  std::ofstream(tmp.file("two.json")) << R"({"format": "tandem-config-export", "version": 1,
      "objects": [
        {"type": "Host", "name": "t1", "folder_dbid": 1, "properties": {"address": "192.0.2.4"}},
        {"type": "Host", "name": "t2", "folder_dbid": 2, "properties": {"address": "192.0.2.4"}}]})";
  r = carol_.Ctl(address(), "import --force " + tmp.file("two.json"));
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("may not create"));
  EXPECT_NE(admin_.Ctl(address(), "get host t1").code, 0);  // nothing was written
  // Each refusal was counted (and logged): six writes above, at least.
  v1::ServerInfo info;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_.token());
    ASSERT_TRUE(server_->Stub()->GetServerInfo(&ctx, v1::ServerInfoRequest(), &info).ok());
  }
  EXPECT_GE(info.refused_calls(), 6);
  EXPECT_THAT(admin_.Ctl(address(), "status").out, HasSubstr("refused calls"));
  EXPECT_THAT(server_->Log(), HasSubstr("refused Transaction from person carol"));
}

TEST_F(PermissionsTest, RevokingReadStopsAWatchAtOnce) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + carol_.token());
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchRequest request;
  auto reader = server_->Stub()->Watch(&ctx, request);
  std::vector<std::string> seen;
  auto next_host = [&](const std::string& want) {
    v1::WatchResponse response;
    while (reader->Read(&response)) {
      for (const v1::Change& c : response.changes()) {
        const std::string name = c.has_after() ? c.after().name() : c.before().name();
        seen.push_back(name);
        if (name == want) return true;
      }
    }
    return false;
  };
  auto touch = [&](const std::string& host, const std::string& value) {
    Result r = admin_.Ctl(address(), absl::StrCat("set-option host ", host, " s k ", value));
    ASSERT_EQ(r.code, 0) << r.out;
  };
  touch("hh", "1");
  touch("hv", "1");
  ASSERT_TRUE(next_host("hv"));
  // Revoke everything on Visible; then change hv, then ho (still readable).
  Result r =
      admin_.Ctl(address(), "update folder Visible -f -",
                 R"({"name": "Visible", "enabled": true, "properties": {"permissions": []}})");
  ASSERT_EQ(r.code, 0) << r.out;
  touch("hv", "2");
  touch("ho", "2");
  ASSERT_TRUE(next_host("ho"));
  ctx.TryCancel();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "hh"), 0);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "hv"), 1) << "hv after the revocation";
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "Visible"), 0) << "the revocation itself";
}

// The watches of one subject share each decision (ReadFilter::Judge); two
// subjects' decisions stay their own: carol (two watches) sees hv and not
// hh, dave (read on Hidden only) the other way round.
TEST_F(PermissionsTest, WatchesOfTwoSubjectsSeeTheirOwn) {
  Result r = admin_.Ctl(address(), "create person -f -",
                        R"({"name": "dave", "properties": {"user_name": "dave"}})");
  ASSERT_EQ(r.code, 0) << r.out;
  r = admin_.Ctl(address(), "passwd dave --password-stdin", "another long secret\n");
  ASSERT_EQ(r.code, 0) << r.out;
  r = admin_.Ctl(address(), "update folder Hidden -f -",
                 R"({"name": "Hidden", "enabled": true, "properties": {"permissions": [
                     {"person": {"ref": "Person", "name": "dave"}, "rights": ["read"]}]}})");
  ASSERT_EQ(r.code, 0) << r.out;
  Operator dave("dave");
  r = dave.Login(address(), "dave", "another long secret");
  ASSERT_EQ(r.code, 0) << r.out;

  struct Watch {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<v1::WatchResponse>> reader;
    std::vector<std::string> seen;
  };
  std::vector<std::unique_ptr<Watch>> watches;
  for (const std::string& token : {carol_.token(), carol_.token(), dave.token()}) {
    auto w = std::make_unique<Watch>();
    w->ctx.AddMetadata("authorization", "Bearer " + token);
    w->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::WatchRequest request;
    request.set_from_revision(0);  // only what follows
    w->reader = server_->Stub()->Watch(&w->ctx, request);
    watches.push_back(std::move(w));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the streams are open
  for (const char* host : {"hh", "hv", "ho"}) {
    r = admin_.Ctl(address(), absl::StrCat("set-option host ", host, " s k 7"));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  for (size_t i = 0; i < watches.size(); ++i) {  // carol's last change is ho, dave's hh
    const std::string last = i < 2 ? "ho" : "hh";
    v1::WatchResponse response;
    bool done = false;
    while (!done && watches[i]->reader->Read(&response)) {
      for (const v1::Change& c : response.changes()) {
        watches[i]->seen.push_back(c.after().name());
        done = done || c.after().name() == last;
      }
    }
  }
  for (auto& w : watches) w->ctx.TryCancel();
  EXPECT_THAT(watches[0]->seen, ElementsAre("hv", "ho"));
  EXPECT_THAT(watches[1]->seen, ElementsAre("hv", "ho"));
  EXPECT_THAT(watches[2]->seen, ElementsAre("hh"));
}

// tandemctl grant / revoke edit one grantee's grant, keeping the others.
TEST_F(PermissionsTest, GrantAndRevokeFromTheCli) {
  EXPECT_NE(carol_.Ctl(address(), "get host hh").code, 0);
  Result r = admin_.Ctl(address(), "grant folder Hidden --person carol --rights read,change");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("granted read, change to person carol on Folder 'Hidden'"));
  EXPECT_EQ(carol_.Ctl(address(), "get host hh").code, 0);
  r = admin_.Ctl(address(), "grant folder Hidden --person carol --rights read");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("already has read"));
  // Taking change away leaves read; taking everything away ends reading.
  r = admin_.Ctl(address(), "revoke folder Hidden --person carol --rights change");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(carol_.Ctl(address(), "get host hh").code, 0);
  EXPECT_NE(carol_.Ctl(address(), "set-option host hh s k v").code, 0);
  r = admin_.Ctl(address(), "revoke folder Hidden --person carol");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(carol_.Ctl(address(), "get host hh").code, 0);
  // Carol's grant on Visible is untouched by all this.
  EXPECT_EQ(carol_.Ctl(address(), "get host hv").code, 0);
  r = admin_.Ctl(address(), "grant folder Hidden --person carol --rights reed");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("'reed' is not a right; the rights are read, create"));
  r = admin_.Ctl(address(), "grant folder Hidden --person nobody --rights read");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("nobody"));
  // Changing grants she cannot see (no read_permissions) would overwrite
  // them unseen: refused, until she may read them.
  r = admin_.Ctl(address(),
                 "grant folder Other --person carol --rights change,change_permissions "
                 "--no-propagate");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string none =
      R"({"name": "Other", "enabled": true, "properties": {"permissions": []}})";
  r = carol_.Ctl(address(), "update folder Other -f -", none);
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("read_permissions"));
  r = admin_.Ctl(address(),
                 "grant folder Other --person carol --rights read_permissions "
                 "--no-propagate");
  ASSERT_EQ(r.code, 0) << r.out;
  r = carol_.Ctl(address(), "update folder Other -f -", none);
  EXPECT_EQ(r.code, 0) << r.out;
  // Carol may not grant: she may not even read persons to name one.
  r = carol_.Ctl(address(), "grant folder Visible --person carol --rights delete");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("may not read Person 'carol'"));
}

TEST_F(PermissionsTest, GrantsAreCheckedAndTheLastAdministratorStays) {
  Result r = admin_.Ctl(address(), "update folder Other -f -",
                        R"({"name": "Other", "enabled": true,
                            "properties": {"permissions": [{"rights": ["read"]}]}})");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("exactly one grantee"));
  r = admin_.Ctl(address(), "update folder Other -f -",
                 R"({"name": "Other", "enabled": true,
                     "properties": {"permissions": [{"person": {"ref": "Person", "name": "carol"},
                     "rights": ["sudo"]}]}})");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("'sudo' is not one of read"));
  r = admin_.Ctl(address(), "update access_group Administrators -f -",
                 R"({"name": "Administrators", "enabled": true, "properties": {"members": []}})");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("no administrator"));
  r = admin_.Ctl(address(), "update person admin -f -",
                 R"({"name": "admin", "enabled": false, "properties": {"user_name": "admin"}})");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("no administrator"));
  EXPECT_EQ(admin_.Ctl(address(), "whoami").code, 0);
}

}  // namespace
}  // namespace tandem
