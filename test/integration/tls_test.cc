// TLS on the wire, end to end with real processes: what a client cannot
// trust is refused with a message that says what to do, a server refuses to
// start on files it cannot use, plaintext and a certificate near its expiry
// are alarms, and a rotated certificate is served to new connections while
// an open watch stream carries on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "pki/pki.h"
#include "testing/config_ops.h"
#include "testing/tandemd_process.h"
#include "testing/temp_dir.h"
#include "testing/test_pki.h"

namespace tandem {
namespace {

using ::testing::HasSubstr;
using testing::TandemdOptions;
using testing::TandemdProcess;
using testing::TestPki;
namespace v1 = config::v1;

using Result = testing::CommandResult;

// tandemctl ARGS against `address` (stdout and stderr together).
Result Ctl(const std::string& address, const std::string& args) {
  return testing::Shell(testing::BinaryPath("tandemctl") + " --server " + address + " " + args +
                        " 2>&1");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A second CA, for certificates the test CA never signed.
struct OtherCa {
  testing::TempDir tmp;
  std::string dir = tmp.file("other");
  OtherCa() { EXPECT_TRUE(pki::InitCa({.dir = dir, .name = "Someone else's CA"}).ok()); }
  TlsFiles Issue(const std::string& name, bool server) {
    pki::IssueOptions o;
    o.dir = dir;
    o.name = name;
    o.server_auth = server;
    if (server) o.ip_addresses = {"127.0.0.1"};
    EXPECT_TRUE(pki::Issue(o).ok());
    return {pki::CertPath(dir, name), pki::KeyPath(dir, name), pki::CaCertPath(dir), false};
  }
};

// The certificate the server at `address` presents to a new connection.
absl::StatusOr<pki::CertInfo> PresentedCertificate(const std::string& address) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(TestPki::Get().ca());
  auto stub = v1::ConfigService::NewStub(grpc::CreateChannel(address, grpc::SslCredentials(ssl)));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ServerInfo info;
  grpc::Status st = stub->GetServerInfo(&ctx, v1::ServerInfoRequest(), &info);
  if (!st.ok()) return absl::UnavailableError(st.error_message());
  for (const auto& pem : ctx.auth_context()->FindPropertyValues("x509_pem_cert")) {
    auto certs = pki::ParseCertificates(std::string(pem.data(), pem.size()));
    if (!certs.ok()) return certs.status();
    return certs->front();
  }
  return absl::NotFoundError("no peer certificate");
}

// A client refuses a server it cannot trust, and the server a client
// certificate it did not issue; each message says what to do.
TEST(Tls, WhatCannotBeTrustedIsRefused) {
  TandemdProcess server;
  server.Start();
  const std::string address = server.address();
  Result ok = Ctl(address, "status");  // TANDEM_CA is the test CA
  ASSERT_EQ(ok.code, 0) << ok.out;

  Result plain = Ctl(address, "--plaintext status");
  EXPECT_EQ(plain.code, 1);
  EXPECT_THAT(plain.out, HasSubstr("drop --plaintext"));

  OtherCa other;
  Result wrong_ca = Ctl(address, "--ca " + pki::CaCertPath(other.dir) + " status");
  EXPECT_EQ(wrong_ca.code, 1);
  EXPECT_THAT(wrong_ca.out, HasSubstr("not signed by the CA given (--ca)"));

  const TlsFiles stranger = other.Issue("stranger", /*server=*/false);
  Result foreign_client =
      Ctl(address, "--cert " + stranger.cert + " --key " + stranger.key + " status");
  EXPECT_EQ(foreign_client.code, 1) << foreign_client.out;

  // A certificate that does not name the address dialed.
  TandemdOptions o;
  o.listen = absl::StrCat("127.0.0.2:", testing::FreePort());
  o.tls = TestPki::Get().Server("loopback-only");  // names 127.0.0.1, ::1, localhost
  TandemdProcess elsewhere(o);
  elsewhere.Start();
  Result wrong_name = Ctl(elsewhere.address(), "status");
  EXPECT_EQ(wrong_name.code, 1);
  EXPECT_THAT(wrong_name.out, HasSubstr("does not name the address dialed"));

  TandemdOptions p;
  p.plaintext = true;
  TandemdProcess plaintext(p);
  plaintext.Start();
  Result tls_to_plain = Ctl(plaintext.address(), "status");
  EXPECT_EQ(tls_to_plain.code, 1);
  EXPECT_THAT(tls_to_plain.out, HasSubstr("then --plaintext"));
  EXPECT_EQ(Ctl(plaintext.address(), "--plaintext status").code, 0);
}

// A server does not start on TLS files it cannot use, and says why.
TEST(Tls, ServerRefusesFilesItCannotUse) {
  auto expect_refusal = [](const TlsFiles& tls, const std::string& why) {
    TandemdOptions o;
    o.tls = tls;
    TandemdProcess server(o);
    int status = 0;
    EXPECT_FALSE(server.StartOrExit(&status)) << why;
    EXPECT_NE(status, 0);
    EXPECT_THAT(server.Log(), HasSubstr(why));
  };
  TlsFiles good = TestPki::Get().Server("confserv");
  TlsFiles other_key = good;
  other_key.key = TestPki::Get().Server("someone-else").key;
  expect_refusal(other_key, "is not the key of");
  OtherCa other;
  TlsFiles foreign = other.Issue("foreign", /*server=*/true);
  foreign.ca = good.ca;
  expect_refusal(foreign, "does not verify against");
  pki::IssueOptions old;
  old.dir = TestPki::Get().dir() + "/ca";
  old.name = "expired";
  old.out_dir = TestPki::Get().dir() + "/expired";
  old.ip_addresses = {"127.0.0.1"};
  old.valid_from = absl::Now() - absl::Hours(24 * 30);
  old.days = 2;
  ASSERT_TRUE(pki::Issue(old).ok());
  expect_refusal(
      {pki::CertPath(old.out_dir, "expired"), pki::KeyPath(old.out_dir, "expired"), good.ca, false},
      "expired on");
}

// Plaintext is logged at every start and an alarm; so is a certificate that
// expires within 30 days.
TEST(Tls, PlaintextAndExpiryAreAlarms) {
  TandemdOptions p;
  p.plaintext = true;
  TandemdProcess plaintext(p);
  plaintext.Start();
  std::vector<std::string> alarms = testing::Alarms(plaintext.Info());
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_THAT(alarms[0], HasSubstr("plaintext"));
  EXPECT_THAT(plaintext.Log(), HasSubstr("plaintext = true: connections are neither encrypted"));

  pki::IssueOptions soon;
  soon.dir = TestPki::Get().dir() + "/ca";
  soon.name = "confserv";
  soon.out_dir = TestPki::Get().dir() + "/soon";
  soon.ip_addresses = {"127.0.0.1"};
  soon.days = 10;
  ASSERT_TRUE(pki::Issue(soon).ok());
  TandemdOptions o;
  o.tls = TlsFiles{pki::CertPath(soon.out_dir, "confserv"), pki::KeyPath(soon.out_dir, "confserv"),
                   TestPki::Get().ca(), false};
  TandemdProcess expiring(o);
  expiring.Start();
  alarms = testing::Alarms(expiring.Info());
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_THAT(alarms[0], HasSubstr("expires in"));
  EXPECT_THAT(alarms[0], HasSubstr("tandemctl pki issue --force"));
  TandemdProcess fine;
  fine.Start();
  EXPECT_TRUE(testing::Alarms(fine.Info()).empty());
}

// A rotated certificate (new files, SIGHUP) is what new connections get
// within seconds, while a watch stream opened before carries on.
TEST(Tls, RotationKeepsOpenStreamsAndServesTheNewCertificate) {
  pki::IssueOptions files;
  files.dir = TestPki::Get().dir() + "/ca";
  files.name = "confserv";
  files.out_dir = TestPki::Get().dir() + "/rotate";
  files.ip_addresses = {"127.0.0.1"};
  auto first = pki::Issue(files);
  ASSERT_TRUE(first.ok()) << first.status();
  TandemdOptions o;
  o.tls = TlsFiles{pki::CertPath(files.out_dir, "confserv"),
                   pki::KeyPath(files.out_dir, "confserv"), TestPki::Get().ca(), false};
  TandemdProcess server(o);
  server.Start();
  auto presented = PresentedCertificate(server.address());
  ASSERT_TRUE(presented.ok()) << presented.status();
  EXPECT_EQ(presented->serial, first->serial);

  // A watch stream, open before the rotation.
  auto stub = server.Stub();
  grpc::ClientContext watch_ctx;
  v1::WatchRequest request;
  request.set_from_revision(server.Info().revision());
  auto watch = stub->Watch(&watch_ctx, request);

  files.force = true;
  auto second = pki::Issue(files);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_NE(second->serial, first->serial);
  kill(server.pid(), SIGHUP);
  std::string seen;
  for (int i = 0; i < 100 && seen != second->serial; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto now = PresentedCertificate(server.address());
    if (now.ok()) seen = now->serial;
  }
  EXPECT_EQ(seen, second->serial) << "new connections still get the old certificate";
  EXPECT_THAT(server.Log(), HasSubstr("SIGHUP: certificate files are valid"));

  int64_t revision = 0;
  ASSERT_TRUE(testing::CreateHost(server, "after-rotation", &revision).ok());
  v1::WatchResponse response;
  bool delivered = false;
  while (!delivered && watch->Read(&response)) {
    for (const auto& change : response.changes()) {
      delivered = delivered || change.after().name() == "after-rotation";
    }
  }
  EXPECT_TRUE(delivered) << "the watch opened before the rotation ended";
  watch_ctx.TryCancel();
  (void)watch->Finish();
  EXPECT_TRUE(server.running());
}

}  // namespace
}  // namespace tandem
