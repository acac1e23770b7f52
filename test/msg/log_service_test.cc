// The Log Message Server's LogService over a real gRPC server and a SQLite
// Log Database, with libtandem's Logger as the client: what is acknowledged
// is stored and found again; events that can never be stored are refused one
// by one while the rest of their batch goes in; a batch sent again is stored
// once; an application over its rate limit is refused, told, and catches up
// with nothing lost; the backup refuses and the Logger moves to its partner;
// a Logger whose server is down keeps a bounded buffer, counts what it
// drops, and delivers the rest once a server is back; a Log Database that
// cannot be reached (PostgreSQL refusing connections) acknowledges nothing,
// says why, and the buffered events go in once it is back. (Who may append is
// the master's decision, tested in BusAccessTest and MsgServerTest; here the
// claimed name decides.)
#include "msg/log_service.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/client_context.h"
#include "msg/alarm_engine.h"
#include "net/channel.h"
#include "net/grpc_server.h"
#include "tandem/client/log_client.h"
#include "testing/postgres_cluster.h"
#include "testing/temp_dir.h"

namespace tandem::msg {
namespace {

TlsFiles Plaintext() {
  TlsFiles t;
  t.plaintext = true;
  return t;
}

// Claimed "person:NAME" is a person; anything else an application.
class ClaimedAccess final : public BusAccess {
 public:
  void Check(const net::OperatorCall& call, const std::string&,
             std::function<void(absl::StatusOr<std::string>)> done) override {
    if (call.claimed.empty()) {
      done(absl::UnauthenticatedError("no name claimed"));
    } else if (call.claimed.rfind("person:", 0) == 0) {
      done("person " + call.claimed.substr(7));
    } else {
      done("application " + call.claimed);
    }
  }
};

struct Server {
  Server(logdb::LogStore& store, BusAccess& access, LogServiceOptions o, int port = 0)
      : service(
            store, access, o, [this] { return acting.load(); }, Clock::Real()) {
    auto s =
        net::GrpcServer::Start(absl::StrCat("127.0.0.1:", port), {&service}, {.tls = Plaintext()});
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) listener = *std::move(s);
  }
  ~Server() {
    if (listener != nullptr) listener->Shutdown(absl::Seconds(1));
    service.Stop();
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", listener->port()); }

  std::atomic<bool> acting{true};
  LogServiceImpl service;
  std::unique_ptr<net::GrpcServer> listener;
};

class LogServiceTest : public ::testing::Test {
 protected:
  std::unique_ptr<logdb::LogStore> OpenStore(logdb::LogStoreOptions o = {}) {
    auto s = logdb::LogStore::OpenSqlite(dir_.file("log.db"), o);
    EXPECT_TRUE(s.ok()) << s.status();
    return *std::move(s);
  }
  std::unique_ptr<mv1::LogService::Stub> Stub(const std::string& address) {
    return mv1::LogService::NewStub(net::MakeChannel(address, {.tls = Plaintext()}));
  }
  client::LoggerOptions LoggerTo(std::vector<std::string> servers) {
    client::LoggerOptions o;
    o.servers = std::move(servers);
    o.tls.plaintext = true;
    o.claimed = "billing";
    o.host = "app-1";
    return o;
  }
  static grpc::Status Query(mv1::LogService::Stub& stub, const mv1::LogQueryRequest& q,
                            mv1::LogQueryResponse* out, const std::string& who = "person:ops") {
    grpc::ClientContext ctx;
    ctx.AddMetadata(config::kClaimedMetadataKey, who);
    return stub.Query(&ctx, q, out);
  }

