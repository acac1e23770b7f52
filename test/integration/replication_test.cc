// `tandemctl db` against real PostgreSQL 15 clusters standing for two
// regions: standbys, status, promotion, rebuild and fencing, with tandemd
// confserv writing through the primary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "confserv/write_applier.h"
#include "grpcpp/client_context.h"
#include "tandem/storage/storage.h"
#include "testing/config_ops.h"
#include "testing/netns.h"
#include "testing/postgres_cluster.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

namespace v1 = config::v1;
using testing::PostgresCluster;
using testing::TandemdProcess;

struct CtlResult {
  int code = -1;
  std::string out;
};

std::string Quote(const std::string& s) { return "'" + s + "'"; }

CtlResult Ctl(const std::string& args) {
  std::string cmd = testing::BinaryPath("tandemctl") + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  CtlResult r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// `db status -o json` for the given clusters (database "tandem").
nlohmann::json Status(const std::vector<const PostgresCluster*>& clusters, int* code = nullptr) {
  std::string args = "-o json db status";
  for (const PostgresCluster* c : clusters) args += " --conninfo " + Quote(c->conninfo("tandem"));
  CtlResult r = Ctl(args);
  if (code != nullptr) *code = r.code;
  // The JSON, without the one-line summary tandemctl writes to stderr.
  auto j = nlohmann::json::parse(r.out.substr(0, r.out.rfind('}') + 1), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

bool WaitFor(const std::function<bool()>& done, int seconds = 30) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

int64_t ConfigRevision(PostgresCluster& c) {
  auto out =
      c.Psql("tandem", "SELECT convert_from(value, 'UTF8') FROM meta WHERE key = 'revision';");
  return out.ok() ? std::atoll(out->c_str()) : -1;
}

int64_t CreateHost(TandemdProcess& server, const std::string& name,
                   grpc::Status* status = nullptr) {
  int64_t revision = -1;
  grpc::Status st = testing::CreateHost(server, name, &revision, std::chrono::seconds(20));
  if (status != nullptr) *status = st;
  return st.ok() ? revision : -1;
}

// Reads the whole history straight from a (standby) database and checks the
// hash chain from revision 1 to the stored revision.
void ExpectIntactChain(const std::string& conninfo, int64_t revision) {
  auto db = storage::OpenPostgres({.conninfo = conninfo});
  ASSERT_TRUE(db.ok()) << db.status();
  auto meta = (*db)->ReadMeta();
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->revision, revision);
  auto chunk = (*db)->ReadHistory(0, 1000000);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  ASSERT_EQ(static_cast<int64_t>(chunk->rows.size()), revision);
  std::string prev(32, '\0');
  for (size_t i = 0; i < chunk->rows.size(); ++i) {
    v1::Change change;
    ASSERT_TRUE(change.ParseFromString(chunk->rows[i].data));
    ASSERT_EQ(change.revision(), static_cast<int64_t>(i) + 1);
    ASSERT_EQ(change.hash(), confserv::ChainHash(prev, change));
    prev = change.hash();
  }
  EXPECT_EQ(meta->revision_hash, prev);
}

testing::TandemdOptions OnPostgres(const std::string& conninfo) {
  testing::TandemdOptions o;
  o.storage_toml = "[storage]\nbackend = \"postgres\"\nconninfo = \"" + conninfo + "\"\n";
  return o;
}

std::string PrimaryConninfo(const PostgresCluster& c) {
  return absl::StrCat("host=127.0.0.1 port=", c.port(), " user=postgres");
}

// Builds a standby of `primary` in `standby` with tandemctl.
CtlResult CreateStandby(const PostgresCluster& primary, PostgresCluster& standby,
                        const std::string& name, bool sync) {
  standby.Reserve();
  CtlResult r =
      Ctl(absl::StrCat("db replica create --primary ", Quote(PrimaryConninfo(primary)),
                       " --pgdata ", standby.data_dir(), " --name ", name, sync ? " --sync" : "",
                       " --start-options ", Quote(standby.server_options())));
  if (r.code == 0) standby.Adopt();
  return r;
}

class Replication : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/lib/postgresql/15/bin/initdb")) {
      GTEST_SKIP() << "PostgreSQL 15 is not installed (scripts/install-deps.sh)";
    }
    ASSERT_TRUE(primary_.Start().ok());
    auto c = primary_.CreateDatabase("tandem");
    ASSERT_TRUE(c.ok()) << c.status();
  }
  PostgresCluster primary_;  // region 1
  PostgresCluster standby_;  // region 2
};

