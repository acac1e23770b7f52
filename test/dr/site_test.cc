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
