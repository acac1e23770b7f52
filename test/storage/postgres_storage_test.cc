// The storage suite against a real PostgreSQL 15 cluster, plus what only
// PostgreSQL has: foreign schemas, connection failures.
#include <map>

#include "storage/storage_suite.h"
#include "testing/postgres_cluster.h"

namespace tandem::storage {
namespace {

// One cluster for the whole binary; one database per test directory.
tandem::testing::PostgresCluster* Cluster() {
  static auto* cluster = [] {
    auto* c = new tandem::testing::PostgresCluster();
    absl::Status st = c->Start();
    if (!st.ok()) {
      ADD_FAILURE() << "cannot start PostgreSQL: " << st;
    }
    return c;
  }();
  return cluster;
}

class StopCluster : public ::testing::Environment {
 public:
  void TearDown() override { Cluster()->Stop(); }
};
const auto* const kStop = ::testing::AddGlobalTestEnvironment(new StopCluster);

absl::StatusOr<std::string> DatabaseFor(const std::string& dir) {
  static std::map<std::string, std::string> dbs;
  auto it = dbs.find(dir);
  if (it != dbs.end()) return it->second;
  auto conninfo = Cluster()->CreateDatabase("t" + std::to_string(dbs.size() + 1));
  if (!conninfo.ok()) return conninfo.status();
  dbs[dir] = *conninfo;
  return *conninfo;
}

absl::StatusOr<StoragePtr> OpenIn(const std::string& dir) {
  auto conninfo = DatabaseFor(dir);
  if (!conninfo.ok()) return conninfo.status();
  return OpenPostgres({.conninfo = *conninfo});
}

INSTANTIATE_TEST_SUITE_P(Postgres, StorageSuite, ::testing::Values(StorageFactory(OpenIn)),
                         [](const auto&) { return std::string("postgres"); });

// A database holding another application's tables is refused, untouched.
TEST(PostgresStorage, RefusesForeignDatabase) {
  auto conninfo = Cluster()->CreateDatabase("foreign_app");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  ASSERT_TRUE(Cluster()->Psql("foreign_app", "CREATE TABLE customers(id int);").ok());
  auto s = OpenPostgres({.conninfo = *conninfo});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("not a Tandem configuration database"), std::string::npos)
      << s.status();
  EXPECT_EQ(*Cluster()->Psql("foreign_app",
                             "SELECT count(*) FROM pg_tables WHERE schemaname = "
                             "'public';"),
            "1\n");
}

// A batch built on another revision than the stored one (after a failover
// that lost revisions, or a lost commit reply) is refused before it writes.
TEST(PostgresStorage, RevisionGuardRefusesABatchOnAnotherRevision) {
  auto conninfo = Cluster()->CreateDatabase("guard");
  ASSERT_TRUE(conninfo.ok());
  auto s = OpenPostgres({.conninfo = *conninfo});
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->Commit(Batch(1, {Put(1, 1, "a")})).ok());
  ASSERT_TRUE((*s)->Commit(Batch(2, {Put(1, 2, "b")})).ok());
  absl::Status ahead = (*s)->Commit(Batch(5, {Put(1, 5, "e")}));
  EXPECT_EQ(ahead.code(), absl::StatusCode::kFailedPrecondition) << ahead;
  EXPECT_NE(ahead.message().find("the database is at revision 2, this server expected 4"),
            std::string::npos)
      << ahead;
  absl::Status behind = (*s)->Commit(Batch(2, {Put(1, 3, "c")}));
  EXPECT_EQ(behind.code(), absl::StatusCode::kFailedPrecondition) << behind;
  auto meta = (*s)->ReadMeta();
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->revision, 2);
  int objects = 0;
  ASSERT_TRUE((*s)->ScanObjects([&](absl::string_view) {
                    ++objects;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(objects, 2);
  EXPECT_TRUE((*s)->Commit(Batch(3, {Put(1, 3, "c")})).ok());
}

// A commit must have a bound on its wait for a synchronous standby.
TEST(PostgresStorage, RefusesNonPositiveSyncCommitTimeout) {
  auto s = OpenPostgres(
      {.conninfo = Cluster()->conninfo(), .sync_commit_timeout = absl::ZeroDuration()});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("sync_commit_timeout_s"), std::string::npos) << s.status();
}

// A database written by a newer schema version is refused with advice.
TEST(PostgresStorage, RefusesNewerSchema) {
  auto conninfo = Cluster()->CreateDatabase("newer");
  ASSERT_TRUE(conninfo.ok());
  ASSERT_TRUE(OpenPostgres({.conninfo = *conninfo}).ok());
  ASSERT_TRUE(
      Cluster()->Psql("newer", "UPDATE meta SET value = '99' WHERE key = 'schema_version';").ok());
  auto s = OpenPostgres({.conninfo = *conninfo});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("newer"), std::string::npos) << s.status();
}

// After the DBMS restarts, the writer reconnects: a commit may fail once
// (changing nothing), the next one succeeds.
TEST(PostgresStorage, WriterReconnectsAfterDbmsRestart) {
  auto conninfo = Cluster()->CreateDatabase("restart");
  ASSERT_TRUE(conninfo.ok());
  auto s = OpenPostgres({.conninfo = *conninfo});
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->Commit(Batch(1, {Put(1, 1, "a")})).ok());
  ASSERT_TRUE(Cluster()->Restart().ok());
  absl::Status first = (*s)->Commit(Batch(2, {Put(1, 2, "b")}));
  if (!first.ok()) {
    EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable) << first;
    EXPECT_EQ((*s)->ReadMeta()->revision, 1);
    ASSERT_TRUE((*s)->Commit(Batch(2, {Put(1, 2, "b")})).ok());
  }
  EXPECT_EQ((*s)->ReadMeta()->revision, 2);
  EXPECT_EQ(ScanAll(**s), (std::vector<std::string>{"a", "b"}));
}

// A wrong connection string or an unreachable server is a clear error.
TEST(PostgresStorage, BadConninfoIsExplained) {
  auto s = OpenPostgres({.conninfo = "host=127.0.0.1 port=1 dbname=x connect_timeout=2"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("cannot connect to PostgreSQL"), std::string::npos);
  s = OpenPostgres({.conninfo = "this is not = a conninfo ="});
  EXPECT_FALSE(s.ok());
  s = OpenPostgres({.conninfo = ""});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tandem::storage
