// The console's bootstrap file and its browser sessions (on simulated time).
#include <set>

#include "common/clock.h"
#include "console/console_config.h"
#include "console/session_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::console {
namespace {

using ::testing::HasSubstr;

constexpr char kTls[] = "[tls]\ncert = \"/c.crt\"\nkey = \"/c.key\"\nca = \"/ca.crt\"\n";

TEST(ConsoleConfigTest, ExampleParses) {
  absl::StatusOr<ConsoleConfig> c = ParseConsoleConfig(ExampleConsoleConfig(), "example.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:9480");
  EXPECT_EQ(c->servers.size(), 2u);
  EXPECT_EQ(c->session_idle, absl::Minutes(30));
}

TEST(ConsoleConfigTest, MistakesAreNamed) {
  const std::string servers = "[console]\nservers = [\"cs1:9000\"]\n";
  struct Case {
    std::string toml;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {servers, "[tls] is missing"},
           {"[tls]\nplaintext = true\n" + servers, "plaintext is not served by the console"},
           {kTls, "[console] servers is required"},
           {std::string(kTls) + "[console]\nservers = [\"cs1\"]\n", "cs1"},
           {std::string(kTls) + servers + "session_idle_minutes = 0\n", "session_idle_minutes"},
           {std::string(kTls) + servers + "colour = 1\n", "unknown key 'colour'"},
           {std::string(kTls) + servers + "[server]\nlisten = \"nowhere\"\n", "nowhere"},
       }) {
    absl::StatusOr<ConsoleConfig> got = ParseConsoleConfig(c.toml, "console.toml");
    ASSERT_FALSE(got.ok()) << c.toml;
    EXPECT_THAT(std::string(got.status().message()), HasSubstr(c.says)) << c.toml;
    EXPECT_THAT(std::string(got.status().message()), HasSubstr("console.toml")) << c.toml;
  }
}

TEST(SessionStoreTest, SessionsEndWhenIdleOrTheirTokenExpires) {
  SimClock clock;
  SessionStore store(clock, absl::Minutes(30), 10);
  Session s;
  s.token = "t";
  s.identity = "person alice";
  s.token_expires = clock.Now() + absl::Hours(1);
  const Session a = store.Create(s);
  EXPECT_EQ(a.id.size(), 64u);
  clock.Advance(absl::Minutes(29));
  ASSERT_TRUE(store.Find(a.id).has_value());  // used: idle time starts again
  clock.Advance(absl::Minutes(29));
  ASSERT_TRUE(store.Find(a.id).has_value());
  clock.Advance(absl::Minutes(3));  // 61 min: the token has expired
  EXPECT_FALSE(store.Find(a.id).has_value());
  const Session b = store.Create(s);  // (expires in the past now: gone at once)
  EXPECT_FALSE(store.Find(b.id).has_value());
  s.token_expires = absl::InfiniteFuture();
  const Session c = store.Create(s);
  clock.Advance(absl::Minutes(31));
  EXPECT_FALSE(store.Find(c.id).has_value());
  EXPECT_FALSE(store.Find("").has_value());
  EXPECT_FALSE(store.Find("not a session").has_value());
}

TEST(SessionStoreTest, AFullStoreEndsTheLeastRecentlyUsed) {
  SimClock clock;
  SessionStore store(clock, absl::Minutes(30), 3);
  std::vector<std::string> ids;
  std::set<std::string> distinct;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(store.Create(Session{}).id);
    distinct.insert(ids.back());
    clock.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(distinct.size(), 3u);
  ASSERT_TRUE(store.Find(ids[0]).has_value());  // ids[1] is now the least recently used
  clock.Advance(absl::Seconds(1));
  const std::string d = store.Create(Session{}).id;
  EXPECT_EQ(store.size(), 3);
  EXPECT_FALSE(store.Find(ids[1]).has_value());
  EXPECT_TRUE(store.Find(ids[0]).has_value());
  EXPECT_TRUE(store.Find(d).has_value());
  store.Remove(d);
  EXPECT_FALSE(store.Find(d).has_value());
}

}  // namespace
}  // namespace tandem::console
