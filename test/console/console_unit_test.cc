// The console's bootstrap file, its browser sessions and the Regions
// picture (on simulated time).
#include <atomic>
#include <set>

#include "common/clock.h"
#include "console/console_config.h"
#include "console/session_store.h"
#include "console/site_monitor.h"
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
           {std::string(kTls) + servers + "regions_refresh_ms = 10\n", "regions_refresh_ms"},
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

// Probes of a one-region site whose answers the test sets; the DBMS probe
// can be made to hang (a host that is gone) until released.
struct FakeSite {
  absl::Mutex mu;
  bool dbms_up = true;
  bool masters_up = true;
  bool dbms_hangs = false;
  int dbms_asked = 0;
  int64_t revision = 7;
  int masters_asked = 0;

  SiteMonitor::Probes Probes() {
    SiteMonitor::Probes p;
    p.regions = 1;
    p.part = [this](size_t, dr::StatusPart part, dr::RegionView& into) {
      into.name = "r1";
      if (part == dr::StatusPart::kDbms) {
        absl::MutexLock lock(&mu);
        ++dbms_asked;
        mu.Await(absl::Condition(
            +[](bool* hangs) { return !*hangs; }, &dbms_hangs));
        into.dbms_reachable = dbms_up;
        into.dbms_error = dbms_up ? "" : "connection timed out";
        into.dbms.config.revision = revision;
      } else if (part == dr::StatusPart::kMasters) {
        absl::MutexLock lock(&mu);
        ++masters_asked;
        dr::ServerView m;
        m.address = "198.51.100.11:9000";
        m.reachable = masters_up;
        if (masters_up) m.info.set_role(config::v1::ROLE_PRIMARY);
        into.masters = {m};
      }
    };
    p.dns = [] { return std::vector<dr::DnsView>{}; };
    p.derive = [](std::vector<dr::RegionView> regions, std::vector<dr::DnsView> dns) {
      dr::SiteView v;
      v.regions = std::move(regions);
      v.dns = std::move(dns);
      return v;
    };
    return p;
  }
  //! Lets a hanging probe return (so that the monitor can stop), even when
  //! the test ends early; declare it after the monitor.
  struct Release {
    FakeSite& site;
    ~Release() {
      absl::MutexLock lock(&site.mu);
      site.dbms_hangs = false;
    }
  };
  int Asked(int FakeSite::*counter) {
    absl::MutexLock lock(&mu);
    return this->*counter;
  }
};