// Asynchronous standby: same revisions and chain; status counts exactly the
// revisions it lacks; promote (twice); confserv on it serves everything;
// rebuild turns the old primary into its standby.
TEST_F(Replication, AsyncStandbyStatusPromoteRebuild) {
  TandemdProcess server(OnPostgres(primary_.conninfo("tandem")));
  server.Start();
  for (int i = 0; i < 20; ++i) ASSERT_GT(CreateHost(server, "h" + std::to_string(i)), 0);

  CtlResult r = CreateStandby(primary_, standby_, "region2", false);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("streams from the primary, asynchronously"), std::string::npos) << r.out;
  for (int i = 20; i < 30; ++i) ASSERT_GT(CreateHost(server, "h" + std::to_string(i)), 0);
  ASSERT_TRUE(WaitFor([&] { return ConfigRevision(standby_) == 30; })) << ConfigRevision(standby_);
  ExpectIntactChain(standby_.conninfo("tandem"), 30);

  // Status: roles, the standby streaming async, nothing missing.
  nlohmann::json s = Status({&primary_, &standby_});
  ASSERT_EQ(s["servers"].size(), 2u) << s.dump(2);
  EXPECT_EQ(s["servers"][0]["role"], "primary");
  EXPECT_EQ(s["servers"][1]["role"], "standby");
  ASSERT_EQ(s["servers"][0]["standbys"].size(), 1u) << s.dump(2);
  EXPECT_EQ(s["servers"][0]["standbys"][0]["name"], "region2");
  EXPECT_EQ(s["servers"][0]["standbys"][0]["state"], "streaming");
  EXPECT_EQ(s["servers"][0]["standbys"][0]["sync_state"], "async");
  EXPECT_EQ(s["servers"][0]["config_database"]["revision"], 30);
  EXPECT_EQ(s["servers"][1]["config_database"]["missing_revisions"], 0);

  // The standby stops replaying: status says exactly how far behind it is.
  ASSERT_TRUE(standby_.Psql("postgres", "SELECT pg_wal_replay_pause();").ok());
  for (int i = 30; i < 37; ++i) ASSERT_GT(CreateHost(server, "h" + std::to_string(i)), 0);
  // WAL is received (flushed) but not replayed; wait until it arrived.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int code = -1;
  s = Status({&primary_, &standby_}, &code);
  EXPECT_EQ(code, 1) << s.dump(2);  // the paused replay is a warning
  EXPECT_EQ(s["servers"][1]["config_database"]["revision"], 30) << s.dump(2);
  EXPECT_EQ(s["servers"][1]["config_database"]["missing_revisions"], 7) << s.dump(2);
  EXPECT_GT(s["servers"][1]["lag_bytes"].get<int64_t>(), 0) << s.dump(2);
  EXPECT_EQ(s["servers"][1]["replay_paused"], true);
  CtlResult table = Ctl(absl::StrCat("db status --conninfo ", Quote(primary_.conninfo("tandem")),
                                     " --conninfo ", Quote(standby_.conninfo("tandem"))));
  EXPECT_NE(table.out.find("7 revisions"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("replay is paused"), std::string::npos) << table.out;
  ASSERT_TRUE(standby_.Psql("postgres", "SELECT pg_wal_replay_resume();").ok());
  ASSERT_TRUE(WaitFor([&] { return ConfigRevision(standby_) == 37; }));

  // Region 1 goes away; region 2 is promoted, then promoted "again".
  server.Kill();
  primary_.Stop();
  r = Ctl("db promote --conninfo " + Quote(standby_.conninfo("tandem")));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("first write accepted after"), std::string::npos) << r.out;
  r = Ctl("db promote --conninfo " + Quote(standby_.conninfo("tandem")));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("already a primary"), std::string::npos) << r.out;

  // confserv on the promoted standby serves the whole configuration and writes.
  TandemdProcess region2(OnPostgres(standby_.conninfo("tandem")));
  region2.Start();
  {
    auto stub = region2.Stub();
    grpc::ClientContext ctx;
    v1::ListRequest req;
    req.set_type(v1::OBJECT_TYPE_HOST);
    auto reader = stub->List(&ctx, req);
    v1::ListResponse page;
    size_t hosts = 0;
    while (reader->Read(&page)) hosts += page.objects_size();
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(hosts, 37u);
  }
  EXPECT_EQ(CreateHost(region2, "after-failover"), 38);

  // Rebuild refuses a running server, then makes the old primary a standby.
  r = Ctl(absl::StrCat("db rebuild --primary ", Quote(PrimaryConninfo(standby_)), " --pgdata ",
                       standby_.data_dir(), " --name region1"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("stop it first"), std::string::npos) << r.out;
  primary_.Reserve();
  r = Ctl(absl::StrCat("db rebuild --primary ", Quote(PrimaryConninfo(standby_)), " --pgdata ",
                       primary_.data_dir(), " --name region1 --start-options ",
                       Quote(primary_.server_options())));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("rewound with pg_rewind"), std::string::npos) << r.out;
  primary_.Adopt();
  EXPECT_EQ(CreateHost(region2, "after-rebuild"), 39);
  ASSERT_TRUE(WaitFor([&] { return ConfigRevision(primary_) == 39; })) << ConfigRevision(primary_);
  ExpectIntactChain(primary_.conninfo("tandem"), 39);
  s = Status({&standby_, &primary_});
  EXPECT_EQ(s["servers"][0]["role"], "primary");
  EXPECT_EQ(s["servers"][1]["role"], "standby");
  EXPECT_EQ(s["servers"][0]["standbys"][0]["name"], "region1");
  region2.Kill();
}

