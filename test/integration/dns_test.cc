// tandem::dns and `tandemctl dns` against a real BIND 9 on loopback.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "dns/dns_client.h"
#include "nlohmann/json.hpp"
#include "testing/named_server.h"
#include "testing/tandemd_process.h"

namespace tandem::dns {
namespace {

using ::tandem::testing::NamedServer;

//! A UDP socket on loopback that never answers: a server that is down.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), len);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  ServerAddress address() const { return {"127.0.0.1", static_cast<uint16_t>(port_)}; }
  //! Whether any datagram arrived.
  bool Received() const {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, 0) == 1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

struct CtlResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

//! Runs tandemctl with `args` (shell-quoted by the caller).
CtlResult RunCtl(const std::string& args, const std::string& dir) {
  const std::string err_file = dir + "/ctl.err";
  std::string cmd = testing::BinaryPath("tandemctl") + " " + args + " 2>" + err_file;
  CtlResult result;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) result.out.append(buf, n);
  int status = pclose(p);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  result.err.assign(std::istreambuf_iterator<char>(in), {});
  return result;
}

class DnsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    named_ = new NamedServer();
    named_->Start();
  }
  static void TearDownTestSuite() {
    delete named_;
    named_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(named_, nullptr);
    ASSERT_TRUE(named_->running()) << "named did not start:\n" << named_->Log();
    server_ = *ParseServer(named_->address());
    key_ = *LoadTsigKey(named_->update_key_file());
  }

  SetAddressRequest Request(const std::string& name, const std::string& address,
                            uint32_t ttl = 60) const {
    SetAddressRequest r;
    r.server = server_;
    r.zone = "tandem.test";
    r.name = name;
    r.address = address;
    r.ttl = ttl;
    r.key = key_;
    return r;
  }
  //! All A and AAAA records of `name` as "TYPE ADDRESS TTL".
  std::vector<std::string> Records(const std::string& name) {
    std::vector<std::string> out;
    for (const char* type : {"A", "AAAA"}) {
      absl::StatusOr<Answer> a = client_->Lookup(server_, name, type);
      EXPECT_TRUE(a.ok()) << a.status();
      if (!a.ok()) continue;
      for (const Record& r : a->records) {
        out.push_back(std::string(type) + " " + r.address + " " + std::to_string(r.ttl));
      }
    }
    return out;
  }
  std::string Ctl(const std::string& rest) const {
    return "--dns-server " + named_->address() + " --zone tandem.test --key-file " +
           named_->update_key_file() + " " + rest;
  }

  static NamedServer* named_;
  ServerAddress server_;
  TsigKey key_;
  DnsClientPtr client_ = NewDnsClient();
};

NamedServer* DnsTest::named_ = nullptr;

// An update is visible to the next query, with its address and TTL.
TEST_F(DnsTest, SetThenLookupReturnsAddressAndTtl) {
  ASSERT_TRUE(client_->SetAddress(Request("fw-p", "198.51.100.11", 5)).ok());
  absl::StatusOr<Answer> a = client_->Lookup(server_, "fw-p.tandem.test.", "A");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->rcode, "NOERROR");
  ASSERT_EQ(a->records.size(), 1u);
  EXPECT_EQ(a->records[0].address, "198.51.100.11");
  EXPECT_EQ(a->records[0].ttl, 5u);
}

// A second set replaces the address (no second A record), and an IPv6
// address replaces the A record too.
TEST_F(DnsTest, SetReplacesEveryAddress) {
  ASSERT_TRUE(client_->SetAddress(Request("cfgmaster", "198.51.100.11")).ok());
  ASSERT_TRUE(client_->SetAddress(Request("cfgmaster", "203.0.113.11", 30)).ok());
  EXPECT_EQ(Records("cfgmaster.tandem.test"), std::vector<std::string>{"A 203.0.113.11 30"});
  ASSERT_TRUE(client_->SetAddress(Request("cfgmaster.tandem.test.", "2001:db8::11")).ok());
  EXPECT_EQ(Records("cfgmaster.tandem.test"), std::vector<std::string>{"AAAA 2001:db8::11 60"});
}