TEST(SiteMonitorTest, EachPartIsAskedAgainOnItsOwnAndOnlyChangesArePublished) {
  SimClock clock;
  FakeSite site;
  SiteMonitor monitor(site.Probes(), clock, absl::Seconds(1));
  FakeSite::Release release{site};
  std::atomic<bool> stop{false};
  SiteMonitor::Snapshot first = monitor.Next(0, absl::Seconds(10), stop);
  ASSERT_EQ(first.generation, 1);
  EXPECT_TRUE(first.view["regions"][0]["dbms_reachable"].get<bool>());
  EXPECT_TRUE(first.view["regions"][0]["masters"][0]["reachable"].get<bool>());

  // Not asked again before `refresh` has passed on the clock.
  const int masters_before = site.Asked(&FakeSite::masters_asked);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(site.Asked(&FakeSite::masters_asked), masters_before);

  // The same answers again: no new picture, but a fresher `at`.
  clock.Advance(absl::Seconds(1));
  for (int i = 0; i < 100 && site.Asked(&FakeSite::masters_asked) == masters_before; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  SiteMonitor::Snapshot same = monitor.Next(1, absl::Milliseconds(500), stop);
  EXPECT_EQ(same.generation, 1);
  EXPECT_GT(same.at, first.at);

  // The region goes down: its DBMS probe hangs (a connect timeout), its
  // masters stop answering. What the masters say is published without
  // waiting for the DBMS.
  const int dbms_before = site.Asked(&FakeSite::dbms_asked);
  {
    absl::MutexLock lock(&site.mu);
    site.dbms_hangs = true;
    site.dbms_up = false;
    site.masters_up = false;
  }
  clock.Advance(absl::Seconds(1));
  SiteMonitor::Snapshot down = monitor.Next(1, absl::Seconds(10), stop);
  // (its probe has started, and hangs, before the clock moves on)
  for (int i = 0; i < 500 && site.Asked(&FakeSite::dbms_asked) == dbms_before; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(down.generation, 2);
  EXPECT_FALSE(down.view["regions"][0]["masters"][0]["reachable"].get<bool>());
  EXPECT_TRUE(down.view["regions"][0]["dbms_reachable"].get<bool>());  // not answered yet
  // Asking for longer than `overdue` (1 s): it counts as not answering.
  clock.Advance(absl::Milliseconds(1500));
  SiteMonitor::Snapshot overdue = monitor.Next(2, absl::Seconds(10), stop);
  ASSERT_EQ(overdue.generation, 3);
  EXPECT_FALSE(overdue.view["regions"][0]["dbms_reachable"].get<bool>());
  EXPECT_THAT(overdue.view["regions"][0]["dbms_error"].get<std::string>(),
              HasSubstr("no answer for 1s (still asking"));
  {
    absl::MutexLock lock(&site.mu);
    site.dbms_hangs = false;
  }
  SiteMonitor::Snapshot gone = monitor.Next(3, absl::Seconds(10), stop);
  ASSERT_EQ(gone.generation, 4);
  EXPECT_FALSE(gone.view["regions"][0]["dbms_reachable"].get<bool>());
  EXPECT_EQ(gone.view["regions"][0]["dbms_error"], "connection timed out");
}

TEST(SiteMonitorTest, NothingIsPublishedUntilEveryPartHasAnswered) {
  SimClock clock;
  FakeSite site;
  site.dbms_hangs = true;
  auto monitor = std::make_unique<SiteMonitor>(site.Probes(), clock, absl::Seconds(1));
  FakeSite::Release release{site};
  std::atomic<bool> stop{false};
  EXPECT_EQ(monitor->Next(0, absl::Milliseconds(300), stop).generation, 0);
  {
    absl::MutexLock lock(&site.mu);
    site.dbms_hangs = false;
  }
  EXPECT_EQ(monitor->Next(0, absl::Seconds(10), stop).generation, 1);
  monitor.reset();  // stops its threads
  EXPECT_GE(site.Asked(&FakeSite::dbms_asked), 1);
}

TEST(SiteMonitorTest, ThePlotsGetASampleEveryTenSeconds) {
  SimClock clock;
  FakeSite site;
  SiteMonitor monitor(site.Probes(), clock, absl::Seconds(1));
  std::atomic<bool> stop{false};
  ASSERT_EQ(monitor.Next(0, absl::Seconds(10), stop).generation, 1);
  nlohmann::json h = monitor.History();
  ASSERT_EQ(h["samples"].size(), 1u) << h.dump();
  EXPECT_EQ(h["samples"][0]["regions"]["r1"]["revision"], 7);
  {
    absl::MutexLock lock(&site.mu);
    site.revision = 9;
  }
  // Asked again (1 s) but not sampled before 10 s have passed.
  clock.Advance(absl::Seconds(2));
  ASSERT_EQ(monitor.Next(1, absl::Seconds(10), stop).generation, 2);
  EXPECT_EQ(monitor.History()["samples"].size(), 1u);
  clock.Advance(absl::Seconds(9));
  for (int i = 0; i < 100 && monitor.History()["samples"].size() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  h = monitor.History();
  ASSERT_EQ(h["samples"].size(), 2u) << h.dump();
  EXPECT_EQ(h["samples"][1]["regions"]["r1"]["revision"], 9);
  EXPECT_EQ(h["samples"][1]["at_ms"].get<int64_t>() - h["samples"][0]["at_ms"].get<int64_t>(),
            11000);
  EXPECT_EQ(h["every_s"], 10);
}

}  // namespace
}  // namespace tandem::console
