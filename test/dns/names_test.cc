#include "dns/names.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace tandem::dns {
namespace {

// Server addresses: numeric IPv4/IPv6 with an optional port, never names.
TEST(NamesTest, ParseServer) {
  EXPECT_EQ(ParseServer("192.0.2.53")->ToString(), "192.0.2.53:53");
  EXPECT_EQ(ParseServer("127.0.0.1:5353")->port, 5353);
  EXPECT_EQ(ParseServer("[2001:db8::53]:5353")->ToString(), "[2001:db8::53]:5353");
  EXPECT_EQ(ParseServer("[::1]")->port, 53);
  EXPECT_EQ(ParseServer("::1")->host, "::1");
  for (const char* bad : {"", "dns.example.com", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000",
                          "[::1", "[::1]x", "1.2.3.4:x"}) {
    EXPECT_FALSE(ParseServer(bad).ok()) << bad;
  }
}

// Names inside the zone: absolute, with the zone but no dot, or relative.
TEST(NamesTest, NameInZone) {
  EXPECT_EQ(*NameInZone("fw-p", "tandem.test"), "fw-p.tandem.test.");
  EXPECT_EQ(*NameInZone("fw-p.tandem.test", "tandem.test."), "fw-p.tandem.test.");
  EXPECT_EQ(*NameInZone("FW-P.Tandem.Test.", "tandem.test"), "fw-p.tandem.test.");
  EXPECT_EQ(*NameInZone("a.b", "tandem.test"), "a.b.tandem.test.");
  EXPECT_EQ(*NameInZone("tandem.test", "tandem.test"), "tandem.test.");
  absl::StatusOr<std::string> out = NameInZone("www.example.com.", "tandem.test");
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::StrContains(out.status().message(), "outside zone tandem.test."))
      << out.status();
  EXPECT_FALSE(NameInZone("xtandem.test.", "tandem.test").ok());
  EXPECT_FALSE(NameInZone("a..b", "tandem.test").ok());
  EXPECT_FALSE(NameInZone("bad name", "tandem.test").ok());
  EXPECT_FALSE(NameInZone(std::string(64, 'a'), "tandem.test").ok());
  EXPECT_FALSE(NameInZone("", "tandem.test").ok());
  EXPECT_FALSE(NameInZone("a", "bad zone").ok());
}

// Addresses are validated and put in canonical form.
TEST(NamesTest, ParseAddress) {
  EXPECT_EQ(ParseAddress("198.51.100.11")->family, Family::kIPv4);
  EXPECT_EQ(ParseAddress("2001:DB8:0::11")->text, "2001:db8::11");
  EXPECT_EQ(ParseAddress("2001:db8::11")->family, Family::kIPv6);
  for (const char* bad : {"", "198.51.100.256", "1.2.3", "fw-p", "2001:db8::g"}) {
    EXPECT_FALSE(ParseAddress(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tandem::dns