// A planned switchover's last step, at once: the standby is promoted while
// the old primary runs, the old primary stops (its shutdown checkpoint lands
// after the fork) and is rewound right away. The promoted server has many
// dirty buffers, so its end-of-recovery checkpoint (spread) is still going:
// its control file still names the old timeline unless rebuild forces the
// checkpoint, and pg_rewind would then leave a standby that cannot follow.
TEST_F(Replication, RebuildRightAfterAPromotionFollowsTheNewTimeline) {
  CtlResult r = CreateStandby(primary_, standby_, "region2", false);
  ASSERT_EQ(r.code, 0) << r.out;
  // pg_rewind reads the old primary's WAL back to the last common
  // checkpoint: keep it through the filler's checkpoints.
  ASSERT_TRUE(
      primary_
          .Psql("postgres", "ALTER SYSTEM SET wal_keep_size = '512MB'; SELECT pg_reload_conf();")
          .ok());
  ASSERT_TRUE(primary_
                  .Psql("tandem",
                        "CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad "
                        "FROM generate_series(1, 200000) g;")
                  .ok());
  ASSERT_TRUE(WaitFor([&] {
    auto n = standby_.Psql("tandem", "SELECT count(*) FROM filler");
    return n.ok() && absl::StrContains(*n, "200000");
  }));
  r = Ctl("db promote --conninfo " + Quote(standby_.conninfo("tandem")));
  ASSERT_EQ(r.code, 0) << r.out;
  primary_.Stop();
  primary_.Reserve();
  r = Ctl(absl::StrCat("db rebuild --method rewind --primary ", Quote(PrimaryConninfo(standby_)),
                       " --pgdata ", primary_.data_dir(), " --name region1 --start-options ",
                       Quote(primary_.server_options())));
  ASSERT_EQ(r.code, 0) << r.out;
  primary_.Adopt();
  EXPECT_NE(r.out.find("rewound with pg_rewind"), std::string::npos) << r.out;
  // It follows the new primary.
  ASSERT_TRUE(standby_.Psql("tandem", "CREATE TABLE after_rebuild (x int);").ok());
  EXPECT_TRUE(WaitFor([&] {
    auto n =
        primary_.Psql("tandem", "SELECT count(*) FROM pg_tables WHERE tablename = 'after_rebuild'");
    return n.ok() && absl::StrContains(*n, "1");
  }));
}

