// libtandem against real servers: the cache follows a master or a proxy
// pair, resumes after a restart without reloading, reloads when the history
// diverged, fails over between proxies, reports limited mode, and 100
// clients reconnecting at once all catch up.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "tandem/client/tandem_client.h"
#include "testing/config_ops.h"
#include "testing/csproxy_process.h"
#include "testing/tandemd_process.h"
#include "testing/test_pki.h"

namespace tandem {
namespace {

namespace v1 = config::v1;
using client::ClientState;
using client::Health;
using client::TandemClient;
using testing::TandemdProcess;

int64_t AddHost(const TandemdProcess& master, const std::string& name) {
  int64_t revision = -1;
  return testing::CreateHost(master, name, &revision).ok() ? revision : -1;
}

client::ClientOptions Options(std::vector<std::string> servers) {
  client::ClientOptions o;
  o.servers = std::move(servers);
  o.application = "client-test";
  o.types = {v1::OBJECT_TYPE_HOST};
  o.max_backoff = absl::Milliseconds(500);
  o.health_interval = absl::Milliseconds(200);
  o.tls = testing::TestPki::Get().Trust();
  return o;
}

// Records every state the client reports.
struct StateLog {
  std::mutex mu;
  std::vector<ClientState> states;
  client::TandemClient::StateCallback Callback() {
    return [this](const ClientState& s) {
      std::lock_guard<std::mutex> l(mu);
      states.push_back(s);
    };
  }
  bool Saw(Health h) {
    std::lock_guard<std::mutex> l(mu);
    for (const auto& s : states) {
      if (s.health == h) return true;
    }
    return false;
  }
};

bool WaitHealth(TandemClient& c, Health h, int seconds) {
  for (int i = 0; i < seconds * 50; ++i) {
    if (c.state().health == h) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

TEST(TandemClient, RejectsBadOptions) {
  EXPECT_FALSE(TandemClient::Start(Options({})).ok());
  EXPECT_FALSE(TandemClient::Start(Options({"no-port"})).ok());
  auto o = Options({"127.0.0.1:1"});
  o.application.clear();
  EXPECT_FALSE(TandemClient::Start(o).ok());
}

// The cache loads, follows changes in order and calls back.
TEST(TandemClient, FollowsTheServer) {
  TandemdProcess master;
  master.Start();
  ASSERT_GT(AddHost(master, "before"), 0);
  std::mutex mu;
  std::vector<std::string> seen;
  auto c = TandemClient::Start(Options({master.address()}), [&](const client::ObjectChange& ch) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back(ch.object.name());
  });
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->WaitReady(absl::Seconds(10)));
  EXPECT_TRUE((*c)->Find(v1::OBJECT_TYPE_HOST, "before").has_value());
  const int64_t rev = AddHost(master, "after");
  ASSERT_TRUE((*c)->WaitForRevision(rev, absl::Seconds(5)));
  auto after = (*c)->Find(v1::OBJECT_TYPE_HOST, "after");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->revision(), rev);
  EXPECT_EQ((*c)->All(v1::OBJECT_TYPE_HOST).size(), 2u);
  EXPECT_EQ((*c)->state().health, Health::kHealthy);
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(seen, std::vector<std::string>{"after"});
}

// The server restarts (same database, same address): the client says it is
// reconnecting, keeps serving its cache, and resumes from its revision.
TEST(TandemClient, ResumesAfterRestartWithoutReload) {
  testing::TandemdOptions o;
  o.listen = absl::StrCat("127.0.0.1:", testing::FreePort());
  TandemdProcess master(o);
  master.Start();
  ASSERT_GT(AddHost(master, "h1"), 0);
  StateLog log;
  auto c = TandemClient::Start(Options({master.address()}), nullptr, log.Callback());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->WaitReady(absl::Seconds(10)));
  master.Kill();
  ASSERT_TRUE(WaitHealth(**c, Health::kReconnecting, 10));
  EXPECT_NE((*c)->state().detail.find("no configuration server reachable since"), std::string::npos)
      << (*c)->state().detail;
  EXPECT_TRUE((*c)->Find(v1::OBJECT_TYPE_HOST, "h1").has_value());  // served from the cache
  master.Start();
  const int64_t rev = AddHost(master, "h2");
  ASSERT_TRUE((*c)->WaitForRevision(rev, absl::Seconds(10))) << (*c)->state().detail;
  EXPECT_TRUE((*c)->Find(v1::OBJECT_TYPE_HOST, "h2").has_value());
  EXPECT_EQ((*c)->state().reloads, 0);
  EXPECT_GE((*c)->state().reconnects, 1);
  EXPECT_TRUE(WaitHealth(**c, Health::kHealthy, 5));
}