// Absolute names, names with the zone but no dot, and relative names are the same name.
TEST_F(DnsTest, RelativeAndAbsoluteNamesAreTheSame) {
  ASSERT_TRUE(client_->SetAddress(Request("fw-b", "198.51.100.12")).ok());
  ASSERT_TRUE(client_->SetAddress(Request("fw-b.tandem.test", "198.51.100.13")).ok());
  ASSERT_TRUE(client_->SetAddress(Request("FW-B.tandem.test.", "198.51.100.14")).ok());
  EXPECT_EQ(Records("fw-b.tandem.test."), std::vector<std::string>{"A 198.51.100.14 60"});
}

// A key with the right name and a wrong secret gets NOTAUTH and the operator message.
TEST_F(DnsTest, WrongSecretIsNotAuth) {
  ASSERT_TRUE(client_->SetAddress(Request("wrong", "198.51.100.1")).ok());
  SetAddressRequest r = Request("wrong", "198.51.100.2");
  r.key.secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  absl::Status s = client_->SetAddress(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "does not accept this key")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "wrong key name or secret")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "NOTAUTH")) << s;
  EXPECT_EQ(Records("wrong.tandem.test"), std::vector<std::string>{"A 198.51.100.1 60"});
}

// A key name the server does not know is NOTAUTH (BADKEY) too.
TEST_F(DnsTest, UnknownKeyNameIsNotAuth) {
  SetAddressRequest r = Request("unknown", "198.51.100.2");
  r.key.name = "nobody.";
  absl::Status s = client_->SetAddress(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "wrong key name or secret")) << s;
}

// A key the server knows but allow-update does not list is REFUSED.
TEST_F(DnsTest, UnauthorisedKeyIsRefused) {
  SetAddressRequest r = Request("refused", "198.51.100.2");
  r.key = *LoadTsigKey(named_->other_key_file());
  absl::Status s = client_->SetAddress(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "the server refused the update")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "allowed to update zone tandem.test.")) << s;
  EXPECT_TRUE(Records("refused.tandem.test").empty());
}

