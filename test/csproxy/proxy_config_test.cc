#include "csproxy/proxy_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tandem::csproxy {
namespace {

using ::testing::HasSubstr;

// Files without [tls] get "plaintext = true" (TLS is tested in ServerConfig).
absl::StatusOr<ProxyConfig> Parse(std::string text, const std::string& source) {
  if (text.find("[tls]") == std::string::npos) text += "\n[tls]\nplaintext = true\n";
  if (text.find("[auth]") == std::string::npos) text += "\n[auth]\nmode = \"off\"\n";
  return ParseProxyConfig(text, source);
}

// A complete file sets every field.
TEST(ProxyConfig, ParsesEveryKey) {
  auto c = Parse(R"(
[server]
listen = "127.0.0.1:0"
port_file = "/tmp/p"
application = "csproxy-r1"
shutdown_grace_s = 3
[proxy]
masters = ["cs1.example:9000", "cs2.example:9000"]
reconnect_max_backoff_s = 7
history_max_count = 50
reload_stagger_max_ms = 0
forward_threads = 4
[log]
level = "debug"
file = "/tmp/log"
)",
                 "p.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:0");
  EXPECT_EQ(c->port_file, "/tmp/p");
  EXPECT_EQ(c->application, "csproxy-r1");
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(3));
  EXPECT_EQ(c->masters, (std::vector<std::string>{"cs1.example:9000", "cs2.example:9000"}));
  EXPECT_EQ(c->reconnect_max_backoff, absl::Seconds(7));
  EXPECT_EQ(c->history_max_count, 50);
  EXPECT_EQ(c->reload_stagger_max, absl::ZeroDuration());
  EXPECT_EQ(c->forward_threads, 4);
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->log_file, "/tmp/log");
}

// The printed example parses and names two masters.
TEST(ProxyConfig, ExampleParses) {
  auto c = Parse(ExampleProxyConfig(), "example");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->masters.size(), 2u);
  EXPECT_EQ(c->history_max_count, 100000);
}

// Errors name the file, line and key and say what is expected.
TEST(ProxyConfig, ErrorsNameTheKey) {
  struct Case {
    const char* toml;
    const char* expect;
  };
  const Case cases[] = {
      {"[server]\nlisten = \"x:1\"\n", "[proxy] masters is required"},
      {"[proxy]\nmasters = \"cs1:9000\"\n", "p.toml:2: [proxy] masters must be a list of strings"},
      {"[proxy]\nmasters = [1]\n", "[proxy] masters must be a list of strings"},
      {"[proxy]\nmasters = [\"cs1\"]\n", "[proxy] masters: 'cs1' must be HOST:PORT"},
      {"[proxy]\nmasters = [\"cs1:90x\"]\n", "must be HOST:PORT"},
      {"[proxy]\nmasters = [\"a:1\"]\nmaster = 1\n", "unknown key 'master' in [proxy]"},
      {"[proxy]\nmasters = [\"a:1\"]\nhistory_max_count = 0\n",
       "history_max_count must be at least 1"},
      {"[proxy]\nmasters = [\"a:1\"]\nreconnect_max_backoff_s = 0\n", "reconnect_max_backoff_s"},
      {"[proxy]\nmasters = [\"a:1\"]\nforward_threads = 0\n", "forward_threads"},
      {"[proxy]\nmasters = [\"a:1\"]\nreload_stagger_max_ms = -1\n", "reload_stagger_max_ms"},
      {"[proxy]\nmasters = [\"a:1\"]\n[server]\nlisten = \"nohost\"\n", "[server] listen 'nohost'"},
      {"[proxy]\nmasters = [\"a:1\"]\n[storage]\npath = \"x\"\n", "unknown section [storage]"},
      {"[proxy]\nmasters = [\"a:1\"]\nhistory_max_count = \"many\"\n", "must be an integer"},
      {"[proxy\n", "p.toml:1"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.toml, "p.toml");
    ASSERT_FALSE(r.ok()) << c.toml;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.expect)) << c.toml;
  }
}

// A missing file points at --example-config.
TEST(ProxyConfig, MissingFile) {
  auto r = LoadProxyConfig("/nonexistent/csproxy.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("--example-config"));
}

}  // namespace
}  // namespace tandem::csproxy