// Synchronous standby: every acknowledged write survives the loss of the
// primary's region (kill -9 of confserv, immediate stop of the DBMS).
TEST_F(Replication, SyncStandbyLosesNoAcknowledgedWrite) {
  CtlResult r = CreateStandby(primary_, standby_, "region2", true);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("synchronously"), std::string::npos) << r.out;
  nlohmann::json s = Status({&primary_, &standby_});
  EXPECT_EQ(s["servers"][0]["synchronous_standby_names"], "region2") << s.dump(2);
  EXPECT_EQ(s["servers"][0]["standbys"][0]["sync_state"], "sync") << s.dump(2);

  // A missing synchronous standby is shown, and status exits 1.
  standby_.Stop();
  int code = 0;
  s = Status({&primary_}, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(s["servers"][0]["missing_sync_standbys"], nlohmann::json::array({"region2"}))
      << s.dump(2);
  CtlResult table = Ctl("db status --conninfo " + Quote(primary_.conninfo("tandem")));
  EXPECT_NE(table.out.find("MISSING"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("synchronous standby 'region2' is not streaming"), std::string::npos)
      << table.out;
  ASSERT_TRUE(standby_.Restart().ok());
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json again = Status({&primary_});
    return again["servers"][0]["missing_sync_standbys"].empty();
  }));

  TandemdProcess server(OnPostgres(primary_.conninfo("tandem")));
  server.Start();
  std::map<std::string, int64_t> acked;
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 6; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        const int64_t rev = CreateHost(server, name);
        if (rev > 0) {
          std::lock_guard<std::mutex> l(mu);
          acked[name] = rev;
        }
      }
    });
  }
  // Writes run for at least 1.5 s and until more than 50 are acknowledged
  // (a sanitized build on a loaded machine acknowledges far fewer per second).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  for (int i = 0; i < 300; ++i) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (acked.size() > 50u) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Region 1 is lost at once: the DBMS dies without a shutdown checkpoint.
  ASSERT_EQ(std::system(absl::StrCat("runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D ",
                                     primary_.data_dir(), " -m immediate stop >/dev/null 2>&1")
                            .c_str()),
            0);
  server.Kill();
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_GT(acked.size(), 50u);

  r = Ctl("db promote --conninfo " + Quote(standby_.conninfo("tandem")));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("promoted"), std::string::npos) << r.out;
  TandemdProcess region2(OnPostgres(standby_.conninfo("tandem")));
  region2.Start();
  testing::ExpectHostsAtRevisions(region2, acked);
  const int64_t meta_rev = ConfigRevision(standby_);
  ExpectIntactChain(standby_.conninfo("tandem"), meta_rev);

  // Failback preparation: the crashed old primary becomes the synchronous
  // standby of region 2 by a new base backup; its old directory is kept.
  primary_.Reserve();
  r = Ctl(absl::StrCat("db rebuild --method basebackup --sync --primary ",
                       Quote(PrimaryConninfo(standby_)), " --pgdata ", primary_.data_dir(),
                       " --name region1 --start-options ", Quote(primary_.server_options())));
  ASSERT_EQ(r.code, 0) << r.out;
  primary_.Adopt();
  EXPECT_NE(r.out.find("the old data directory is kept as"), std::string::npos) << r.out;
  bool kept = false;
  for (const auto& e : std::filesystem::directory_iterator(
           std::filesystem::path(primary_.data_dir()).parent_path())) {
    kept |= e.path().filename().string().rfind("data.before-rebuild-", 0) == 0;
  }
  EXPECT_TRUE(kept);
  s = Status({&standby_, &primary_});
  EXPECT_EQ(s["servers"][0]["standbys"][0]["name"], "region1") << s.dump(2);
  EXPECT_EQ(s["servers"][0]["standbys"][0]["sync_state"], "sync") << s.dump(2);
  EXPECT_EQ(CreateHost(region2, "after-failback-prep"), meta_rev + 1);
  // Synchronous (remote flush): the WAL is there; replay follows at once.
  EXPECT_TRUE(WaitFor([&] { return ConfigRevision(primary_) == meta_rev + 1; }, 5));
  region2.Kill();
}

