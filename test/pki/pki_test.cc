// The certificate authority: a CA, certificates with names and usages,
// reading them back, checking what a server or client will present, and
// refusing what would silently break a site (overwrites, bad names).
#include "pki/pki.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "absl/time/clock.h"
#include "testing/temp_dir.h"

namespace tandem::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

mode_t Mode(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

IssueOptions Server(const std::string& dir, const std::string& name) {
  IssueOptions o;
  o.dir = dir;
  o.name = name;
  o.dns_names = {"fw-p.tandem.test", "localhost"};
  o.ip_addresses = {"198.51.100.11", "::1"};
  return o;
}

// init writes a CA (key 0600); issue signs a certificate with the names
// and usages asked for; both read back as written.
TEST(Pki, InitAndIssue) {
  testing::TempDir tmp;
  const std::string dir = tmp.file("pki");
  auto ca = InitCa({.dir = dir, .name = "Tandem CA lab"});
  ASSERT_TRUE(ca.ok()) << ca.status();
  EXPECT_TRUE(ca->is_ca);
  EXPECT_EQ(ca->common_name, "Tandem CA lab");
  EXPECT_EQ(Mode(CaKeyPath(dir)), 0600u);
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_NEAR(ca->DaysLeft(absl::Now()), 3650, 1);

  auto cert = Issue(Server(dir, "confserv"));
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->common_name, "confserv");
  EXPECT_EQ(cert->issuer, "CN=Tandem CA lab");
  EXPECT_THAT(cert->dns_names, ElementsAre("fw-p.tandem.test", "localhost"));
  EXPECT_THAT(cert->ip_addresses, ElementsAre("198.51.100.11", "::1"));
  EXPECT_TRUE(cert->server_auth);
  EXPECT_TRUE(cert->client_auth);
  EXPECT_FALSE(cert->is_ca);
  EXPECT_EQ(Mode(KeyPath(dir, "confserv")), 0600u);
  auto read = ReadCertificates(CertPath(dir, "confserv"));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].serial, cert->serial);
  EXPECT_NEAR((*read)[0].DaysLeft(absl::Now()), 397, 1);
  EXPECT_TRUE(
      CheckIdentity(CertPath(dir, "confserv"), KeyPath(dir, "confserv"), CaCertPath(dir)).ok());
}

// What would break a site silently is refused: a second CA over the first,
// an overwritten certificate, names that are not names, a server
// certificate nobody can reach by name.
TEST(Pki, RefusesWhatWouldBreakASite) {
  testing::TempDir tmp;
  const std::string dir = tmp.file("pki");
  ASSERT_TRUE(InitCa({.dir = dir}).ok());
  auto again = InitCa({.dir = dir});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("--force replaces it"));
  ASSERT_TRUE(Issue(Server(dir, "confserv")).ok());
  auto twice = Issue(Server(dir, "confserv"));
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kAlreadyExists);
  IssueOptions o = Server(dir, "confserv");
  o.force = true;  // rotation
  auto rotated = Issue(o);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_TRUE(
      CheckIdentity(CertPath(dir, "confserv"), KeyPath(dir, "confserv"), CaCertPath(dir)).ok());
  EXPECT_THAT(Issue(Server(dir, "../etc/passwd")).status().message(), HasSubstr("letters"));
  EXPECT_THAT(Issue(Server(dir, "ca")).status().message(), HasSubstr("CA's own files"));
  o = Server(dir, "bad-ip");
  o.ip_addresses = {"300.1.1.1"};
  EXPECT_THAT(Issue(o).status().message(), HasSubstr("not an IP address"));
  o = Server(dir, "nameless");
  o.dns_names.clear();
  o.ip_addresses.clear();
  EXPECT_THAT(Issue(o).status().message(), HasSubstr("needs the names clients use"));
  o.server_auth = false;  // a client certificate needs none
  auto client = Issue(o);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_FALSE(client->server_auth);
  EXPECT_TRUE(client->client_auth);
  IssueOptions no_ca = Server(tmp.file("none"), "x");
  EXPECT_THAT(Issue(no_ca).status().message(), HasSubstr("tandemctl pki init"));
}

// CheckIdentity names what is wrong: a key of another certificate, another
// CA, an expired certificate, one not valid yet.
TEST(Pki, CheckIdentityRefusals) {
  testing::TempDir tmp;
  const std::string a = tmp.file("a"), b = tmp.file("b");
  ASSERT_TRUE(InitCa({.dir = a}).ok());
  ASSERT_TRUE(InitCa({.dir = b}).ok());
  ASSERT_TRUE(Issue(Server(a, "one")).ok());
  ASSERT_TRUE(Issue(Server(a, "two")).ok());
  absl::Status st = CheckIdentity(CertPath(a, "one"), KeyPath(a, "two"), CaCertPath(a));
  EXPECT_THAT(st.message(), HasSubstr("is not the key of"));
  st = CheckIdentity(CertPath(a, "one"), KeyPath(a, "one"), CaCertPath(b));
  EXPECT_THAT(st.message(), HasSubstr("does not verify against"));
  IssueOptions old = Server(a, "old");
  old.valid_from = absl::Now() - absl::Hours(24 * 10);
  old.days = 1;
  ASSERT_TRUE(Issue(old).ok());
  st = CheckIdentity(CertPath(a, "old"), KeyPath(a, "old"), CaCertPath(a));
  EXPECT_THAT(st.message(), HasSubstr("expired on"));
  IssueOptions future = Server(a, "future");
  future.valid_from = absl::Now() + absl::Hours(24);
  ASSERT_TRUE(Issue(future).ok());
  st = CheckIdentity(CertPath(a, "future"), KeyPath(a, "future"), CaCertPath(a));
  EXPECT_THAT(st.message(), HasSubstr("clock"));
  st = CheckIdentity(tmp.file("missing.crt"), KeyPath(a, "one"), "");
  EXPECT_THAT(st.message(), HasSubstr("cannot read certificate"));
}

}  // namespace
}  // namespace tandem::pki
