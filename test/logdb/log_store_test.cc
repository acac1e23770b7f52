// The Log Database's stores, SQLite in a temporary file and PostgreSQL in a
// real cluster (one database per test), held to one contract: batches stored and
// found again by every filter, a batch sent again stores nothing twice, bad
// input refuses the whole batch and names the event, what Append returned
// is there after a reopen, and retention by age and count.
#include "logdb/log_store.h"

#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "testing/postgres_cluster.h"
#include "testing/temp_dir.h"

namespace tandem::logdb {
namespace {

// One cluster for the binary, started by the first PostgreSQL test.
tandem::testing::PostgresCluster* Cluster() {
  static auto* cluster = [] {
    auto* c = new tandem::testing::PostgresCluster();
    if (absl::Status st = c->Start(); !st.ok()) ADD_FAILURE() << "cannot start PostgreSQL: " << st;
    return c;
  }();
  return cluster;
}

enum class Backend { kSqlite, kPostgres };

class LogStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void TearDownTestSuite() {
    if (started_) Cluster()->Stop();
  }
  // The store `name` (the same file or database when opened again).
  std::unique_ptr<LogStore> Open(const std::string& name, LogStoreOptions o = {}) {
    absl::StatusOr<std::unique_ptr<LogStore>> s;
    if (GetParam() == Backend::kSqlite) {
      s = LogStore::OpenSqlite(dir_.file(name), o);
    } else {
      started_ = true;
      auto it = databases_.find(name);
      if (it == databases_.end()) {
        static int n = 0;
        absl::StatusOr<std::string> c = Cluster()->CreateDatabase(absl::StrCat("log", ++n));
        EXPECT_TRUE(c.ok()) << c.status();
        it = databases_.emplace(name, c.value_or("")).first;
      }
      s = LogStore::OpenPostgres(it->second, o);
    }
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  testing::TempDir dir_;
  std::map<std::string, std::string> databases_;
  static inline bool started_ = false;
};

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

LogEvent Event(const std::string& id, const std::string& app, Level level, int64_t msg_id,
               const std::string& text, absl::Duration after = absl::ZeroDuration()) {
  return LogEvent{id, kT0 + after, app, "h1", level, msg_id, text};
}

TEST_P(LogStoreTest, StoresBatchesAndFindsThemByEveryFilter) {
  std::unique_ptr<LogStore> store = Open("log");
  ASSERT_NE(store, nullptr);
  absl::StatusOr<LogStore::Appended> a = store->Append({
      Event("a-1", "billing", Level::kAlarm, 1001, "disk full on /var", absl::Seconds(1)),
      Event("a-2", "billing", Level::kStandard, 2000, "started", absl::Seconds(2)),
      Event("b-1", "pricing", Level::kTrace, 3000, "cache miss", absl::Seconds(3)),
      Event("b-2", "pricing", Level::kInteraction, 2000, "started", absl::Seconds(4)),
  });
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->stored, 4);
  EXPECT_EQ(a->duplicates, 0);
  EXPECT_EQ(a->last_seq, 4);
  auto find = [&](LogQuery q) {
    absl::StatusOr<std::vector<StoredEvent>> r = store->Find(q);
    EXPECT_TRUE(r.ok()) << r.status();
    std::string ids;
    for (const StoredEvent& e : r.value_or(std::vector<StoredEvent>{})) {
      absl::StrAppend(&ids, ids.empty() ? "" : ",", e.event.event_id);
    }
    return ids;
  };
  EXPECT_EQ(find({}), "a-1,a-2,b-1,b-2") << "oldest first";
  EXPECT_EQ(find({.application = "pricing"}), "b-1,b-2");
  EXPECT_EQ(find({.max_level = Level::kStandard}), "a-1,a-2") << "standard or more severe";
  EXPECT_EQ(find({.from = kT0 + absl::Seconds(2), .to = kT0 + absl::Seconds(3)}), "a-2,b-1");
  EXPECT_EQ(find({.message_id = 2000}), "a-2,b-2");
  EXPECT_EQ(find({.min_message_id = 2000, .max_message_id = 3000}), "a-2,b-1,b-2")
      << "a range of message ids (the audit trail)";
  EXPECT_EQ(find({.min_message_id = 2001}), "b-1");
  EXPECT_EQ(find({.text = "full"}), "a-1");
  EXPECT_EQ(find({.after_seq = 2}), "b-1,b-2") << "onward from a sequence (--follow)";
  EXPECT_EQ(find({.limit = 1}), "a-1");
  EXPECT_EQ(find({.host = "h2"}), "");
  std::vector<StoredEvent> all = *store->Find({});
  EXPECT_EQ(all[0].event.at, kT0 + absl::Seconds(1));
  EXPECT_EQ(all[0].event.level, Level::kAlarm);
  EXPECT_EQ(all[0].event.text, "disk full on /var");
  EXPECT_EQ(all[0].event.message_id, 1001);
}

TEST_P(LogStoreTest, ABatchSentAgainStoresNothingTwice) {
  auto store = Open("log");
  std::vector<LogEvent> batch = {Event("x-1", "a", Level::kStandard, 1, "one"),
                                 Event("x-2", "a", Level::kStandard, 1, "two")};
  ASSERT_EQ(store->Append(batch)->stored, 2);
  batch.push_back(Event("x-3", "a", Level::kStandard, 1, "three"));
  absl::StatusOr<LogStore::Appended> again = store->Append(batch);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->stored, 1);
  EXPECT_EQ(again->duplicates, 2);
  EXPECT_EQ(*store->Count(), 3);
}