// A server with another history (a fresh database at the same address): the
// client reloads and ends with exactly that server's objects.
TEST(TandemClient, ReloadsWhenTheHistoryDiverged) {
  const std::string listen = absl::StrCat("127.0.0.1:", testing::FreePort());
  testing::TandemdOptions o;
  o.listen = listen;
  auto first = std::make_unique<TandemdProcess>(o);
  first->Start();
  for (int i = 0; i < 5; ++i) ASSERT_GT(AddHost(*first, absl::StrCat("old", i)), 0);
  // What the application is told: after the reload, the new hosts (at the
  // old ones' DBIDs: updated, or created), though no Watch carried them.
  std::mutex mu;
  std::map<std::string, v1::ChangeKind> told;
  auto c = TandemClient::Start(Options({first->address()}), [&](const client::ObjectChange& ch) {
    std::lock_guard<std::mutex> l(mu);
    told[ch.object.name()] = ch.kind;
  });
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->WaitReady(absl::Seconds(10)));
  first.reset();  // killed, its database gone with it
  TandemdProcess second(o);
  second.Start();
  int64_t rev = 0;
  for (int i = 0; i < 7; ++i) rev = AddHost(second, absl::StrCat("new", i));
  ASSERT_TRUE((*c)->WaitForRevision(rev, absl::Seconds(10)));
  for (int i = 0; i < 50 && (*c)->state().reloads == 0; ++i) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ((*c)->state().reloads, 1);
  auto all = (*c)->All(v1::OBJECT_TYPE_HOST);
  ASSERT_EQ(all.size(), 7u);
  for (const auto& h : all) EXPECT_EQ(h.name().rfind("new", 0), 0u) << h.name();
  std::lock_guard<std::mutex> l(mu);
  for (int i = 0; i < 7; ++i) {
    EXPECT_NE(told.count(absl::StrCat("new", i)), 0u) << i;
    EXPECT_NE(told[absl::StrCat("new", i)], v1::CHANGE_KIND_DELETED) << i;
  }
}

// Through a proxy pair: losing one proxy moves the client to the other;
// losing the master puts the proxy, and so the client, in limited mode.
TEST(TandemClient, FailsOverBetweenProxiesAndReportsLimitedMode) {
  testing::TandemdOptions mo;
  mo.listen = absl::StrCat("127.0.0.1:", testing::FreePort());
  TandemdProcess master(mo);
  master.Start();
  ASSERT_GT(AddHost(master, "h1"), 0);
  testing::CsProxyOptions po;
  po.masters = {master.address()};
  testing::CsProxyProcess p1(po), p2(po);
  p1.Start();
  p2.Start();
  ASSERT_TRUE(p1.WaitForMode(v1::PROXY_MODE_NORMAL, 10));
  ASSERT_TRUE(p2.WaitForMode(v1::PROXY_MODE_NORMAL, 10));
  StateLog log;
  auto c = TandemClient::Start(Options({p1.address(), p2.address()}), nullptr, log.Callback());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->WaitReady(absl::Seconds(10)));
  EXPECT_EQ((*c)->state().server, p1.address());
  p1.Kill();
  int64_t rev = AddHost(master, "h2");
  ASSERT_TRUE((*c)->WaitForRevision(rev, absl::Seconds(10))) << (*c)->state().detail;
  EXPECT_EQ((*c)->state().server, p2.address());
  EXPECT_EQ((*c)->state().reloads, 0);

  master.Kill();
  ASSERT_TRUE(WaitHealth(**c, Health::kLimited, 15)) << (*c)->state().detail;
  EXPECT_NE((*c)->state().detail.find("limited mode"), std::string::npos);
  EXPECT_TRUE((*c)->Find(v1::OBJECT_TYPE_HOST, "h2").has_value());
  master.Start();
  ASSERT_TRUE(WaitHealth(**c, Health::kHealthy, 15)) << (*c)->state().detail;
  rev = AddHost(master, "h3");
  ASSERT_TRUE((*c)->WaitForRevision(rev, absl::Seconds(10)));
}

// 100 clients of one server that restarts: all reconnect and catch up.
TEST(TandemClient, HundredClientsReconnectAtOnce) {
  testing::TandemdOptions o;
  o.listen = absl::StrCat("127.0.0.1:", testing::FreePort());
  TandemdProcess master(o);
  master.Start();
  ASSERT_GT(AddHost(master, "h0"), 0);
  std::vector<std::unique_ptr<TandemClient>> clients;
  for (int i = 0; i < 100; ++i) {
    auto c = TandemClient::Start(Options({master.address()}));
    ASSERT_TRUE(c.ok());
    clients.push_back(std::move(*c));
  }
  for (auto& c : clients) ASSERT_TRUE(c->WaitReady(absl::Seconds(20)));
  master.Kill();
  master.Start();
  const int64_t rev = AddHost(master, "h1");
  int caught_up = 0;
  for (auto& c : clients) caught_up += c->WaitForRevision(rev, absl::Seconds(20)) ? 1 : 0;
  EXPECT_EQ(caught_up, 100);
  int reloads = 0;
  for (auto& c : clients) reloads += static_cast<int>(c->state().reloads);
  EXPECT_EQ(reloads, 0);
}

}  // namespace
}  // namespace tandem
