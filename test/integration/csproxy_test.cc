// Integration tests of `tandemd csproxy` against real `tandemd confserv`
// masters on loopback: full copy, following changes, writes through the
// proxy, limited mode, reconnect, reload after a diverged history, many
// clients at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/client_context.h"
#include "testing/csproxy_process.h"
#include "testing/netns.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

using testing::CsProxyOptions;
using testing::CsProxyProcess;
using testing::FreePort;
using ::testing::HasSubstr;
using testing::TandemdOptions;
using testing::TandemdProcess;
namespace v1 = config::v1;
using Stub = v1::ConfigService::Stub;

constexpr auto kDeadline = std::chrono::seconds(10);

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + kDeadline;
}

v1::ConfigObject Host(const std::string& name, const std::string& address = "192.0.2.1") {
  v1::ConfigObject o;
  o.set_type(v1::OBJECT_TYPE_HOST);
  o.set_name(name);
  (*o.mutable_properties())["address"].set_string_value(address);
  return o;
}

// Registers as `app` and returns the session id ("" on failure).
// wait_for_ready: a failed connect is retried until the deadline.
std::string Register(Stub& stub, const std::string& app, bool wait_for_ready = false) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  ctx.set_wait_for_ready(wait_for_ready);
  v1::RegisterRequest req;
  req.set_application_name(app);
  v1::RegisterResponse resp;
  grpc::Status st = stub.Register(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp.session_id();
}

grpc::Status CreateHost(Stub& stub, const std::string& name, v1::CreateResponse* resp = nullptr,
                        const std::string& session = "") {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  if (!session.empty()) ctx.AddMetadata("x-tandem-session", session);
  v1::CreateRequest req;
  *req.mutable_object() = Host(name);
  v1::CreateResponse ignored;
  return stub.Create(&ctx, req, resp != nullptr ? resp : &ignored);
}

grpc::Status GetHost(Stub& stub, const std::string& name, v1::GetResponse* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::GetRequest req;
  req.set_type(v1::OBJECT_TYPE_HOST);
  req.set_name(name);
  return stub.Get(&ctx, req, resp);
}

v1::ServerInfo Info(Stub& stub) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::ServerInfo info;
  grpc::Status st = stub.GetServerInfo(&ctx, v1::ServerInfoRequest(), &info);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return info;
}

// Every object of every type and the revision of the listing.
struct Everything {
  std::vector<v1::ConfigObject> objects;
  std::vector<int64_t> revisions;
};

Everything ListEverything(Stub& stub) {
  Everything all;
  for (int t = 1; v1::ObjectType_IsValid(t); ++t) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    v1::ListRequest req;
    req.set_type(static_cast<v1::ObjectType>(t));
    auto reader = stub.List(&ctx, req);
    v1::ListResponse resp;
    int64_t revision = -1;
    while (reader->Read(&resp)) {
      for (const auto& o : resp.objects()) all.objects.push_back(o);
      revision = resp.revision();
    }
    grpc::Status st = reader->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
    all.revisions.push_back(revision);
  }
  return all;
}

// The proxy's full listing equals the master's: same objects, same revision.
void ExpectSameConfiguration(Stub& proxy, Stub& master) {
  Everything p = ListEverything(proxy);
  Everything m = ListEverything(master);
  EXPECT_EQ(p.revisions, m.revisions);
  ASSERT_EQ(p.objects.size(), m.objects.size());
  for (size_t i = 0; i < p.objects.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(p.objects[i], m.objects[i]))
        << p.objects[i].ShortDebugString() << "\nvs\n"
        << m.objects[i].ShortDebugString();
  }
  v1::ServerInfo pi = Info(proxy);
  v1::ServerInfo mi = Info(master);
  EXPECT_EQ(pi.revision(), mi.revision());
  EXPECT_EQ(pi.revision_hash(), mi.revision_hash());
  EXPECT_EQ(pi.history_id(), mi.history_id());
  EXPECT_EQ(pi.object_count(), mi.object_count());
}