TEST_P(LogStoreTest, BadInputRefusesTheWholeBatchAndNamesTheEvent) {
  LogStoreOptions o;
  o.max_text_bytes = 10;
  auto store = Open("log", o);
  absl::StatusOr<LogStore::Appended> r =
      store->Append({Event("ok-1", "a", Level::kStandard, 1, "fine"),
                     Event("big", "a", Level::kStandard, 1, "far too long a text")});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("log event 1 of the batch (a): its text is 19 bytes, the "
                                      "limit is 10; nothing of the batch was stored"),
            std::string::npos)
      << r.status();
  LogEvent bad_level = Event("lv", "a", Level::kStandard, 1, "x");
  bad_level.level = static_cast<Level>(9);
  EXPECT_EQ(store->Append({bad_level}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Append({Event("", "a", Level::kTrace, 1, "x")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store->Count(), 0) << "nothing half-stored";
  EXPECT_EQ(*ParseLevel("Alarm"), Level::kAlarm);
  EXPECT_NE(ParseLevel("debug").status().message().find("stays in the application's own log"),
            std::string::npos);
  EXPECT_NE(ParseLevel("verbose").status().message().find("none of alarm, standard"),
            std::string::npos);
}

TEST_P(LogStoreTest, WhatWasAcknowledgedIsThereAfterAReopen) {
  {
    auto store = Open("log");
    ASSERT_TRUE(store->Append({Event("d-1", "a", Level::kAlarm, 7, "kept")}).ok());
  }
  auto store = Open("log");
  std::vector<StoredEvent> all = *store->Find({});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].event.text, "kept");
  EXPECT_EQ(store->Append({Event("d-2", "a", Level::kAlarm, 7, "next")})->last_seq, 2)
      << "sequences go on";
}