// A zone the server does not serve is NOTAUTH with a hint at --zone.
TEST_F(DnsTest, ZoneNotServedIsNotAuthoritative) {
  SetAddressRequest r = Request("x", "198.51.100.2");
  r.zone = "other.test";
  absl::Status s = client_->SetAddress(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not authoritative for zone other.test.")) << s;
}

// Bad input is refused before anything is sent.
TEST_F(DnsTest, BadInputSendsNothing) {
  SilentServer silent;
  SetAddressRequest r = Request("www.example.com.", "198.51.100.2");
  r.server = silent.address();
  absl::Status s = client_->SetAddress(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "outside zone tandem.test.")) << s;
  r.name = "ok";
  r.address = "198.51.100.256";
  s = client_->SetAddress(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not an IPv4 or IPv6 address")) << s;
  r.address = "198.51.100.2";
  r.name = "bad name";
  s = client_->SetAddress(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_FALSE(silent.Received());
}

// A server that does not answer times out with the message, within the timeout.
TEST_F(DnsTest, SilentServerTimesOut) {
  SilentServer silent;
  DnsClientPtr client = NewDnsClient({.timeout = absl::Seconds(1)});
  SetAddressRequest r = Request("fw-p", "198.51.100.2");
  r.server = silent.address();
  auto start = std::chrono::steady_clock::now();
  absl::Status s = client->SetAddress(r);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_TRUE(absl::StrContains(s.message(),
                                "no answer from " + silent.address().ToString() + " within 1s"))
      << s;
  EXPECT_TRUE(silent.Received());
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  auto lookup = client->Lookup(silent.address(), "fw-p.tandem.test.", "A");
  EXPECT_EQ(lookup.status().code(), absl::StatusCode::kDeadlineExceeded);
}

// A closed port (nothing listening) is the same "no answer" error.
TEST_F(DnsTest, ClosedPortTimesOut) {
  int port = testing::FreeDnsPort();
  DnsClientPtr client = NewDnsClient({.timeout = absl::Seconds(1)});
  SetAddressRequest r = Request("fw-p", "198.51.100.2");
  r.server = {"127.0.0.1", static_cast<uint16_t>(port)};
  auto start = std::chrono::steady_clock::now();
  absl::Status s = client->SetAddress(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "no answer from 127.0.0.1:")) << s;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

// A name nobody set is NXDOMAIN with no records.
TEST_F(DnsTest, LookupOfMissingNameIsNxdomain) {
  absl::StatusOr<Answer> a = client_->Lookup(server_, "nobody.tandem.test", "A");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->rcode, "NXDOMAIN");
  EXPECT_TRUE(a->records.empty());
}

// tandemctl dns set prints before and after, says "unchanged" the second
// time, and dns show -o json returns the address and TTL.
TEST_F(DnsTest, CtlSetIsIdempotentAndShowReadsBack) {
  CtlResult r = RunCtl("dns set ctl-a 198.51.100.21 --ttl 7 " + Ctl(""), named_->dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "before: no A/AAAA records (NXDOMAIN)")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "after:  A 198.51.100.21 ttl 7")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "updated ctl-a.tandem.test.")) << r.out;
  r = RunCtl("dns set ctl-a 198.51.100.21 --ttl 7 " + Ctl(""), named_->dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "unchanged")) << r.out;
  r = RunCtl("-o json dns set ctl-a 198.51.100.22 --ttl 7 " + Ctl(""), named_->dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json set = nlohmann::json::parse(r.out);
  EXPECT_EQ(set["changed"], true);
  EXPECT_EQ(set["before"][0]["address"], "198.51.100.21");
  EXPECT_EQ(set["after"][0]["address"], "198.51.100.22");

  r = RunCtl(
      "-o json dns show ctl-a.tandem.test. nobody.tandem.test --dns-server " + named_->address(),
      named_->dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json show = nlohmann::json::parse(r.out);
  ASSERT_EQ(show.size(), 2u);
  EXPECT_EQ(show[0]["records"][0]["address"], "198.51.100.22");
  EXPECT_EQ(show[0]["records"][0]["ttl"], 7);
  EXPECT_EQ(show[1]["rcode"], "NXDOMAIN");
  r = RunCtl("dns show ctl-a --zone tandem.test --dns-server " + named_->address(), named_->dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "ctl-a.tandem.test.  A     198.51.100.22  7")) << r.out;
}

// tandemctl's errors: usage mistakes exit 2, refusals and missing files exit 1.
TEST_F(DnsTest, CtlErrors) {
  CtlResult r = RunCtl("dns set www.example.com. 198.51.100.1 " + Ctl(""), named_->dir());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "is outside zone tandem.test.")) << r.err;
  r = RunCtl("dns set a 1.2.3 " + Ctl(""), named_->dir());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "not an IPv4 or IPv6 address")) << r.err;
  r = RunCtl("dns set a 198.51.100.1 --dns-server 127.0.0.1:" + std::to_string(named_->port()) +
                 " --zone tandem.test --key-file " + named_->dir() + "/missing.key",
             named_->dir());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "cannot read TSIG key file")) << r.err;
  r = RunCtl("dns set a 198.51.100.1 --dns-server 127.0.0.1:" + std::to_string(named_->port()) +
                 " --zone tandem.test --key-file " + named_->other_key_file(),
             named_->dir());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "the server refused the update")) << r.err;
  r = RunCtl("dns show a --dns-server dns.example.com", named_->dir());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "give the server's IP address")) << r.err;
}

}  // namespace
}  // namespace tandem::dns