// psql from another host (namespace) to the cluster; "ok" or its error.
std::string ConnectFrom(const testing::NetnsHost& host, const std::string& server_address,
                        int port) {
  CtlResult r;
  std::string cmd = absl::StrCat(
      host.Exec(), "/usr/lib/postgresql/15/bin/psql 'host=", server_address, " port=", port,
      " user=postgres dbname=postgres connect_timeout=3' -XAtc "
      "'select 1' 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  return pclose(p) == 0 && r.out == "1\n" ? "ok" : r.out;
}

// A fenced DBMS refuses the fenced addresses and still accepts the others;
// unfence restores them. Both methods; both idempotent; shown by status.
TEST_F(Replication, FenceAndUnfence) {
  testing::NetnsHost a("A", "198.51.100.0"), b("B", "203.0.113.0");
  if (absl::Status st = a.Create(); !st.ok()) GTEST_SKIP() << st;
  ASSERT_TRUE(b.Create().ok());
  primary_.set_listen_addresses(
      absl::StrCat("127.0.0.1,", a.peer_address(), ",", b.peer_address()));
  ASSERT_TRUE(primary_.Restart().ok());
  std::ofstream(primary_.data_dir() + "/pg_hba.conf", std::ios::app)
      << "host all all " << a.address() << "/32 trust\nhost all all " << b.address()
      << "/32 trust\n";
  ASSERT_TRUE(primary_.Psql("postgres", "SELECT pg_reload_conf();").ok());
  const int port = primary_.port();
  ASSERT_EQ(ConnectFrom(a, a.peer_address(), port), "ok");
  ASSERT_EQ(ConnectFrom(b, b.peer_address(), port), "ok");
  // Over the Unix socket: never fenced.
  const std::string local =
      Quote(absl::StrCat("host=", primary_.socket_dir(), " port=", port, " user=postgres"));

  // pg_hba.conf: a session from A is running; the fence ends it.
  ASSERT_EQ(std::system(absl::StrCat(a.Exec(), "/usr/lib/postgresql/15/bin/psql 'host=",
                                     a.peer_address(), " port=", port,
                                     " user=postgres dbname=postgres' -Xc 'select pg_sleep(30)' "
                                     ">/dev/null 2>&1 &")
                            .c_str()),
            0);
  ASSERT_TRUE(WaitFor([&] {
    auto n = primary_.Psql("postgres", absl::StrCat("SELECT count(*) FROM pg_stat_activity WHERE "
                                                    "client_addr = '",
                                                    a.address(), "';"));
    return n.ok() && *n == "1\n";
  }));
  CtlResult r = Ctl("-o json db fence --from " + a.address() + " --conninfo " + local);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["fenced"], nlohmann::json::array({a.address() + "/32"}));
  EXPECT_EQ(j["sessions_ended"], 1);
  EXPECT_NE(ConnectFrom(a, a.peer_address(), port).find("pg_hba.conf rejects connection"),
            std::string::npos);
  EXPECT_EQ(ConnectFrom(b, b.peer_address(), port), "ok");
  r = Ctl("db fence --from " + a.address() + " --conninfo " + local);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("already fenced: " + a.address() + "/32"), std::string::npos) << r.out;
  r = Ctl("db status --conninfo " + local);
  EXPECT_NE(r.out.find(a.address() + "/32"), std::string::npos) << r.out;
  r = Ctl("db unfence --from " + a.address() + " --conninfo " + local);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ConnectFrom(a, a.peer_address(), port), "ok");
  r = Ctl("db unfence --from " + a.address() + " --conninfo " + local);
  EXPECT_NE(r.out.find("not fenced"), std::string::npos) << r.out;
  std::ifstream hba(primary_.data_dir() + "/pg_hba.conf");
  std::string text((std::istreambuf_iterator<char>(hba)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("tandem fence"), std::string::npos) << text;

  // nftables on this host: a reset for A's packets to the DBMS port.
  const std::string table = absl::StrCat("tandem_fence_test", getpid());
  r = Ctl(absl::StrCat("db fence --method nft --nft-table ", table, " --from ", a.address(),
                       " --conninfo ", local));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(ConnectFrom(a, a.peer_address(), port).find("refused"), std::string::npos);
  EXPECT_EQ(ConnectFrom(b, b.peer_address(), port), "ok");
  r = Ctl(absl::StrCat("db fence --method nft --nft-table ", table, " --from ", a.address(),
                       " --port ", port));
  EXPECT_NE(r.out.find("already fenced"), std::string::npos) << r.out;
  r = Ctl(absl::StrCat("db status --nft-table ", table, " --conninfo ", local));
  EXPECT_NE(r.out.find(absl::StrCat(a.address(), "/32 port ", port)), std::string::npos) << r.out;
  r = Ctl(absl::StrCat("db unfence --method nft --nft-table ", table, " --from ", a.address(),
                       " --port ", port));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ConnectFrom(a, a.peer_address(), port), "ok");
  EXPECT_NE(std::system(("nft list table inet " + table + " >/dev/null 2>&1").c_str()), 0);
}

