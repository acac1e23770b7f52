// `tandemctl dns` parsing and validation: mistakes exit 2 with one line and
// nothing is sent (the server given is a port where nobody listens, and the
// timeout would show). The real exchanges are in test/integration/dns_test.cc.
#include <cstdlib>
#include <sstream>

#include "ctl/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::ctl {
namespace {

using ::testing::HasSubstr;

class DnsCommandsTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "tandemctl");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::istringstream in;
    out_.str("");
    err_.str("");
    return RunCli(
        static_cast<int>(argv.size()), argv.data(),
        [](const config::ClientOptions&) -> config::ConfigClientPtr { return nullptr; }, in, out_,
        err_);
  }
  std::ostringstream out_;
  std::ostringstream err_;
};

// Missing options and bad names, addresses and servers are usage errors.
TEST_F(DnsCommandsTest, UsageErrors) {
  unsetenv("TANDEM_DNS_SERVER");
  unsetenv("TANDEM_DNS_ZONE");
  unsetenv("TANDEM_DNS_KEY_FILE");
  const std::vector<std::string> common = {"--dns-server", "127.0.0.1:9", "--zone",
                                           "tandem.test",  "--key-file",  "/nonexistent.key"};
  auto set = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"dns", "set"});
    args.insert(args.end(), common.begin(), common.end());
    return Run(args);
  };
  EXPECT_EQ(Run({"dns", "set", "fw-p", "198.51.100.1"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--dns-server is required"));
  EXPECT_EQ(set({"www.example.com.", "198.51.100.1"}), 2);
  EXPECT_EQ(err_.str(),
            "tandemctl: name 'www.example.com.' is outside zone tandem.test.; give a name in the "
            "zone (relative names are taken inside it)\n");
  EXPECT_EQ(set({"fw-p", "198.51.100.999"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("is not an IPv4 or IPv6 address"));
  EXPECT_EQ(set({"fw-p", "198.51.100.1", "--ttl", "-1"}), 2);
  EXPECT_EQ(Run({"dns", "show", "fw-p", "--dns-server", "ns1.example.com"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("give the server's IP address"));
  EXPECT_EQ(Run({"dns", "show", "--dns-server", "127.0.0.1"}), 2);
  // The global --server names a configuration server: dns says what it takes.
  EXPECT_EQ(Run({"dns", "show", "fw-p", "--server", "127.0.0.1:53"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--dns-server is required"));
  EXPECT_EQ(Run({"dns", "show", "fw-p", "--dns-server", "127.0.0.1", "--server", "127.0.0.1:53"}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("'dns' does not use --server (a configuration server); it "
                                    "takes the DNS server as --dns-server"));
}

// A missing key file is reported (exit 1) before anything is sent.
TEST_F(DnsCommandsTest, MissingKeyFile) {
  EXPECT_EQ(Run({"dns", "set", "fw-p", "198.51.100.1", "--dns-server", "127.0.0.1:9", "--zone",
                 "tandem.test", "--key-file", "/nonexistent.key"}),
            1);
  EXPECT_EQ(err_.str(),
            "tandemctl: cannot read TSIG key file /nonexistent.key: No such file or directory; "
            "make one with 'tsig-keygen NAME > /nonexistent.key' and allow it in the zone's "
            "allow-update\n");
}

// The environment gives defaults; --help shows examples.
TEST_F(DnsCommandsTest, EnvironmentAndHelp) {
  setenv("TANDEM_DNS_SERVER", "127.0.0.1:9", 1);
  setenv("TANDEM_DNS_ZONE", "tandem.test", 1);
  setenv("TANDEM_DNS_KEY_FILE", "/nonexistent.key", 1);
  EXPECT_EQ(Run({"dns", "set", "fw-p", "198.51.100.1"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot read TSIG key file /nonexistent.key"));
  unsetenv("TANDEM_DNS_SERVER");
  unsetenv("TANDEM_DNS_ZONE");
  unsetenv("TANDEM_DNS_KEY_FILE");
  EXPECT_EQ(Run({"dns", "set", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("Examples:"));
  EXPECT_THAT(out_.str(), HasSubstr("TANDEM_DNS_KEY_FILE"));
  EXPECT_EQ(Run({"dns", "show", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("tandemctl dns show cfgmaster"));
}

}  // namespace
}  // namespace tandem::ctl