// Waits until the proxy is at the master's revision and lineage.
bool WaitCaughtUp(Stub& proxy, Stub& master, int seconds = 15) {
  for (int i = 0; i < seconds * 50; ++i) {
    v1::ServerInfo mi = Info(master);
    v1::ServerInfo pi = Info(proxy);
    if (pi.proxy_mode() == v1::PROXY_MODE_NORMAL && pi.revision() == mi.revision() &&
        pi.history_id() == mi.history_id()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A watch stream on a background thread, collecting changes until it ends.
class Watcher {
 public:
  Watcher(std::shared_ptr<grpc::Channel> channel, int64_t from) {
    stub_ = v1::ConfigService::NewStub(std::move(channel));
    thread_ = std::thread([this, from] {
      v1::WatchRequest req;
      req.set_from_revision(from);
      auto reader = stub_->Watch(&ctx_, req);
      v1::WatchResponse resp;
      while (reader->Read(&resp)) {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& c : resp.changes()) changes_.push_back(c);
        ++messages_;
      }
      grpc::Status st = reader->Finish();
      std::lock_guard<std::mutex> lock(mu_);
      status_ = st;
      ended_ = true;
    });
  }
  ~Watcher() {
    ctx_.TryCancel();
    thread_.join();
  }
  //! Waits until the stream delivered a change with `revision` (or ended).
  bool WaitFor(int64_t revision, int seconds = 10) {
    for (int i = 0; i < seconds * 100; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!changes_.empty() && changes_.back().revision() >= revision) return true;
        if (ended_) return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  bool WaitConnected(int seconds = 10) {
    for (int i = 0; i < seconds * 100; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (messages_ > 0 || ended_) return messages_ > 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  bool WaitEnded(grpc::Status* status, int seconds = 10) {
    for (int i = 0; i < seconds * 100; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (ended_) {
          *status = status_;
          return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  std::vector<v1::Change> changes() {
    std::lock_guard<std::mutex> lock(mu_);
    return changes_;
  }

 private:
  std::unique_ptr<Stub> stub_;
  grpc::ClientContext ctx_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<v1::Change> changes_;
  int messages_ = 0;
  bool ended_ = false;
  grpc::Status status_;
};

std::string Addr(int port) { return "127.0.0.1:" + std::to_string(port); }

TandemdOptions ListeningOn(int port) {
  TandemdOptions o;
  o.listen = Addr(port);
  return o;
}

CsProxyOptions Following(std::vector<std::string> masters) {
  CsProxyOptions o;
  o.masters = std::move(masters);
  return o;
}

// The proxy loads the master's whole configuration, follows its changes
// (a watcher on the proxy sees them), and a write through the proxy is
// committed by the master, recorded with the writer's name, and readable
// through the proxy as soon as it returns.
TEST(CsProxy, ServesTheMastersConfigurationAndFollowsIt) {
  TandemdProcess master;
  master.Start();
  auto m = master.Stub();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(CreateHost(*m, "pre-" + std::to_string(i)).ok());
  CsProxyProcess proxy(Following({"localhost:" + master.address().substr(10)}));
  proxy.Start();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_NORMAL, 15)) << proxy.Log();
  auto p = proxy.Stub();
  ExpectSameConfiguration(*p, *m);
  v1::ServerInfo info = Info(*p);
  EXPECT_EQ(info.role(), v1::ROLE_PROXY);
  EXPECT_EQ(info.master_address(), "localhost:" + master.address().substr(10));

  // Master changes reach a watcher of the proxy.
  Watcher watcher(proxy.Channel(), info.revision());
  ASSERT_TRUE(watcher.WaitConnected());
  v1::CreateResponse created;
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(CreateHost(*m, "live-" + std::to_string(i), &created).ok());
  ASSERT_TRUE(watcher.WaitFor(created.revision())) << proxy.Log();
  EXPECT_EQ(watcher.changes().size(), 5u);
  EXPECT_EQ(watcher.changes().front().after().name(), "live-0");

  // Writes through the proxy: read back through the proxy at once.
  const std::string session = Register(*p, "app-via-proxy");
  for (int i = 0; i < 20; ++i) {
    const std::string name = "via-proxy-" + std::to_string(i);
    v1::CreateResponse resp;
    grpc::Status st = CreateHost(*p, name, &resp, session);
    ASSERT_TRUE(st.ok()) << st.error_message();
    v1::GetResponse got;
    st = GetHost(*p, name, &got);
    ASSERT_TRUE(st.ok()) << name << ": " << st.error_message();
    EXPECT_GE(got.revision(), resp.revision());
    EXPECT_EQ(got.object().dbid(), resp.object().dbid());
  }
  // Errors of the master come back unchanged (a duplicate name).
  grpc::Status dup = CreateHost(*p, "via-proxy-0", nullptr, session);
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS) << dup.error_message();
  // The master recorded the writing application, not the proxy.
  {
    grpc::ClientContext ctx;
    v1::HistoryRequest req;
    req.set_since_revision(Info(*m).revision() - 1);
    v1::HistoryResponse resp;
    ASSERT_TRUE(m->History(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.changes_size(), 1);
    EXPECT_EQ(resp.changes(0).who(), "app-via-proxy");
  }
  ExpectSameConfiguration(*p, *m);
  // The proxy's own history answers resuming watchers.
  Watcher resumed(proxy.Channel(), info.revision());
  ASSERT_TRUE(resumed.WaitFor(Info(*m).revision()));
  EXPECT_EQ(resumed.changes().size(), 25u);
}

// With the master gone the proxy serves reads and watches, refuses writes
// with the limited-mode message and reports limited mode; with the master
// back (same database) it catches up and writes work again.
TEST(CsProxy, LimitedModeWhileNoMasterIsReachable) {
  const int port = FreePort();
  TandemdProcess master(ListeningOn(port));
  master.Start();
  auto m = master.Stub();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(CreateHost(*m, "h" + std::to_string(i)).ok());
  CsProxyProcess proxy(Following({Addr(port)}));
  proxy.Start();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_NORMAL, 15)) << proxy.Log();
  auto p = proxy.Stub();
  // Three changes after the load, so that the proxy's own history has them.
  for (int i = 10; i < 13; ++i) ASSERT_TRUE(CreateHost(*m, "h" + std::to_string(i)).ok());
  ASSERT_TRUE(WaitCaughtUp(*p, *m));
  const int64_t revision = Info(*p).revision();
  Watcher before(proxy.Channel(), revision);
  ASSERT_TRUE(before.WaitConnected());

  master.Kill();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_LIMITED, 10)) << proxy.Log();
  v1::ServerInfo info = Info(*p);
  EXPECT_TRUE(info.has_limited_since());
  EXPECT_EQ(info.revision(), revision);
  EXPECT_FALSE(info.alarms().empty());
  // Reads and watches still work.
  v1::GetResponse got;
  EXPECT_TRUE(GetHost(*p, "h3", &got).ok());
  EXPECT_EQ(ListEverything(*p).objects.size(), 13u);
  Watcher during(proxy.Channel(), revision - 3);
  ASSERT_TRUE(during.WaitFor(revision));
  EXPECT_EQ(during.changes().size(), 3u);
  // Writes are refused, saying so.
  grpc::Status refused = CreateHost(*p, "refused");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(), HasSubstr("limited mode: no master reachable since "));
  EXPECT_THAT(refused.error_message(), HasSubstr("UTC; the change was not applied"));

  master.Start();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_NORMAL, 15)) << proxy.Log();
  EXPECT_FALSE(Info(*p).has_limited_since());
  v1::CreateResponse created;
  grpc::Status st = CreateHost(*p, "after", &created);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(GetHost(*p, "after", &got).ok());
  // The proxy caught up from history (no reload): its watcher lived on.
  ASSERT_TRUE(before.WaitFor(created.revision())) << proxy.Log();
  EXPECT_EQ(before.changes().back().after().name(), "after");
  ExpectSameConfiguration(*p, *m);
  EXPECT_THAT(proxy.Log(), ::testing::Not(HasSubstr("diverged")));
}

