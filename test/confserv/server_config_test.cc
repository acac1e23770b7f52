#include "confserv/server_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tandem::confserv {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Files without [tls] get "plaintext = true" (TLS has tests of its own).
absl::StatusOr<ServerConfig> Parse(std::string text, const std::string& source = "test.toml") {
  if (text.find("[tls]") == std::string::npos) text += "\n[tls]\nplaintext = true\n";
  if (text.find("[auth]") == std::string::npos) text += "\n[auth]\nmode = \"off\"\n";
  return ParseServerConfig(text, source);
}

// A full file is read into every field.
TEST(ServerConfig, ParsesEveryKey) {
  auto c = Parse(R"(
[server]
listen = "127.0.0.1:0"
port_file = "/tmp/p"
application = "cs1"
shutdown_grace_s = 2
[storage]
backend = "sqlite"
path = "/tmp/x.db"
[history]
max_count = 50
max_age_days = 3
[log]
level = "debug"
file = "/tmp/log"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:0");
  EXPECT_EQ(c->port_file, "/tmp/p");
  EXPECT_EQ(c->application, "cs1");
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(2));
  EXPECT_EQ(c->storage_path, "/tmp/x.db");
  EXPECT_EQ(c->retention.max_count, 50);
  EXPECT_EQ(c->retention.max_age, absl::Hours(72));
  EXPECT_EQ(c->log_level, "debug");
}

// The synchronous-standby keys default to waiting 5 s and are read when given.
TEST(ServerConfig, SyncStandbyKeys) {
  using Lost = storage::PostgresOptions::OnSyncStandbyLost;
  auto d = Parse("");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->sync_commit_timeout, absl::Seconds(5));
  EXPECT_EQ(d->on_sync_standby_lost, Lost::kWait);
  auto c = Parse(R"(
[storage]
backend = "postgres"
conninfo = "dbname=tandem"
sync_commit_timeout_s = 2
on_sync_standby_lost = "degrade"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sync_commit_timeout, absl::Seconds(2));
  EXPECT_EQ(c->on_sync_standby_lost, Lost::kDegrade);
  // A password belongs in a passfile, not in the bootstrap file.
  auto pw =
      Parse("[storage]\nbackend = \"postgres\"\nconninfo = \"dbname=tandem password=s3cret\"\n");
  ASSERT_FALSE(pw.ok());
  EXPECT_THAT(pw.status().message(), HasSubstr("passfile"));
  EXPECT_THAT(pw.status().message(), Not(HasSubstr("s3cret")));
  auto w = Parse("[storage]\non_sync_standby_lost = \"wait\"\n");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->on_sync_standby_lost, Lost::kWait);
}

// The example printed by --example-config parses.
// [ha] makes the server one of an HA pair; its values are checked.
TEST(ServerConfig, HaKeys) {
  auto standalone = Parse("[server]\nlisten = \"127.0.0.1:0\"\n");
  ASSERT_TRUE(standalone.ok());
  EXPECT_FALSE(standalone->ha.enabled());
  auto c = Parse(R"([ha]
node = "cs1"
advertise = "cs1.example:9000"
lease_ms = 3000
poll_ms = 200
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->ha.enabled());
  EXPECT_EQ(c->ha.node, "cs1");
  EXPECT_EQ(c->ha.advertise, "cs1.example:9000");
  EXPECT_EQ(c->ha.lease, absl::Seconds(3));
  EXPECT_EQ(c->ha.poll, absl::Milliseconds(200));
  auto defaults = Parse("[ha]\nnode = \"cs2\"\n");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->ha.lease, absl::Milliseconds(1500));
  const std::pair<const char*, const char*> bad[] = {
      {"[ha]\nlease_ms = 1000\n", "[ha] needs node"},
      {"[ha]\nnode = \"cs 1\"\n", "must be 1-63 letters"},
      {"[ha]\nnode = \"cs1\"\nlease_ms = 100\n", "lease_ms must be between"},
      {"[ha]\nnode = \"cs1\"\npoll_ms = 600\n", "poll_ms must be at least 10 and at most"},
      {"[ha]\nnode = \"cs1\"\nadvertise = \"cs1\"\n", "must be HOST:PORT"},
      {"[ha]\nnode = \"cs1\"\nleases = 3\n", "leases"},
  };
  for (const auto& [text, expected] : bad) {
    auto r = Parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(expected), std::string::npos) << r.status();
  }
}

