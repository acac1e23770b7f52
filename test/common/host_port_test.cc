// HOST:PORT as operators write it: accepted forms and the errors for the rest.
#include "common/host_port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tandem {
namespace {

using ::testing::HasSubstr;

TEST(HostPort, AcceptsNamesIPv4AndBracketedIPv6) {
  auto a = ParseHostPort("cs1.tandem.test:9000", "--server");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "cs1.tandem.test");
  EXPECT_EQ(a->port, 9000);
  auto b = ParseHostPort("[2001:db8::1]:9000", "--server");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "2001:db8::1");
  EXPECT_EQ(b->ToString(), "[2001:db8::1]:9000");
  EXPECT_TRUE(ParseHostPort("127.0.0.1:0", "listen", /*allow_port_zero=*/true).ok());
}

TEST(HostPort, ErrorsSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c :
       {Case{"", "it is empty"}, Case{"host", "the port is missing"},
        Case{":9000", "the host is missing"}, Case{"127.0.0.1:abc", "not a number 1..65535"},
        Case{"127.0.0.1:70000", "not a number 1..65535"},
        Case{"127.0.0.1:0", "not a number 1..65535"}, Case{"::1:9000", "brackets"},
        Case{"a b:1", "space"}}) {
    auto r = ParseHostPort(c.text, "--server");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_THAT(r.status().message(), HasSubstr("expected HOST:PORT")) << c.text;
    EXPECT_THAT(r.status().message(), HasSubstr(c.why)) << c.text;
  }
}

}  // namespace
}  // namespace tandem