// The master's host vanishes without a reset (every packet dropped, as a VM
// powered off or a region cut off): keep-alive pings on the proxy's channel
// notice it in about 2 s, and the proxy goes to limited mode. With gRPC's
// default keep-alive here (10 s + 5 s) it took 5.5 s in one run, and up to
// 15 s.
TEST(CsProxy, NoticesAMasterThatVanishesWithoutAReset) {
  testing::NetnsHost host("V", "203.0.113.244");
  if (absl::Status st = host.Create(); !st.ok()) GTEST_SKIP() << st;
  testing::TandemdOptions o;
  o.listen = host.address() + ":0";
  o.netns = host.name();
  TandemdProcess master(o);
  master.Start();
  auto m = master.Stub();
  ASSERT_TRUE(CreateHost(*m, "h1").ok());
  CsProxyProcess proxy(Following({master.address()}));
  proxy.Start();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_NORMAL, 15)) << proxy.Log();
  const std::string drop = absl::StrCat(
      host.Exec(), "nft 'add table inet vanish; ",
      "add chain inet vanish in { type filter hook input priority 0; policy drop; }; ",
      "add chain inet vanish out { type filter hook output priority 0; policy drop; }'");
  ASSERT_EQ(std::system(drop.c_str()), 0) << drop;
  const absl::Time cut = absl::Now();
  // The default's timeout alone is 5 s: 4 s tells the two apart.
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_LIMITED, 4)) << proxy.Log();
  std::cout << "limited mode " << absl::ToInt64Milliseconds(absl::Now() - cut)
            << " ms after the master's host vanished\n";
  v1::GetResponse got;
  auto p = proxy.Stub();
  EXPECT_TRUE(GetHost(*p, "h1", &got).ok());  // reads go on
}