// conninfo listing both regions: the writable one is found again by itself.
std::string BothRegions(const PostgresCluster& r1, const PostgresCluster& r2) {
  return absl::StrCat("host=127.0.0.1,127.0.0.1 port=", r1.port(), ",", r2.port(),
                      " user=postgres dbname=tandem target_session_attrs=read-write "
                      "connect_timeout=2");
}

// A running confserv whose conninfo lists both regions follows a DBMS
// failover without a restart: writes fail (UNAVAILABLE, nothing applied)
// while no DBMS is writable and work again once the standby is promoted.
TEST_F(Replication, ConfservFollowsDbmsFailover) {
  ASSERT_EQ(CreateStandby(primary_, standby_, "region2", true).code, 0);
  TandemdProcess server(OnPostgres(BothRegions(primary_, standby_)));
  server.Start();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(CreateHost(server, "h" + std::to_string(i)), i + 1);
  primary_.Stop();
  grpc::Status st;
  EXPECT_EQ(CreateHost(server, "during-outage", &st), -1);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  CtlResult r = Ctl("db promote --conninfo " + Quote(standby_.conninfo("tandem")));
  ASSERT_EQ(r.code, 0) << r.out;
  int64_t revision = -1;
  ASSERT_TRUE(WaitFor([&] { return (revision = CreateHost(server, "after")) > 0; }, 20))
      << server.Log();
  EXPECT_EQ(revision, 11);  // the write during the outage was not applied
  EXPECT_EQ(server.Log().find("restarting"), std::string::npos) << server.Log();
  ExpectIntactChain(standby_.conninfo("tandem"), 11);
  server.Kill();
}

