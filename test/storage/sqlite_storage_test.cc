#include <sqlite3.h>

#include "storage/storage_suite.h"

namespace tandem::storage {
namespace {

absl::StatusOr<StoragePtr> OpenIn(const std::string& dir) {
  return OpenSqlite({.path = dir + "/config.db", .create = true});
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StorageSuite, ::testing::Values(StorageFactory(OpenIn)),
                         [](const auto&) { return std::string("sqlite"); });

void RawExec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// A database of another application is refused, not modified.
TEST(SqliteStorage, RefusesForeignDatabase) {
  tandem::testing::TempDir dir;
  std::string path = dir.file("other.db");
  RawExec(path, "CREATE TABLE customers(id INTEGER)");
  auto s = OpenSqlite({.path = path});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("not a Tandem configuration database"), std::string::npos);
}

// A database written by a newer schema version is refused with advice.
TEST(SqliteStorage, RefusesNewerSchema) {
  tandem::testing::TempDir dir;
  std::string path = dir.file("config.db");
  ASSERT_TRUE(OpenSqlite({.path = path}).ok());
  RawExec(path, "UPDATE meta SET value='99' WHERE key='schema_version'");
  auto s = OpenSqlite({.path = path});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("newer"), std::string::npos) << s.status();
}

// Opening without create fails clearly when the file is missing.
TEST(SqliteStorage, MissingFileWithoutCreate) {
  tandem::testing::TempDir dir;
  auto s = OpenSqlite({.path = dir.file("nope.db"), .create = false});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("nope.db"), std::string::npos);
}

// A garbage file is reported as such.
TEST(SqliteStorage, GarbageFile) {
  tandem::testing::TempDir dir;
  std::string path = dir.file("junk.db");
  FILE* f = fopen(path.c_str(), "w");
  fputs("this is not an sqlite database at all, not even close........................", f);
  fclose(f);
  auto s = OpenSqlite({.path = path});
  ASSERT_FALSE(s.ok());
}

}  // namespace
}  // namespace tandem::storage