  testing::TempDir dir_;
  ClaimedAccess access_;
};

TEST_F(LogServiceTest, AcknowledgedEventsAreStoredAndFoundAgain) {
  auto store = OpenStore();
  Server server(*store, access_, {.application = "lms-1"});
  std::string first_id;
  {
    client::Logger log(LoggerTo({server.address()}));
    for (int i = 0; i < 2500; ++i) {
      absl::StatusOr<std::string> id =
          log.Log(i % 10 == 0 ? client::LogLevel::kAlarm : client::LogLevel::kStandard,
                  4000 + i % 10, absl::StrCat("event ", i));
      ASSERT_TRUE(id.ok()) << id.status();
      if (i == 0) first_id = *id;
    }
    EXPECT_EQ(*log.Log(client::LogLevel::kDebug, 1, "stays local"), "") << "debug stays local";
    ASSERT_TRUE(log.Flush(absl::Seconds(20))) << log.stats().last_error;
    client::LoggerStats s = log.stats();
    EXPECT_EQ(s.logged, 2500);
    EXPECT_EQ(s.acknowledged, 2500);
    EXPECT_EQ(s.buffered, 0);
    EXPECT_EQ(s.server, server.address());
  }
  EXPECT_EQ(*store->Count(), 2500);
  auto stub = Stub(server.address());
  mv1::LogQueryRequest q;
  q.set_max_level(mv1::ALARM);
  q.set_limit(100);
  mv1::LogQueryResponse r;
  ASSERT_TRUE(Query(*stub, q, &r).ok());
  ASSERT_EQ(r.events_size(), 100);
  EXPECT_TRUE(r.more()) << "250 alarms, 100 a page";
  EXPECT_EQ(r.events(0).event_id(), first_id);
  EXPECT_EQ(r.events(0).application(), "billing") << "from the caller's name";
  EXPECT_EQ(r.events(0).host(), "app-1");
  EXPECT_EQ(r.events(0).text(), "event 0");
  EXPECT_EQ(r.events(0).message_id(), 4000);
  mv1::LogQueryResponse next;
  q.set_after_seq(r.events(99).seq());
  ASSERT_TRUE(Query(*stub, q, &next).ok());
  EXPECT_EQ(next.events(0).text(), "event 1000") << "the next page follows on";
  q.set_limit(20000);
  EXPECT_EQ(Query(*stub, q, &next).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LogServiceTest, EventsThatCanNeverBeStoredAreRefusedOneByOne) {
  logdb::LogStoreOptions so;
  so.max_text_bytes = 100;
  auto store = OpenStore(so);
  Server server(*store, access_, {.application = "lms-1", .store = so});
  auto stub = Stub(server.address());
  mv1::AppendRequest req;
  auto add = [&](const std::string& id, const std::string& text) {
    mv1::LogEvent* e = req.add_events();
    e->set_event_id(id);
    e->set_level(mv1::STANDARD);
    e->set_text(text);
    e->set_application("someone-else");
  };
  add("good-1", "fine");
  add("big", std::string(101, 'x'));
  add("latin1", "caf\xe9");
  add("good-2", "fine too");
  req.mutable_events(1)->set_level(mv1::STANDARD);
  auto append = [&](const std::string& who, mv1::AppendResponse* out) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(config::kClaimedMetadataKey, who);
    return stub->Append(&ctx, req, out);
  };
  mv1::AppendResponse resp;
  ASSERT_TRUE(append("billing", &resp).ok());
  EXPECT_EQ(resp.stored(), 2);
  ASSERT_EQ(resp.rejected_size(), 2);
  EXPECT_EQ(resp.rejected(0).index(), 1);
  EXPECT_NE(resp.rejected(0).reason().find("its text is 101 bytes, the limit is 100"),
            std::string::npos)
      << resp.rejected(0).reason();
  EXPECT_NE(resp.rejected(1).reason().find("not UTF-8"), std::string::npos);
  mv1::AppendResponse again;
  ASSERT_TRUE(append("billing", &again).ok());
  EXPECT_EQ(again.stored(), 0);
  EXPECT_EQ(again.duplicates(), 2) << "a batch sent again is stored once";
  EXPECT_EQ(*store->Count(), 2);
  EXPECT_EQ(store->Find({})->front().event.application, "billing")
      << "the event's own application field is not believed";
  mv1::AppendResponse person;
  grpc::Status st = append("person:ops", &person);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(st.error_message().find("log events come from applications"), std::string::npos);

  client::LoggerOptions lo = LoggerTo({server.address()});
  lo.max_text_bytes = 100;
  client::Logger log(lo);
  absl::StatusOr<std::string> big = log.Log(client::LogLevel::kTrace, 1, std::string(200, 'y'));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("shorten or split it"), std::string::npos);
}

TEST_F(LogServiceTest, AnApplicationOverItsRateIsRefusedToldAndCatchesUpLosingNothing) {
  auto store = OpenStore();
  Server server(*store, access_, {.application = "lms-1", .rate_per_app = 2000});
  client::LoggerOptions lo = LoggerTo({server.address()});
  lo.max_batch = 500;
  client::Logger log(lo);
  for (int i = 0; i < 9000; ++i) ASSERT_TRUE(log.Log(client::LogLevel::kTrace, 1, "flood").ok());
  ASSERT_TRUE(log.Flush(absl::Seconds(30))) << log.stats().last_error;
  client::LoggerStats s = log.stats();
  EXPECT_EQ(s.acknowledged, 9000);
  EXPECT_GT(s.rate_limited, 0);
  EXPECT_NE(s.last_error.find("sends more than 2000 log events/s"), std::string::npos)
      << s.last_error;
  EXPECT_EQ(*store->Count(), 9000);
  grpc::ClientContext ctx;
  ctx.AddMetadata(config::kClaimedMetadataKey, "person:ops");
  mv1::LogInfo info;
  ASSERT_TRUE(Stub(server.address())->GetLogInfo(&ctx, {}, &info).ok());
  ASSERT_EQ(info.applications_size(), 1);
  EXPECT_EQ(info.applications(0).application(), "billing");
  EXPECT_EQ(info.applications(0).stored(), 9000);
  EXPECT_GT(info.applications(0).rate_limited(), 0) << "reported, not silently suppressed";
  EXPECT_EQ(info.events(), 9000);
  EXPECT_TRUE(info.acting());
}

TEST_F(LogServiceTest, TheBackupRefusesAndTheLoggerFollowsThePair) {
  // Both servers of the pair share the Log Database (one host, one file).
  auto store_a = OpenStore();
  auto store_b = OpenStore();
  Server a(*store_a, access_, {.application = "lms-a", .partner = "lms-b"});
  Server b(*store_b, access_, {.application = "lms-b", .partner = "lms-a"});
  a.acting = false;
  client::Logger log(LoggerTo({a.address(), b.address()}));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log.Log(client::LogLevel::kStandard, 1, "x").ok());
  ASSERT_TRUE(log.Flush(absl::Seconds(10))) << log.stats().last_error;
  EXPECT_EQ(log.stats().server, b.address());
  EXPECT_NE(log.stats().last_error.find("lms-a is its pair's backup: send log events to lms-b"),
            std::string::npos)
      << log.stats().last_error;
  // A switchover: b is backup now.
  b.acting = false;
  a.acting = true;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log.Log(client::LogLevel::kStandard, 1, "y").ok());
  ASSERT_TRUE(log.Flush(absl::Seconds(10))) << log.stats().last_error;
  EXPECT_EQ(log.stats().server, a.address());
  EXPECT_EQ(*store_a->Count(), 200);
}