// An asynchronous failover that lost revisions: the running confserv's next
// write is refused by the revision guard before it writes anything, and the
// server restarts to reload what the database has (a supervisor restarts it;
// here the test does).
TEST_F(Replication, AsyncFailoverThatLostRevisionsMakesConfservReload) {
  ASSERT_EQ(CreateStandby(primary_, standby_, "region2", false).code, 0);
  TandemdProcess server(OnPostgres(BothRegions(primary_, standby_)));
  server.Start();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(CreateHost(server, "h" + std::to_string(i)), i + 1);
  ASSERT_TRUE(WaitFor([&] { return ConfigRevision(standby_) == 10; }));
  standby_.Stop();  // region 2 falls behind ...
  for (int i = 10; i < 15; ++i) ASSERT_EQ(CreateHost(server, "h" + std::to_string(i)), i + 1);
  primary_.Stop();  // ... and region 1 is lost with revisions 11-15
  ASSERT_TRUE(standby_.Restart().ok());
  ASSERT_EQ(Ctl("db promote --conninfo " + Quote(standby_.conninfo("tandem"))).code, 0);
  grpc::Status st;
  for (int i = 0; i < 40 && server.running(); ++i) {
    CreateHost(server, "after", &st);
    EXPECT_FALSE(st.ok());  // never written on top of the gap
    int status = 0;
    if (server.Exited(1, &status)) break;
  }
  ASSERT_FALSE(server.running());
  EXPECT_NE(server.Log().find("the configuration database is at revision 10 but this server is "
                              "at revision 15"),
            std::string::npos)
      << server.Log();
  EXPECT_EQ(ConfigRevision(standby_), 10);
  server.Start();
  EXPECT_EQ(CreateHost(server, "after-reload"), 11);
  ExpectIntactChain(standby_.conninfo("tandem"), 11);
  server.Kill();
}

// Bad input leaves nothing half done.
TEST_F(Replication, BadInput) {
  // replica create onto a non-empty directory: refused, directory untouched.
  testing::TempDir dir;
  std::ofstream(dir.file("keep.txt")) << "precious";
  CtlResult r = Ctl(absl::StrCat("db replica create --primary ", Quote(PrimaryConninfo(primary_)),
                                 " --pgdata ", dir.path()));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("is not empty"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.file("keep.txt")));
  // Onto the running primary's own directory: refused too.
  r = Ctl(absl::StrCat("db replica create --primary ", Quote(PrimaryConninfo(primary_)),
                       " --pgdata ", primary_.data_dir()));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("holds a PostgreSQL data directory"), std::string::npos) << r.out;
  // A primary that is not there: clear error, no directory left behind.
  const std::string fresh = dir.file("fresh");
  r =
      Ctl(absl::StrCat("db replica create --primary 'host=127.0.0.1 port=1 connect_timeout=2' "
                       "--pgdata ",
                       fresh));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("cannot connect to PostgreSQL"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(fresh));
  // A bad standby name, a bad address: usage errors.
  r = Ctl(absl::StrCat("db replica create --primary ", Quote(PrimaryConninfo(primary_)),
                       " --pgdata ", fresh, " --name 'Bad Name'"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("lowercase"), std::string::npos) << r.out;
  r = Ctl("db fence --from 198.51.100.300 --conninfo " + Quote(primary_.conninfo()));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("not an IP address"), std::string::npos) << r.out;
  // Promoting a primary is a no-op.
  r = Ctl("db promote --conninfo " + Quote(primary_.conninfo()));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("already a primary"), std::string::npos) << r.out;
  // Status of a database without the Tandem schema, and of nothing.
  r = Ctl("db status --conninfo " + Quote(primary_.conninfo("postgres")));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("no Tandem schema"), std::string::npos) << r.out;
  r = Ctl("db status --conninfo 'host=127.0.0.1 port=1 connect_timeout=2'");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("unreachable"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tandem
