// tandemd confserv on a PostgreSQL primary with a synchronous standby: with
// the standby down a commit no longer hangs for ever; "wait" reports it as
// committed but not replicated, "degrade" switches to asynchronous commits
// with an alarm and back once the standby streams again.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "testing/postgres_cluster.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

namespace v1 = config::v1;

bool PostgresInstalled() { return std::filesystem::exists("/usr/lib/postgresql/15/bin/initdb"); }

// A primary with database "tandem" and a streaming standby that the primary
// must wait for (synchronous_standby_names = 'standby1').
class SyncPair {
 public:
  absl::Status Start() {
    if (auto st = primary_.Start(); !st.ok()) return st;
    auto conninfo = primary_.CreateDatabase("tandem");
    if (!conninfo.ok()) return conninfo.status();
    conninfo_ = *conninfo;
    if (auto st = standby_.StartStandbyOf(primary_, "standby1"); !st.ok()) return st;
    auto set = primary_.Psql("postgres",
                             "ALTER SYSTEM SET synchronous_standby_names = 'standby1';\n"
                             "SELECT pg_reload_conf();\n");
    if (!set.ok()) return set.status();
    return WaitStreaming();
  }

  //! Waits (up to 20 s) until the standby streams as the synchronous standby.
  absl::Status WaitStreaming() {
    const absl::Time until = absl::Now() + absl::Seconds(20);
    while (absl::Now() < until) {
      auto n = primary_.Psql("postgres",
                             "SELECT count(*) FROM pg_stat_replication WHERE application_name = "
                             "'standby1' AND state = 'streaming' AND sync_state = 'sync';");
      if (n.ok() && *n == "1\n") return absl::OkStatus();
      absl::SleepFor(absl::Milliseconds(100));
    }
    return absl::DeadlineExceededError("standby1 is not streaming as synchronous standby");
  }

  //! meta.revision as the standby has replayed it.
  std::string StandbyRevision() {
    auto r = standby_.Psql("tandem",
                           "SELECT convert_from(value, 'UTF8') FROM meta WHERE key = 'revision';");
    return r.ok() ? std::string(absl::StripSuffix(*r, "\n")) : r.status().ToString();
  }

  testing::PostgresCluster& standby() { return standby_; }

  std::string StorageToml(int timeout_s, const std::string& mode) const {
    return absl::StrCat("[storage]\nbackend = \"postgres\"\nconninfo = \"", conninfo_,
                        "\"\nsync_commit_timeout_s = ", timeout_s, "\non_sync_standby_lost = \"",
                        mode, "\"\n");
  }

 private:
  testing::PostgresCluster primary_;
  testing::PostgresCluster standby_;
  std::string conninfo_;
};

// A Create with a generous client deadline; `took` is how long it ran.
grpc::Status CreateHost(v1::ConfigService::Stub& stub, const std::string& name,
                        v1::CreateResponse* resp, absl::Duration* took) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::CreateRequest req;
  req.mutable_object()->set_type(v1::OBJECT_TYPE_HOST);
  req.mutable_object()->set_name(name);
  (*req.mutable_object()->mutable_properties())["address"].set_string_value("192.0.2.7");
  const absl::Time t0 = absl::Now();
  grpc::Status status = stub.Create(&ctx, req, resp);
  *took = absl::Now() - t0;
  return status;
}

v1::ServerInfo Info(v1::ConfigService::Stub& stub) {
  grpc::ClientContext ctx;
  v1::ServerInfo info;
  EXPECT_TRUE(stub.GetServerInfo(&ctx, v1::ServerInfoRequest(), &info).ok());
  return info;
}

bool Exists(v1::ConfigService::Stub& stub, const std::string& name) {
  grpc::ClientContext ctx;
  v1::GetRequest req;
  req.set_type(v1::OBJECT_TYPE_HOST);
  req.set_name(name);
  v1::GetResponse resp;
  return stub.Get(&ctx, req, &resp).ok();
}