TEST_F(LogServiceTest, WhileNoServerAnswersEventsWaitInABoundedBufferAndDropsAreCounted) {
  auto store = OpenStore();
  int port = 0;
  {
    Server probe(*store, access_, {.application = "lms-1"});
    port = probe.listener->port();
  }
  client::LoggerOptions lo = LoggerTo({absl::StrCat("127.0.0.1:", port)});
  lo.max_buffered = 10;
  client::Logger log(lo);
  int dropped = 0;
  for (int i = 0; i < 15; ++i) {
    absl::StatusOr<std::string> id = log.Log(client::LogLevel::kStandard, 1, "waiting");
    if (!id.ok()) {
      EXPECT_EQ(id.status().code(), absl::StatusCode::kResourceExhausted);
      EXPECT_NE(id.status().message().find("the event is dropped and counted"), std::string::npos);
      ++dropped;
    }
  }
  EXPECT_EQ(dropped, 5);
  EXPECT_FALSE(log.Flush(absl::Milliseconds(300))) << "nobody acknowledged";
  EXPECT_EQ(log.stats().buffered, 10);
  EXPECT_EQ(log.stats().dropped, 5);
  Server server(*store, access_, {.application = "lms-1"}, port);
  ASSERT_TRUE(log.Flush(absl::Seconds(15))) << log.stats().last_error;
  EXPECT_EQ(log.stats().acknowledged, 10);
  EXPECT_EQ(*store->Count(), 10);
  grpc::ClientContext ctx;
  ctx.AddMetadata(config::kClaimedMetadataKey, "person:ops");
  mv1::LogInfo info;
  ASSERT_TRUE(Stub(server.address())->GetLogInfo(&ctx, {}, &info).ok());
  ASSERT_EQ(info.applications_size(), 1);
  EXPECT_EQ(info.applications(0).dropped_by_sender(), 5) << "the server is told of the drops";
}

