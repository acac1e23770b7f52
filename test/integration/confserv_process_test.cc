// Integration tests against a real `tandemd confserv` process on loopback.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "confserv/write_applier.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "net/channel.h"
#include "net/tls.h"
#include "testing/config_ops.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

using testing::TandemdProcess;
namespace v1 = config::v1;

v1::ConfigObject Host(const std::string& name, const std::string& address = "192.0.2.1") {
  v1::ConfigObject o;
  o.set_type(v1::OBJECT_TYPE_HOST);
  o.set_name(name);
  (*o.mutable_properties())["address"].set_string_value(address);
  return o;
}

grpc::Status CreateHost(v1::ConfigService::Stub& stub, const std::string& name,
                        v1::CreateResponse* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::CreateRequest req;
  *req.mutable_object() = Host(name);
  return stub.Create(&ctx, req, resp);
}

v1::ServerInfo Info(v1::ConfigService::Stub& stub) {
  grpc::ClientContext ctx;
  v1::ServerInfo info;
  EXPECT_TRUE(stub.GetServerInfo(&ctx, v1::ServerInfoRequest(), &info).ok());
  return info;
}

std::vector<v1::Change> AllHistory(v1::ConfigService::Stub& stub, int64_t since) {
  std::vector<v1::Change> out;
  while (true) {
    grpc::ClientContext ctx;
    v1::HistoryRequest req;
    req.set_since_revision(since);
    req.set_limit(10000);
    v1::HistoryResponse resp;
    grpc::Status st = stub.History(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    for (const auto& c : resp.changes()) out.push_back(c);
    if (!st.ok() || !resp.more()) return out;
    since = out.back().revision();
  }
}

// kill -9 during a concurrent write load loses no acknowledged write, and the
// database reopens with contiguous revisions and an intact hash chain.
TEST(ConfServProcess, KillNineLosesNoAcknowledgedWrite) {
  TandemdProcess server;
  server.Start();
  std::map<std::string, int64_t> acked;  // name -> revision
  std::mt19937 rng(42);
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<std::thread> writers;
    for (int t = 0; t < 8; ++t) {
      writers.emplace_back([&, t] {
        auto stub = server.Stub();
        for (int i = 0; !stop; ++i) {
          std::string name =
              "r" + std::to_string(round) + "-t" + std::to_string(t) + "-" + std::to_string(i);
          v1::CreateResponse resp;
          if (CreateHost(*stub, name, &resp).ok()) {
            std::lock_guard<std::mutex> l(mu);
            acked[name] = resp.revision();
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
    server.Kill();
    stop = true;
    for (auto& w : writers) w.join();
    server.Start();
  }
  ASSERT_GT(acked.size(), 100u) << "the load produced too few writes to mean anything";
  testing::ExpectHostsAtRevisions(server, acked);
  auto stub = server.Stub();
  auto history = AllHistory(*stub, 0);
  const v1::ServerInfo info = Info(*stub);
  ASSERT_EQ(int64_t(history.size()), info.revision());
  std::string prev(32, '\0');
  for (size_t i = 0; i < history.size(); ++i) {
    ASSERT_EQ(history[i].revision(), int64_t(i) + 1) << "revision skipped or duplicated";
    ASSERT_EQ(history[i].hash(), confserv::ChainHash(prev, history[i]))
        << "hash chain broken at " << history[i].revision();
    prev = history[i].hash();
  }
  EXPECT_EQ(info.revision_hash(), prev);
}

// SIGTERM lets in-flight writes finish; the process exits 0 and nothing
// acknowledged is lost.
TEST(ConfServProcess, SigtermIsCleanShutdown) {
  TandemdProcess server;
  server.Start();
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      auto stub = server.Stub();
      for (int i = 0; !stop; ++i) {
        v1::CreateResponse resp;
        if (CreateHost(*stub, "t" + std::to_string(t) + "-" + std::to_string(i), &resp).ok()) {
          ++acked;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int status = server.Terminate();
  stop = true;
  for (auto& w : writers) w.join();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.Log();
  server.Start();
  auto stub = server.Stub();
  EXPECT_GE(Info(*stub).object_count(), acked.load());
  EXPECT_NE(server.Log().find("confserv stopped at revision"), std::string::npos);
}

// Reads a watch stream until `want` changes arrived (or the stream ends).
std::vector<v1::Change> ReadChanges(grpc::ClientReader<v1::WatchResponse>& reader, size_t want,
                                    int64_t* live_at = nullptr) {
  std::vector<v1::Change> out;
  v1::WatchResponse resp;
  while (out.size() < want && reader.Read(&resp)) {
    if (resp.changes_size() == 0 && live_at != nullptr) *live_at = resp.revision();
    for (const auto& c : resp.changes()) out.push_back(c);
  }
  return out;
}

// A watcher that disconnects and reconnects with its last revision gets
// exactly the changes it missed, then live changes.
TEST(ConfServProcess, WatchResumesExactlyFromLastRevision) {
  TandemdProcess server;
  server.Start();
  auto stub = server.Stub();
  for (int i = 0; i < 3; ++i) {
    v1::CreateResponse r;
    ASSERT_TRUE(CreateHost(*stub, "before-" + std::to_string(i), &r).ok());
  }
  int64_t last_seen = 0;
  {
    grpc::ClientContext ctx;
    v1::WatchRequest req;  // from now
    auto reader = stub->Watch(&ctx, req);
    v1::WatchResponse first;
    ASSERT_TRUE(reader->Read(&first));  // "live" marker
    EXPECT_EQ(first.changes_size(), 0);
    EXPECT_EQ(first.revision(), 3);
    v1::CreateResponse r;
    ASSERT_TRUE(CreateHost(*stub, "seen", &r).ok());
    auto got = ReadChanges(*reader, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].after().name(), "seen");
    last_seen = got[0].revision();
    ctx.TryCancel();
  }
  // Missed while disconnected: 250 creates (more than one history page of
  // the watch's catch-up is not needed; several messages are).
  for (int i = 0; i < 250; ++i) {
    v1::CreateResponse r;
    ASSERT_TRUE(CreateHost(*stub, "missed-" + std::to_string(i), &r).ok());
  }
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.set_from_revision(last_seen);
  auto reader = stub->Watch(&ctx, req);
  int64_t live_at = 0;
  auto missed = ReadChanges(*reader, 250, &live_at);
  ASSERT_EQ(missed.size(), 250u);
  for (size_t i = 0; i < missed.size(); ++i) {
    EXPECT_EQ(missed[i].revision(), last_seen + 1 + int64_t(i));
    EXPECT_EQ(missed[i].after().name(), "missed-" + std::to_string(i));
  }
  // Then live, with nothing duplicated.
  v1::CreateResponse r;
  ASSERT_TRUE(CreateHost(*stub, "after", &r).ok());
  auto live = ReadChanges(*reader, 1);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].revision(), last_seen + 251);
  ctx.TryCancel();
}

// A watcher that stops reading while many changes are committed falls back
// to catching up from history and still receives every change exactly once,
// in order.
TEST(ConfServProcess, SlowWatcherMissesNothing) {
  TandemdProcess server;
  server.Start();
  auto stub = server.Stub();
  grpc::ClientContext ctx;
  auto reader = stub->Watch(&ctx, v1::WatchRequest());
  v1::WatchResponse marker;
  ASSERT_TRUE(reader->Read(&marker));
  const int64_t start = marker.revision();
  // 30,000 changes of ~2 KiB: more than the server keeps queued for one
  // client and more than the transport buffers, while this client reads
  // nothing.
  constexpr int kTx = 15, kPerTx = 2000;
  const std::string padding(2000, 'p');
  for (int t = 0; t < kTx; ++t) {
    grpc::ClientContext c;
    v1::TransactionRequest req;
    for (int i = 0; i < kPerTx; ++i) {
      v1::ConfigObject h = Host("slow-" + std::to_string(t) + "-" + std::to_string(i));
      (*(*h.mutable_annex())["pad"].mutable_entries())["x"] = padding;
      *req.add_operations()->mutable_create()->mutable_object() = std::move(h);
    }
    v1::TransactionResponse resp;
    ASSERT_TRUE(stub->Transaction(&c, req, &resp).ok());
  }
  auto got = ReadChanges(*reader, kTx * kPerTx);
  ASSERT_EQ(got.size(), size_t(kTx * kPerTx));
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].revision(), start + 1 + int64_t(i)) << "gap or duplicate at " << i;
  }
  // The server did take the slow path (not just buffer everything).
  EXPECT_NE(server.Log().find("fell"), std::string::npos) << server.Log();
  ctx.TryCancel();
}

// A streamed List returns every matching object, in DBID order, in several
// chunks that all carry the same snapshot revision.
TEST(ConfServProcess, ListStreamsAConsistentSnapshot) {
  TandemdProcess server;
  server.Start();
  auto stub = server.Stub();
  constexpr int kHosts = 5000;
  {
    grpc::ClientContext c;
    v1::TransactionRequest req;
    for (int i = 0; i < kHosts; ++i) {
      v1::ConfigObject h = Host((i % 10 == 0 ? "tenth-" : "host-") + std::to_string(i));
      (*(*h.mutable_annex())["pad"].mutable_entries())["x"] = std::string(500, 'p');
      *req.add_operations()->mutable_create()->mutable_object() = std::move(h);
    }
    v1::TransactionResponse resp;
    ASSERT_TRUE(stub->Transaction(&c, req, &resp).ok());
  }
  auto list = [&](v1::ListRequest req, std::vector<v1::ConfigObject>* out,
                  std::set<int64_t>* revisions) {
    grpc::ClientContext ctx;
    auto reader = stub->List(&ctx, req);
    v1::ListResponse resp;
    int chunks = 0;
    while (reader->Read(&resp)) {
      ++chunks;
      revisions->insert(resp.revision());
      for (const auto& o : resp.objects()) out->push_back(o);
    }
    EXPECT_TRUE(reader->Finish().ok());
    return chunks;
  };
  v1::ListRequest all;
  all.set_type(v1::OBJECT_TYPE_HOST);
  std::vector<v1::ConfigObject> objects;
  std::set<int64_t> revisions;
  EXPECT_GT(list(all, &objects, &revisions), 1);
  ASSERT_EQ(objects.size(), size_t(kHosts));
  EXPECT_EQ(revisions, std::set<int64_t>{kHosts});
  for (int i = 0; i < kHosts; ++i) {
    ASSERT_EQ(objects[i].dbid(), i + 1);
    ASSERT_EQ(objects[i].annex().at("pad").entries().at("x").size(), 500u);
  }
  v1::ListRequest some = all;
  some.set_name_pattern("tenth-*");
  objects.clear();
  list(some, &objects, &revisions);
  EXPECT_EQ(objects.size(), size_t(kHosts / 10));
  v1::ListRequest none;
  none.set_type(v1::OBJECT_TYPE_PERSON);
  objects.clear();
  revisions.clear();
  EXPECT_EQ(list(none, &objects, &revisions), 1);  // one empty chunk with the revision
  EXPECT_TRUE(objects.empty());
  EXPECT_EQ(revisions, std::set<int64_t>{kHosts});
  v1::ListRequest bad;  // no type
  grpc::ClientContext ctx;
  auto reader = stub->List(&ctx, bad);
  v1::ListResponse resp;
  while (reader->Read(&resp)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// A watch filtered by type and DBID sees only matching changes.
TEST(ConfServProcess, WatchFilters) {
  TandemdProcess server;
  server.Start();
  auto stub = server.Stub();
  v1::CreateResponse h1, h2;
  ASSERT_TRUE(CreateHost(*stub, "h1", &h1).ok());
  ASSERT_TRUE(CreateHost(*stub, "h2", &h2).ok());
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.add_types(v1::OBJECT_TYPE_HOST);
  req.add_dbids(h2.object().dbid());
  req.set_from_revision(0);
  auto reader = stub->Watch(&ctx, req);
  v1::WatchResponse marker;
  ASSERT_TRUE(reader->Read(&marker));
  for (int i = 0; i < 3; ++i) {
    for (auto* h : {&h1, &h2}) {
      grpc::ClientContext c;
      v1::UpdateRequest u;
      *u.mutable_object() = h->object();
      (*u.mutable_object()->mutable_properties())["address"].set_string_value(
          "192.0.2." + std::to_string(10 + i));
      v1::UpdateResponse resp;
      ASSERT_TRUE(stub->Update(&c, u, &resp).ok());
    }
  }
  auto got = ReadChanges(*reader, 3);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& c : got) EXPECT_EQ(c.dbid(), h2.object().dbid());
  ctx.TryCancel();
}

// A client asking for changes older than the retained history is told
// "history expired", by History and by Watch alike.
TEST(ConfServProcess, HistoryExpiredAnsweredAsSuch) {
  testing::TandemdOptions options;
  options.history_max_count = 10;
  TandemdProcess server(options);
  server.Start();
  auto stub = server.Stub();
  for (int i = 0; i < 30; ++i) {
    v1::CreateResponse r;
    ASSERT_TRUE(CreateHost(*stub, "h" + std::to_string(i), &r).ok());
    if (i == 15) std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // let pruning run
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  {
    grpc::ClientContext ctx;
    v1::HistoryRequest req;
    req.set_since_revision(2);
    v1::HistoryResponse resp;
    grpc::Status st = stub->History(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::OUT_OF_RANGE);
    EXPECT_NE(st.error_message().find("history expired"), std::string::npos) << st.error_message();
  }
  {
    grpc::ClientContext ctx;
    v1::WatchRequest req;
    req.set_from_revision(2);
    auto reader = stub->Watch(&ctx, req);
    v1::WatchResponse resp;
    while (reader->Read(&resp)) {
    }
    grpc::Status st = reader->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::OUT_OF_RANGE) << st.error_message();
  }
  EXPECT_GE(Info(*stub).oldest_revision(), 20);
}

// Malformed and invalid requests get INVALID_ARGUMENT (or the like) and
// change nothing.
TEST(ConfServProcess, BadRequestsChangeNothing) {
  TandemdProcess server;
  server.Start();
  auto stub = server.Stub();
  v1::CreateResponse h;
  ASSERT_TRUE(CreateHost(*stub, "h", &h).ok());
  const v1::ServerInfo before = Info(*stub);
  {
    grpc::ClientContext ctx;
    v1::GetRequest req;  // no type
    v1::GetResponse resp;
    EXPECT_EQ(stub->Get(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    v1::CreateRequest req;  // empty object
    v1::CreateResponse resp;
    EXPECT_EQ(stub->Create(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    v1::TransactionRequest req;
    req.add_operations();  // an operation with nothing set
    v1::TransactionResponse resp;
    EXPECT_EQ(stub->Transaction(&ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    v1::WatchRequest req;
    req.add_types(static_cast<v1::ObjectType>(99));
    auto reader = stub->Watch(&ctx, req);
    v1::WatchResponse resp;
    while (reader->Read(&resp)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    // Raw garbage bytes where a CreateRequest should be.
    net::ChannelOptions tls;
    tls.tls = server.ClientTls();
    auto channel = net::MakeChannel(server.address(), tls);
    grpc::GenericStub generic(channel);
    grpc::ClientContext ctx;
    grpc::ByteBuffer out;
    std::string junk = "\xff\xff\xff\xff\x0f garbage";
    grpc::Slice slice(junk);
    grpc::ByteBuffer in(&slice, 1);
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    grpc::Status st;
    generic.UnaryCall(&ctx, "/tandem.config.v1.ConfigService/Create", grpc::StubOptions(), &in,
                      &out, [&](grpc::Status s) {
                        std::lock_guard<std::mutex> l(m);
                        st = s;
                        done = true;
                        cv.notify_one();
                      });
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [&] { return done; });
    EXPECT_FALSE(st.ok());
  }
  const v1::ServerInfo after = Info(*stub);
  EXPECT_EQ(after.revision(), before.revision());
  EXPECT_EQ(after.object_count(), before.object_count());
}

// Many full listings at once (proxies reloading together) are limited:
// past [server] max_large_lists the next is refused with RESOURCE_EXHAUSTED
// (clients back off), small listings still work, and a slot frees up when a
// listing ends.
TEST(ConfServProcess, LargeListingsAreLimited) {
  testing::TandemdOptions options;
  options.server_toml = "max_large_lists = 1\n";
  TandemdProcess server(options);
  server.Start();
  auto stub = server.Stub();
  for (int t = 0; t < 20; ++t) {
    v1::TransactionRequest txn;
    for (int i = 0; i < 1000; ++i) {
      auto* obj = txn.add_operations()->mutable_create()->mutable_object();
      obj->set_type(v1::OBJECT_TYPE_HOST);
      obj->set_name("h" + std::to_string(t * 1000 + i));
      (*obj->mutable_properties())["address"].set_string_value("192.0.2.7");
    }
    grpc::ClientContext ctx;
    v1::TransactionResponse resp;
    ASSERT_TRUE(stub->Transaction(&ctx, txn, &resp).ok());
  }
  v1::ListRequest all;
  all.set_type(v1::OBJECT_TYPE_HOST);
  // A listing that is not read stays in flight: 1.2 MB against a 64 KiB
  // flow-control window that this channel does not let grow.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
  auto slow = v1::ConfigService::NewStub(grpc::CreateCustomChannel(
      server.address(), net::MakeChannelCredentials(server.ClientTls()), args));
  grpc::ClientContext stuck_ctx;
  auto stuck = slow->List(&stuck_ctx, all);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    grpc::ClientContext ctx;
    auto reader = stub->List(&ctx, all);
    v1::ListResponse page;
    while (reader->Read(&page)) {
    }
    grpc::Status st = reader->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
    EXPECT_NE(st.error_message().find("already streaming 1 large listings"), std::string::npos);
  }
  {
    grpc::ClientContext ctx;
    v1::ListRequest few = all;
    few.set_name_pattern("h1?");
    auto reader = stub->List(&ctx, few);
    v1::ListResponse page;
    size_t n = 0;
    while (reader->Read(&page)) n += page.objects_size();
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_EQ(n, 10u);
  }
  stuck_ctx.TryCancel();
  (void)stuck->Finish();
  size_t n = 0;
  for (int attempt = 0; attempt < 50; ++attempt) {
    grpc::ClientContext ctx;
    auto reader = stub->List(&ctx, all);
    v1::ListResponse page;
    n = 0;
    while (reader->Read(&page)) n += page.objects_size();
    if (reader->Finish().ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(n, 20000u);
}

}  // namespace
}  // namespace tandem