// Failing over to a master with another history (a fresh database) makes the
// proxy reload: it ends identical to that master and its watchers are told.
TEST(CsProxy, ReloadsFromAMasterWithAnotherHistory) {
  const int port_a = FreePort();
  const int port_b = FreePort();
  TandemdProcess a(ListeningOn(port_a));
  TandemdProcess b(ListeningOn(port_b));
  a.Start();
  auto ma = a.Stub();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(CreateHost(*ma, "a" + std::to_string(i)).ok());
  CsProxyProcess proxy(Following({Addr(port_a), Addr(port_b)}));
  proxy.Start();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_NORMAL, 15)) << proxy.Log();
  auto p = proxy.Stub();
  Watcher watcher(proxy.Channel(), Info(*p).revision());
  ASSERT_TRUE(watcher.WaitConnected());

  b.Start();
  auto mb = b.Stub();
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(CreateHost(*mb, "b" + std::to_string(i)).ok());
  a.Kill();
  ASSERT_TRUE(WaitCaughtUp(*p, *mb)) << proxy.Log();
  ExpectSameConfiguration(*p, *mb);
  grpc::Status ended;
  ASSERT_TRUE(watcher.WaitEnded(&ended));
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE);
  v1::GetResponse got;
  EXPECT_EQ(GetHost(*p, "a1", &got).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(proxy.Log(), HasSubstr("diverged"));
  // A watcher resuming from the old lineage's revision is told to reload.
  Watcher stale(proxy.Channel(), 5);
  ASSERT_TRUE(stale.WaitEnded(&ended));
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::OUT_OF_RANGE) << ended.error_message();
}

// A master that comes back with a database that lost revisions and then
// committed other changes at the same revisions: the first change does not
// chain onto the proxy's hash (or, if the proxy reconnects before the new
// writes, the master is behind the proxy), so the proxy reloads and ends
// identical.
TEST(CsProxy, ReloadsWhenTheMastersHistoryForked) {
  const int port = FreePort();
  TandemdProcess master(ListeningOn(port));
  master.Start();
  auto m = master.Stub();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(CreateHost(*m, "base" + std::to_string(i)).ok());
  master.Terminate();
  namespace fs = std::filesystem;
  const fs::path dir(master.dir());
  fs::create_directory(dir / "saved");
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("config.db", 0) == 0) {
      fs::copy_file(e.path(), dir / "saved" / e.path().filename());
    }
  }
  master.Start();
  m = master.Stub();
  CsProxyProcess proxy(Following({Addr(port)}));
  proxy.Start();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(CreateHost(*m, "lost" + std::to_string(i)).ok());
  ASSERT_TRUE(WaitCaughtUp(*proxy.Stub(), *m)) << proxy.Log();
  EXPECT_EQ(Info(*proxy.Stub()).revision(), 10);

  master.Kill();
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("config.db", 0) == 0) fs::remove(e.path());
  }
  for (const auto& e : fs::directory_iterator(dir / "saved")) {
    fs::copy_file(e.path(), dir / e.path().filename());
  }
  // Start on the old database and commit other changes up to revision 12
  // before the proxy reconnects (its backoff is at least 50 ms; the master
  // starts with no port open until it serves, so write right away).
  master.Start();
  m = master.Stub();
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(CreateHost(*m, "fork" + std::to_string(i)).ok());
  auto p = proxy.Stub();
  ASSERT_TRUE(WaitCaughtUp(*p, *m)) << proxy.Log();
  ExpectSameConfiguration(*p, *m);
  v1::GetResponse got;
  EXPECT_EQ(GetHost(*p, "lost1", &got).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(GetHost(*p, "fork6", &got).ok());
  EXPECT_THAT(proxy.Log(), HasSubstr("diverged"));
}

