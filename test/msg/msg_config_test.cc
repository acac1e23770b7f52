// `tandemd msgserver`'s bootstrap file: the example parses as documented,
// and mistakes are refused naming the file, the key and what to do.
#include "msg/msg_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tandem::msg {
namespace {

using ::testing::HasSubstr;

std::string Err(const std::string& toml) {
  return std::string(ParseMsgConfig(toml, "f.toml").status().message());
}

TEST(MsgConfigTest, TheExampleParses) {
  absl::StatusOr<MsgConfig> c = ParseMsgConfig(ExampleMsgConfig(), "example.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->application, "ms-r1");
  EXPECT_EQ(c->listen, "192.0.2.12:5100");
  EXPECT_EQ(c->masters.size(), 2u);
  EXPECT_EQ(c->takeover_after, absl::Seconds(3));
  EXPECT_EQ(c->bus.channel.max_messages, 10000u);
  EXPECT_EQ(c->bus.channel.max_age, absl::Seconds(600));
  EXPECT_EQ(c->bus.max_subscribers, 10000u);
  EXPECT_FALSE(c->tls.plaintext);
  EXPECT_FALSE(c->logdb.enabled()) << "a plain Message Server unless [logdb] is given";
}

TEST(MsgConfigTest, ALogDatabaseMakesItALogMessageServer) {
  const std::string base =
      "[msgserver]\napplication = \"lms\"\nlisten = \"127.0.0.1:5100\"\n[config]\nmasters = "
      "[\"m:9000\"]\n[tls]\nplaintext = true\n";
  absl::StatusOr<MsgConfig> c = ParseMsgConfig(
      base + "[logdb]\nsqlite = \"/var/lib/tandem/log.db\"\nmax_age_days = 7\nrate_per_app = 500\n",
      "f.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->logdb.enabled());
  EXPECT_EQ(c->logdb.store.max_age, absl::Hours(24 * 7));
  EXPECT_EQ(c->logdb.rate_per_app, 500);
  EXPECT_EQ(c->logdb.store.max_text_bytes, 16u * 1024) << "the default";
  EXPECT_THAT(Err(base + "[logdb]\nsqlite = \"a\"\npostgres = \"host=b\"\n"),
              HasSubstr("gives both sqlite and postgres"));
  EXPECT_THAT(Err(base + "[logdb]\nsqlite = \"a\"\nrate_per_app = 0\n"),
              HasSubstr("[logdb] rate_per_app is 0; it must be 1.."));
  EXPECT_THAT(Err(base + "[logdb]\nsqlit = \"a\"\n"), HasSubstr("unknown key 'sqlit' in [logdb]"));
}

TEST(MsgConfigTest, MistakesAreNamed) {
  const std::string base =
      "[msgserver]\napplication = \"ms\"\nlisten = \"127.0.0.1:5100\"\n[config]\nmasters = "
      "[\"m:9000\"]\n[tls]\nplaintext = true\n";
  ASSERT_TRUE(ParseMsgConfig(base, "f.toml").ok()) << ParseMsgConfig(base, "f.toml").status();
  EXPECT_THAT(Err(base.substr(0, base.find("[tls]"))), HasSubstr("[tls] is missing"));
  EXPECT_THAT(Err(base + "[channels]\nmax_mesages = 3\n"),
              HasSubstr("unknown key 'max_mesages' in [channels]"));
  EXPECT_THAT(Err(base + "[channels]\nmax_messages = 0\n"),
              HasSubstr("[channels] max_messages is 0; it must be 1.."));
  EXPECT_THAT(Err("[msgserver]\napplication = \"ms\"\n[config]\nmasters = [\"m:1\"]\n"),
              HasSubstr("[msgserver] listen is required as HOST:PORT"));
  EXPECT_THAT(Err("[msgserver]\nlisten = \"a:1\"\n"),
              HasSubstr("[msgserver] application is required"));
  EXPECT_THAT(Err("[msgserver]\napplication = \"ms\"\nlisten = \"a:1\"\n"),
              HasSubstr("[config] masters is required"));
  EXPECT_THAT(Err(base + "[msgserver.x]\n"), HasSubstr("unknown key 'x' in [msgserver]"));
}

}  // namespace
}  // namespace tandem::msg
