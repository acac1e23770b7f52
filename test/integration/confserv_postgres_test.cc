// tandemd confserv on a real PostgreSQL 15 cluster: acknowledged writes
// survive kill -9 and the history chain is intact.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include "confserv/write_applier.h"
#include "grpcpp/client_context.h"
#include "testing/config_ops.h"
#include "testing/postgres_cluster.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

namespace v1 = config::v1;

// kill -9 during a concurrent write load on PostgreSQL loses no acknowledged
// write; the restarted server continues the same chain.
TEST(ConfServPostgres, KillNineLosesNoAcknowledgedWrite) {
  testing::PostgresCluster pg;
  ASSERT_TRUE(pg.Start().ok());
  auto conninfo = pg.CreateDatabase("tandem");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  testing::TandemdOptions options;
  options.storage_toml = "[storage]\nbackend = \"postgres\"\nconninfo = \"" + *conninfo + "\"\n";
  testing::TandemdProcess server(options);
  server.Start();
  std::map<std::string, int64_t> acked;
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      auto stub = server.Stub();
      for (int i = 0; !stop; ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::CreateRequest req;
        req.mutable_object()->set_type(v1::OBJECT_TYPE_HOST);
        req.mutable_object()->set_name("t" + std::to_string(t) + "-" + std::to_string(i));
        (*req.mutable_object()->mutable_properties())["address"].set_string_value("192.0.2.7");
        v1::CreateResponse resp;
        if (stub->Create(&ctx, req, &resp).ok()) {
          std::lock_guard<std::mutex> l(mu);
          acked[req.object().name()] = resp.revision();
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  server.Kill();
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_GT(acked.size(), 50u);
  server.Start();
  auto stub = server.Stub();
  EXPECT_NE(server.Log().find("postgres:127.0.0.1"), std::string::npos) << server.Log();
  testing::ExpectHostsAtRevisions(server, acked);
  // The chain continues across the restart.
  grpc::ClientContext ctx;
  v1::HistoryRequest req;
  req.set_limit(10000);
  v1::HistoryResponse history;
  ASSERT_TRUE(stub->History(&ctx, req, &history).ok());
  std::string prev(32, '\0');
  for (int i = 0; i < history.changes_size(); ++i) {
    ASSERT_EQ(history.changes(i).revision(), i + 1);
    ASSERT_EQ(history.changes(i).hash(), confserv::ChainHash(prev, history.changes(i)));
    prev = history.changes(i).hash();
  }
  server.Kill();
}

// Runs tandemctl; returns exit code and combined output.
std::pair<int, std::string> Ctl(const std::string& args) {
  std::string cmd = testing::BinaryPath("tandemctl") + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// `tandemctl db init` creates the schema once, is a no-op the second time,
// and refuses another application's database without touching it.
TEST(ConfServPostgres, DbInit) {
  testing::PostgresCluster pg;
  ASSERT_TRUE(pg.Start().ok());
  auto conninfo = pg.CreateDatabase("fresh");
  ASSERT_TRUE(conninfo.ok());
  auto [code, out] = Ctl("db init --conninfo '" + *conninfo + "'");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("schema version 2, revision 0"), std::string::npos) << out;
  std::tie(code, out) = Ctl("-o json db init --conninfo '" + *conninfo + "'");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("\"schema_version\": 2"), std::string::npos) << out;

  auto foreign = pg.CreateDatabase("foreign_app");
  ASSERT_TRUE(foreign.ok());
  ASSERT_TRUE(pg.Psql("foreign_app", "CREATE TABLE customers(id int);").ok());
  std::tie(code, out) = Ctl("db init --conninfo '" + *foreign + "'");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("not a Tandem configuration database"), std::string::npos) << out;
  EXPECT_EQ(*pg.Psql("foreign_app", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public';"),
            "1\n");

  std::tie(code, out) =
      Ctl("db init --conninfo 'host=127.0.0.1 port=1 dbname=x connect_timeout=2'");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("cannot connect to PostgreSQL"), std::string::npos) << out;
  std::tie(code, out) = Ctl("db init");
  EXPECT_EQ(code, 2) << out;
}

}  // namespace
}  // namespace tandem