TEST_P(LogStoreTest, RetentionByAgeAndCount) {
  LogStoreOptions o;
  o.max_age = absl::Hours(1);
  o.max_events = 3;
  auto store = Open("log", o);
  std::vector<LogEvent> batch;
  for (int i = 0; i < 6; ++i) {
    batch.push_back(Event(absl::StrCat("r-", i), "a", Level::kStandard, 1, "x", absl::Minutes(i)));
  }
  ASSERT_TRUE(store->Append(batch).ok());
  EXPECT_EQ(*store->Trim(kT0 + absl::Minutes(30)), 3) << "over the count: the oldest go";
  EXPECT_EQ(store->Find({})->front().event.event_id, "r-3");
  EXPECT_EQ(*store->Trim(kT0 + absl::Minutes(64) + absl::Seconds(1)), 2) << "older than an hour";
  EXPECT_EQ(*store->Count(), 1);
  EXPECT_EQ(store->Append({Event("r-9", "a", Level::kStandard, 1, "x")})->last_seq, 7)
      << "a sequence is never used again (--follow never misses one)";
}

TEST_P(LogStoreTest, NonUtf8TextAndNulBytesAreRefused) {
  auto store = Open("log");
  EXPECT_EQ(store->Append({Event("u-1", "a", Level::kStandard, 1, "caf\xe9")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Append({Event("u-2", "a", Level::kStandard, 1, std::string("a\0b", 3))})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<LogStore::Appended> ok =
      store->Append({Event("u-3", "a", Level::kStandard, 1, "caf\xc3\xa9 \"quoted\" \\ {x,y}")});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(store->Find({})->front().event.text, "caf\xc3\xa9 \"quoted\" \\ {x,y}")
      << "quotes, backslashes and braces survive the trip";
}

TEST_P(LogStoreTest, PerEventSeqsMarkDuplicates) {
  auto store = Open("log");
  ASSERT_TRUE(store->Append({Event("s-1", "a", Level::kStandard, 1, "x")}).ok());
  absl::StatusOr<LogStore::Appended> a = store->Append(
      {Event("s-2", "a", Level::kStandard, 1, "x"), Event("s-1", "a", Level::kStandard, 1, "x"),
       Event("s-2", "a", Level::kStandard, 1, "x")});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->seqs.size(), 3u);
  EXPECT_GT(a->seqs[0], 1);
  EXPECT_EQ(a->seqs[1], 0);
  EXPECT_EQ(a->seqs[2], 0) << "the same id twice in one batch is stored once";
  EXPECT_EQ(a->stored, 1);
  EXPECT_EQ(a->duplicates, 2);
}

TEST_P(LogStoreTest, AlarmsAreKeptWhileActiveAndAfterwards) {
  auto store = Open("log");
  Alarm a;
  a.condition = "disk-full";
  a.category = "critical";
  a.application = "billing";
  a.host = "h1";
  a.text = "disk full on /var";
  a.event_id = "e-1";
  a.raised_at = a.last_seen = kT0;
  absl::StatusOr<int64_t> id = store->SaveAlarm(a);
  ASSERT_TRUE(id.ok()) << id.status();
  a.condition = "link-down";
  const int64_t second = *store->SaveAlarm(a);
  EXPECT_GT(second, *id);
  std::vector<Alarm> active = *store->Alarms(false, 10);
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].condition, "link-down") << "newest first";
  EXPECT_TRUE(active[1].active());
  EXPECT_EQ(active[1].category, "critical");
  EXPECT_EQ(active[1].raised_at, kT0);
  Alarm cleared = active[1];
  cleared.last_seen = kT0 + absl::Seconds(5);
  cleared.cleared_at = kT0 + absl::Seconds(9);
  cleared.cleared_by = "person ops";
  ASSERT_TRUE(store->SaveAlarm(cleared).ok());
  active = *store->Alarms(false, 10);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].condition, "link-down");
  std::vector<Alarm> all = *store->Alarms(true, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[1].active());
  EXPECT_EQ(all[1].cleared_at, kT0 + absl::Seconds(9));
  EXPECT_EQ(all[1].cleared_by, "person ops");
  EXPECT_EQ(all[1].last_seen, kT0 + absl::Seconds(5));
}

INSTANTIATE_TEST_SUITE_P(Stores, LogStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) {
                           return std::string(info.param == Backend::kSqlite ? "sqlite"
                                                                             : "postgres");
                         });

}  // namespace
}  // namespace tandem::logdb