TEST_F(LogServiceTest, ALogDatabaseThatCannotBeReachedAcknowledgesNothingAndCatchesUp) {
  testing::PostgresCluster pg;
  ASSERT_TRUE(pg.Start().ok());
  absl::StatusOr<std::string> conninfo = pg.CreateDatabase("lms");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  auto store = logdb::LogStore::OpenPostgres(*conninfo);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<std::string> published;
  absl::Mutex published_mu;
  AlarmEngine alarms(
      **store, [] { return BuiltInAlarmRules(); },
      [&](const logdb::Alarm& a, bool raised) {
        absl::MutexLock lock(&published_mu);
        published.push_back((raised ? "raised " : "cleared ") + a.condition);
      },
      Clock::Real());
  Server server(**store, access_, {.application = "lms-1", .host = "h9", .alarms = &alarms});
  client::Logger log(LoggerTo({server.address()}));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log.Log(client::LogLevel::kStandard, 1, "a").ok());
  ASSERT_TRUE(log.Flush(absl::Seconds(10))) << log.stats().last_error;
  ASSERT_TRUE(pg.Psql("postgres",
                      "ALTER DATABASE lms ALLOW_CONNECTIONS false;\n"
                      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                      "datname = 'lms';")
                  .ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log.Log(client::LogLevel::kStandard, 1, "b").ok());
  EXPECT_FALSE(log.Flush(absl::Seconds(3))) << "nothing acknowledged while it cannot store";
  client::LoggerStats s = log.stats();
  EXPECT_EQ(s.acknowledged, 100);
  EXPECT_EQ(s.buffered, 100);
  EXPECT_NE(s.last_error.find("could not store"), std::string::npos) << s.last_error;
  EXPECT_NE(s.last_error.find("keep them buffered"), std::string::npos) << s.last_error;
  // Its own alarm, from its memory (the Log Database cannot take it), for
  // `tandemctl alarms` too.
  auto listed = [&] {
    mv1::ListAlarmsRequest req;
    mv1::ListAlarmsResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata(config::kClaimedMetadataKey, "person:ops");
    EXPECT_TRUE(Stub(server.address())->ListAlarms(&ctx, req, &resp).ok());
    return resp;
  };
  const absl::Time until = absl::Now() + absl::Seconds(15);
  while (listed().alarms_size() == 0 && absl::Now() < until)
    absl::SleepFor(absl::Milliseconds(100));
  mv1::ListAlarmsResponse active = listed();
  ASSERT_EQ(active.alarms_size(), 1) << "appends failing for 3 s raise an alarm";
  EXPECT_EQ(active.alarms(0).condition(), kLogDatabaseUnreachable);
  EXPECT_EQ(active.alarms(0).application(), "lms-1");
  EXPECT_EQ(active.alarms(0).host(), "h9");
  ASSERT_TRUE(pg.Psql("postgres", "ALTER DATABASE lms ALLOW_CONNECTIONS true;").ok());
  ASSERT_TRUE(log.Flush(absl::Seconds(20))) << log.stats().last_error;
  EXPECT_EQ(*(*store)->Count(), 200) << "the buffered events went in, none twice";
  EXPECT_EQ(listed().alarms_size(), 0) << "cleared by the first append that succeeded";
  std::vector<logdb::Alarm> history = *(*store)->Alarms(true, 10);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].condition, kLogDatabaseUnreachable);
  EXPECT_EQ(history[0].cleared_by, "the Log Database stores again");
  absl::MutexLock lock(&published_mu);
  EXPECT_EQ(published,
            (std::vector<std::string>{"raised " + std::string(kLogDatabaseUnreachable),
                                      "cleared " + std::string(kLogDatabaseUnreachable)}));
}

}  // namespace
}  // namespace tandem::msg