TEST(ServerConfig, ExampleParses) {
  auto c = Parse(ExampleServerConfig());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:9000");  // an explicit address, not 0.0.0.0
  EXPECT_FALSE(c->tls.plaintext);
  EXPECT_EQ(c->tls.ca, "/etc/tandem/pki/ca.crt");
}

// [tls]: required; files relative to the bootstrap file's folder;
// plaintext only when asked for, and not with files; reflection can be off.
TEST(ServerConfig, TlsSection) {
  auto missing = ParseServerConfig("[server]\nlisten = \"127.0.0.1:0\"\n", "/etc/t/cs.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("[tls] is missing"), std::string::npos);
  auto c = Parse(
      "[server]\nreflection = false\n[tls]\ncert = \"cs1.crt\"\nkey = \"/k/cs1.key\"\nca = "
      "\"pki/ca.crt\"\n",
      "/etc/t/cs.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tls.cert, "/etc/t/cs1.crt");
  EXPECT_EQ(c->tls.key, "/k/cs1.key");
  EXPECT_EQ(c->tls.ca, "/etc/t/pki/ca.crt");
  EXPECT_FALSE(c->reflection);
  for (const auto& [text, expect] : std::vector<std::pair<std::string, std::string>>{
           {"[tls]\ncert = \"a\"\nkey = \"b\"\n", "[tls] needs cert, key and ca"},
           {"[tls]\nplaintext = true\nca = \"x\"\n", "remove one or the other"},
           {"[tls]\nplaintext = \"yes\"\n", "[tls] plaintext must be true or false"},
           {"[tls]\ncrt = \"a\"\n", "unknown key 'crt' in [tls]"}}) {
    auto r = Parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(expect), std::string::npos)
        << text << " => " << r.status().message();
  }
}

// Bad files are refused with the file, line and what is expected.
TEST(ServerConfig, BadInputIsExplained) {
  struct Case {
    std::string text, expect;
  };
  for (const Case& c : std::vector<Case>{
           {"[server]\nlisten = 9000\n", "test.toml:2: [server] listen must be a string"},
           {"[server]\nlisten = \"nocolon\"\n", "must be HOST:PORT"},
           {"[server]\nlsiten = \"a:1\"\n", "unknown key 'lsiten' in [server]"},
           {"[srever]\n", "unknown section [srever]"},
           {"[storage]\nbackend = \"oracle\"\n", "backend 'oracle' is not supported"},
           {"[storage]\nbackend = \"postgres\"\n", "needs conninfo"},
           {"[history]\nmax_count = 0\n", "max_count must be at least 1"},
           {"[storage]\nsync_commit_timeout_s = 0\n",
            "[storage] sync_commit_timeout_s must be at least 1"},
           {"[storage]\nsync_commit_timeout_s = -3\n",
            "[storage] sync_commit_timeout_s must be at least 1"},
           {"[storage]\nsync_commit_timeout_s = \"5\"\n",
            "sync_commit_timeout_s must be an integer"},
           {"[storage]\non_sync_standby_lost = \"panic\"\n",
            "[storage] on_sync_standby_lost 'panic' is not supported; use \"wait\" or \"degrade\""},
           {"[history]\nmax_age_days = \"x\"\n", "must be an integer"},
           {"[server\n", "test.toml:1"},
           {"listen = \"a:1\"\n", "must be inside a [section]"},
       }) {
    auto r = Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << c.text << " => " << r.status().message();
  }
}

// A missing file names the file and how to get an example.
TEST(ServerConfig, MissingFile) {
  auto r = LoadServerConfig("/nonexistent/confserv.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--example-config"), std::string::npos);
}

}  // namespace
}  // namespace tandem::confserv
