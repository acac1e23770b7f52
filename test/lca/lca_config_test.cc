// The LCA's bootstrap file: the host's services ([[lca.service]]) and the
// errors that say what is wrong with them.
#include "lca/lca_config.h"

#include <gtest/gtest.h>

namespace tandem::lca {
namespace {

constexpr char kBase[] = R"([lca]
host = "h1"
listen = "192.0.2.21:4999"
application = "lca-h1"
[config]
servers = ["192.0.2.30:9100"]
[tls]
cert = "/etc/tandem/lca.crt"
key = "/etc/tandem/lca.key"
ca = "/etc/tandem/ca.crt"
)";

absl::StatusOr<LcaConfig> Parse(const std::string& services) {
  return ParseLcaConfig(std::string(kBase) + services, "lca.toml");
}

TEST(LcaConfigTest, ServicesAreParsed) {
  auto c = Parse(R"(
[[lca.service]]
application = "confserv"
command_line = "/usr/bin/tandemd"
arguments = ["confserv", "-f", "/etc/tandem/confserv.toml"]
os_user = "tandem"
environment = { HOME = "/var/lib/tandem", LANG = "C" }
working_directory = "/var/lib/tandem"

[[lca.service]]
application = "scs"
command_line = "/usr/bin/tandemd"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->services.size(), 2u);
  const auto& cs = c->services[0];
  EXPECT_EQ(cs.application(), "confserv");
  EXPECT_EQ(cs.command_line(), "/usr/bin/tandemd");
  ASSERT_EQ(cs.arguments_size(), 3);
  EXPECT_EQ(cs.arguments(2), "/etc/tandem/confserv.toml");
  EXPECT_EQ(cs.os_user(), "tandem");
  EXPECT_EQ(cs.environment().at("LANG"), "C");
  EXPECT_EQ(cs.working_directory(), "/var/lib/tandem");
  EXPECT_EQ(cs.dbid(), 0) << "a service comes from the file, not from an object";
  EXPECT_EQ(c->services[1].arguments_size(), 0);
  EXPECT_TRUE(Parse("").ok());
  EXPECT_TRUE(Parse("")->services.empty());
}

TEST(LcaConfigTest, BadServicesSayWhatIsWrong) {
  struct Case {
    const char* toml;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"[[lca.service]]\ncommand_line = \"/bin/x\"\n",
            "application and command_line are required"},
           {"[[lca.service]]\napplication = \"a\"\n", "application and command_line are required"},
           {"[[lca.service]]\napplication = \"a\"\ncommand_line = \"/bin/x\"\narguments = \"-v\"\n",
            "arguments must be a list of strings"},
           {"[[lca.service]]\napplication = \"a\"\ncommand_line = \"/bin/x\"\narguments = [1]\n",
            "arguments must be a list of strings"},
           {"[[lca.service]]\napplication = \"a\"\ncommand_line = \"/bin/x\"\nenvironment = { A = "
            "1 }\n",
            "environment.A must be a string"},
           {"[[lca.service]]\napplication = \"a\"\ncommand_line = \"/bin/x\"\nrestart = true\n",
            "unknown key 'restart'"},
           {"[[lca.service]]\napplication = 7\ncommand_line = \"/bin/x\"\n",
            "application must be a string"},
           {"[[lca.service]]\napplication = \"a\"\ncommand_line = \"/bin/x\"\n"
            "[[lca.service]]\napplication = \"a\"\ncommand_line = \"/bin/y\"\n",
            "service a is listed twice"},
       }) {
    auto r = Parse(c.toml);
    ASSERT_FALSE(r.ok()) << c.toml;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << c.toml << " -> " << r.status().message();
    EXPECT_NE(r.status().message().find("lca.toml"), std::string::npos) << "names the file";
  }
}

}  // namespace
}  // namespace tandem::lca