// With the master HA pair listed backup first, the proxy skips the backup
// (it goes to the primary the backup names); when the primary dies and the
// backup takes over, the proxy follows it from history, without a reload,
// and writes through the proxy work again.
TEST(CsProxy, FollowsTheHaPairThroughAFailover) {
  testing::TempDir shared;
  const int port_a = FreePort();
  const int port_b = FreePort();
  std::vector<std::unique_ptr<TandemdProcess>> pair;
  for (auto [node, port] : {std::pair{"cs1", port_a}, std::pair{"cs2", port_b}}) {
    TandemdOptions o = ListeningOn(port);
    o.storage_toml =
        "[storage]\nbackend = \"sqlite\"\npath = \"" + shared.file("config.db") + "\"\n";
    o.extra_toml = std::string("[ha]\nnode = \"") + node + "\"\nlease_ms = 1000\npoll_ms = 50\n";
    pair.push_back(std::make_unique<TandemdProcess>(o));
  }
  TandemdProcess& a = *pair[0];
  TandemdProcess& b = *pair[1];
  a.Start();
  auto ma = a.Stub();
  for (int i = 0; i < 50 && Info(*ma).role() != v1::ROLE_PRIMARY; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(Info(*ma).role(), v1::ROLE_PRIMARY) << a.Log();
  b.Start();
  auto mb = b.Stub();
  for (int i = 0; i < 50 && Info(*mb).role() != v1::ROLE_BACKUP; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(Info(*mb).role(), v1::ROLE_BACKUP) << b.Log();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(CreateHost(*ma, "h" + std::to_string(i)).ok());

  CsProxyProcess proxy(Following({Addr(port_b), Addr(port_a)}));
  proxy.Start();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_NORMAL, 15)) << proxy.Log();
  auto p = proxy.Stub();
  EXPECT_EQ(Info(*p).master_address(), a.address());
  EXPECT_THAT(proxy.Log(), HasSubstr("is a backup"));
  Watcher watcher(proxy.Channel(), Info(*p).revision());
  ASSERT_TRUE(watcher.WaitConnected());

  a.Kill();
  for (int i = 0; i < 100 && Info(*mb).role() != v1::ROLE_PRIMARY; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(Info(*mb).role(), v1::ROLE_PRIMARY) << b.Log();
  ASSERT_TRUE(WaitCaughtUp(*p, *mb)) << proxy.Log();
  v1::CreateResponse created;
  grpc::Status st = CreateHost(*p, "after-failover", &created);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << proxy.Log();
  ASSERT_TRUE(watcher.WaitFor(created.revision())) << proxy.Log();
  EXPECT_EQ(Info(*p).master_address(), b.address());
  ExpectSameConfiguration(*p, *mb);
  EXPECT_THAT(proxy.Log(), ::testing::Not(HasSubstr("diverged")));
}

// 100 clients, each with its own connection, connect to the proxy at once
// and are all served (Register + Get).
TEST(CsProxy, HundredClientsAtOnce) {
  TandemdProcess master;
  master.Start();
  auto m = master.Stub();
  ASSERT_TRUE(CreateHost(*m, "shared").ok());
  CsProxyProcess proxy(Following({master.address()}));
  proxy.Start();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_NORMAL, 15)) << proxy.Log();
  std::atomic<int> served{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < 100; ++i) {
    clients.emplace_back([&, i] {
      auto stub = v1::ConfigService::NewStub(proxy.Channel());
      while (!go) std::this_thread::yield();
      // Each on a new TCP connection; one of 100 connects at once has
      // failed under load (CI, "UNKNOWN ... No such file or directory")
      // before reaching the proxy: the client retries it, as clients do.
      if (Register(*stub, "client-" + std::to_string(i), /*wait_for_ready=*/true).empty()) return;
      v1::GetResponse got;
      grpc::Status st = GetHost(*stub, "shared", &got);
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (st.ok()) ++served;
    });
  }
  go = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(served.load(), 100);
}

}  // namespace
}  // namespace tandem
