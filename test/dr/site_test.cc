// The disaster-recovery site file: what it must hold, and errors that name
// the line and key.
#include "dr/site.h"

#include <gtest/gtest.h>

namespace tandem::dr {
namespace {

constexpr char kSite[] = R"([dns]
server = "192.0.2.53"
zone = "tandem.test."
key_file = "/etc/tandem/tsig.key"
names = ["fw-p", "fw-b", "cfgmaster"]

[regions.r2]
dbms = "host=203.0.113.10 dbname=tandem"
masters = ["203.0.113.11:9000", "203.0.113.12:9000"]

[regions.r1]
dbms = "host=198.51.100.10 dbname=tandem"
masters = ["198.51.100.11:9000", "198.51.100.12:9000"]
proxies = ["198.51.100.21:9100"]
scs = ["198.51.100.11:4998", "198.51.100.21:4998"]
message_servers = ["198.51.100.11:4997", "198.51.100.21:4996"]
)";

TEST(Site, ParsesRegionsInFileOrder) {
  auto site = ParseSite(kSite, "site.toml");
  ASSERT_TRUE(site.ok()) << site.status();
  EXPECT_EQ(site->dns_server, "192.0.2.53");
  EXPECT_EQ(site->names.size(), 3u);
  ASSERT_EQ(site->regions.size(), 2u);
  EXPECT_EQ(site->regions[0].name, "r2");  // as written, not sorted
  EXPECT_EQ(site->regions[1].masters[1], "198.51.100.12:9000");
  EXPECT_TRUE(site->regions[0].proxies.empty());
  EXPECT_EQ(site->regions[1].proxies.size(), 1u);
  EXPECT_TRUE(site->regions[0].scs.empty()) << "scs is optional";
  ASSERT_EQ(site->regions[1].scs.size(), 2u);
  EXPECT_EQ(site->regions[1].scs[1], "198.51.100.21:4998");
  EXPECT_TRUE(site->regions[0].message_servers.empty()) << "message_servers is optional";
  ASSERT_EQ(site->regions[1].message_servers.size(), 2u);
  EXPECT_EQ(site->regions[1].message_servers[1], "198.51.100.21:4996");
}

constexpr char kSiteWithHosts[] = R"([dns]
server = "192.0.2.53"
zone = "tandem.test."
key_file = "/etc/tandem/tsig.key"
names = ["fw-p", "cfgmaster"]
ttl = 7

[regions.r1]
dbms = "host=198.51.100.10 dbname=tandem"
masters = ["198.51.100.11:9000"]
addresses = { cfgmaster = "198.51.100.11", fw-p = "198.51.100.11" }
dbms_host = "r1-dbms"
framework_hosts = ["r1-fw-p"]

[regions.r2]
dbms = "host=203.0.113.10 dbname=tandem"
masters = ["203.0.113.11:9000"]

[hosts.r1-dbms]
fence = "ssh r1-dbms tandemctl db fence --method nft --port 5432 --from $TANDEM_FENCE_FROM"
rebuild = "ssh r1-dbms /usr/local/sbin/rebuild-standby"

[hosts.r1-fw-p]
start = "virsh start r1-fw-p"
stop = "virsh destroy r1-fw-p"
)";

TEST(Site, ParsesHostCommandsAndAddresses) {
  auto site = ParseSite(kSiteWithHosts, "site.toml");
  ASSERT_TRUE(site.ok()) << site.status();
  EXPECT_EQ(site->ttl, 7u);
  const Region* r1 = site->FindRegion("r1");
  ASSERT_NE(r1, nullptr);
  EXPECT_EQ(site->FindRegion("r3"), nullptr);
  // In [dns] names order, whatever the table's order.
  ASSERT_EQ(r1->addresses.size(), 2u);
  EXPECT_EQ(r1->addresses[0].first, "fw-p");
  EXPECT_EQ(r1->addresses[1].second, "198.51.100.11");
  EXPECT_EQ(r1->dbms_host, "r1-dbms");
  ASSERT_NE(site->FindHost("r1-fw-p"), nullptr);
  EXPECT_EQ(site->FindHost("r1-fw-p")->stop, "virsh destroy r1-fw-p");
  EXPECT_TRUE(site->FindHost("r1-dbms")->start.empty());
  EXPECT_EQ(site->FindHost("r2-dbms"), nullptr);
  EXPECT_TRUE(site->FindRegion("r2")->addresses.empty());
}

TEST(Site, BadHostCommandsAreExplained) {
  const std::string base(kSiteWithHosts);
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::pair<std::string, std::string> bad[] = {
      {replace("dbms_host = \"r1-dbms\"", "dbms_host = \"r9-dbms\""),
       "names host 'r9-dbms', which has no [hosts.r9-dbms] entry"},
      {replace("start = \"virsh", "boot = \"virsh"), "unknown key 'boot' in [hosts.r1-fw-p]"},
      {replace("cfgmaster = \"198.51.100.11\", ", ""), "addresses needs cfgmaster"},
      {replace("fw-p = \"198.51.100.11\" }", "fw-p = \"198.51.100.11\", x = \"1.2.3.4\" }"),
       "not in [dns] names"},
      {replace("ttl = 7", "ttl = 0"), "[dns] ttl must be an integer number of seconds"},
      {replace("stop = \"virsh destroy r1-fw-p\"", "stop = 3"),
       "[hosts.r1-fw-p] stop must be a string"},
  };
  for (const auto& [text, expected] : bad) {
    auto site = ParseSite(text, "site.toml");
    ASSERT_FALSE(site.ok()) << text;
    EXPECT_NE(site.status().message().find(expected), std::string::npos) << site.status();
  }
}

TEST(Site, BadFilesAreExplained) {
  const std::pair<std::string, std::string> bad[] = {
      {"[dns]\nserver = 1\n", "[dns] server must be a string"},
      {"[regions.r1]\ndbms = \"x\"\nmasters = [\"a:1\"]\n", "[dns] is missing"},
      {std::string(kSite) + "[other]\n", "unknown key 'other'"},
      {"[dns]\nserver = \"s\"\nzone = \"z\"\nkey_file = \"k\"\nnames = [\"a\"]\n"
       "[regions.r1]\ndbms = \"x\"\nmasters = [\"a:1\"]\n",
       "give two regions"},
      {"[dns]\nserver = \"s\"\nzone = \"z\"\nkey_file = \"k\"\nnames = []\n", "non-empty list"},
      {"[dns\n", "site.toml:1"},
  };
  for (const auto& [text, expected] : bad) {
    auto site = ParseSite(text, "site.toml");
    ASSERT_FALSE(site.ok()) << text;
    EXPECT_NE(site.status().message().find(expected), std::string::npos) << site.status();
  }
  EXPECT_EQ(LoadSite("/nonexistent/site.toml").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tandem::dr