// Polls fn (up to `limit`) until it is true.
template <typename Fn>
bool Eventually(Fn fn, absl::Duration limit) {
  const absl::Time until = absl::Now() + limit;
  while (absl::Now() < until) {
    if (fn()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return fn();
}

// "wait": with the standby up a write reaches it; with it down a write ends
// after the timeout with DEADLINE_EXCEEDED "durable on the primary", yet is
// applied, readable and watched, and the server goes on; once the standby is
// back writes succeed normally again.
TEST(SyncStandby, WaitModeReportsCommittedNotReplicated) {
  if (!PostgresInstalled()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
  SyncPair pair;
  ASSERT_TRUE(pair.Start().ok());
  testing::TandemdOptions options;
  options.storage_toml = pair.StorageToml(1, "wait");
  testing::TandemdProcess server(options);
  server.Start();
  auto stub = server.Stub();

  v1::CreateResponse resp;
  absl::Duration took;
  ASSERT_TRUE(CreateHost(*stub, "replicated", &resp, &took).ok()) << server.Log();
  const int64_t rev = resp.revision();
  EXPECT_TRUE(
      Eventually([&] { return pair.StandbyRevision() == absl::StrCat(rev); }, absl::Seconds(5)))
      << pair.StandbyRevision();

  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto watch = stub->Watch(&watch_ctx, v1::WatchRequest());
  v1::WatchResponse live;
  ASSERT_TRUE(watch->Read(&live));  // "live" marker

  pair.standby().Stop();
  grpc::Status st = CreateHost(*stub, "unreplicated", &resp, &took);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  EXPECT_NE(st.error_message().find("durable on the primary"), std::string::npos)
      << st.error_message();
  EXPECT_NE(st.error_message().find(absl::StrCat("revision ", rev + 1)), std::string::npos)
      << st.error_message();
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LE(took, absl::Seconds(4));
  // Applied: readable, counted, watched.
  EXPECT_TRUE(Exists(*stub, "unreplicated"));
  v1::ServerInfo info = Info(*stub);
  EXPECT_EQ(info.revision(), rev + 1);
  ASSERT_EQ(testing::Alarms(info).size(), 1u) << server.Log();
  EXPECT_TRUE(absl::StrContains(testing::Alarms(info)[0], "no synchronous standby"))
      << testing::Alarms(info)[0];
  v1::WatchResponse change;
  ASSERT_TRUE(watch->Read(&change));
  ASSERT_EQ(change.changes_size(), 1);
  EXPECT_EQ(change.changes(0).after().name(), "unreplicated");
  EXPECT_TRUE(server.running());

  ASSERT_TRUE(pair.standby().Restart().ok());
  ASSERT_TRUE(pair.WaitStreaming().ok());
  ASSERT_TRUE(CreateHost(*stub, "after", &resp, &took).ok()) << server.Log();
  EXPECT_EQ(resp.revision(), rev + 2);
  EXPECT_LT(took, absl::Seconds(1));
  EXPECT_EQ(testing::Alarms(Info(*stub)).size(), 0u);
  EXPECT_TRUE(Eventually([&] { return pair.StandbyRevision() == absl::StrCat(rev + 2); },
                         absl::Seconds(5)));
  watch_ctx.TryCancel();
  EXPECT_EQ(server.Terminate(), 0) << server.Log();
}

// "degrade": with the standby down the first write waits the timeout and
// succeeds, an alarm is raised and later writes are fast; once the standby
// streams again the alarm clears and commits wait for it again.
TEST(SyncStandby, DegradeModeKeepsWritingAndRestores) {
  if (!PostgresInstalled()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
  SyncPair pair;
  ASSERT_TRUE(pair.Start().ok());
  testing::TandemdOptions options;
  options.storage_toml = pair.StorageToml(1, "degrade");
  testing::TandemdProcess server(options);
  server.Start();
  auto stub = server.Stub();
  v1::CreateResponse resp;
  absl::Duration took;
  ASSERT_TRUE(CreateHost(*stub, "synced", &resp, &took).ok()) << server.Log();
  EXPECT_EQ(testing::Alarms(Info(*stub)).size(), 0u);

  pair.standby().Stop();
  grpc::Status st = CreateHost(*stub, "degraded-0", &resp, &took);
  ASSERT_TRUE(st.ok()) << st.error_message() << server.Log();
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LE(took, absl::Seconds(4));
  v1::ServerInfo info = Info(*stub);
  ASSERT_EQ(testing::Alarms(info).size(), 1u);
  EXPECT_TRUE(absl::StrContains(testing::Alarms(info)[0], "degraded")) << testing::Alarms(info)[0];
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(CreateHost(*stub, absl::StrCat("degraded-", i), &resp, &took).ok());
    EXPECT_LT(took, absl::Milliseconds(500)) << "write " << i << " waited for the standby";
  }

  ASSERT_TRUE(pair.standby().Restart().ok());
  ASSERT_TRUE(pair.WaitStreaming().ok());
  EXPECT_TRUE(Eventually([&] { return testing::Alarms(Info(*stub)).empty(); }, absl::Seconds(12)))
      << server.Log();
  EXPECT_NE(server.Log().find("synchronous_commit restored"), std::string::npos);
  ASSERT_TRUE(CreateHost(*stub, "resynced", &resp, &took).ok());
  EXPECT_TRUE(Eventually([&] { return pair.StandbyRevision() == absl::StrCat(resp.revision()); },
                         absl::Seconds(5)));

  // Synchronous again: with the standby gone the next write waits once more.
  pair.standby().Stop();
  ASSERT_TRUE(CreateHost(*stub, "degraded-again", &resp, &took).ok());
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_EQ(testing::Alarms(Info(*stub)).size(), 1u);
  EXPECT_EQ(server.Terminate(), 0) << server.Log();
}

}  // namespace
}  // namespace tandem
