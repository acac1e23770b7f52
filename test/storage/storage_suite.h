// The storage test suite: every Storage implementation must pass it.
// Instantiate with a factory that opens (or reopens) a database in a dir.
#pragma once

#include <gtest/gtest.h>

#include <functional>

#include "tandem/storage/storage.h"
#include "testing/temp_dir.h"

namespace tandem::storage {

using StorageFactory = std::function<absl::StatusOr<StoragePtr>(const std::string& dir)>;

class StorageSuite : public ::testing::TestWithParam<StorageFactory> {
 protected:
  StoragePtr Open() {
    auto s = GetParam()(dir_.path());
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  tandem::testing::TempDir dir_;
};

inline CommitBatch Batch(int64_t revision, std::vector<ObjectWrite> objects) {
  CommitBatch b;
  b.objects = std::move(objects);
  b.revision = revision;
  b.revision_hash = std::string(32, static_cast<char>(revision));
  b.history.push_back({revision, revision * 1000, "change-" + std::to_string(revision)});
  return b;
}

inline ObjectWrite Put(int type, int64_t dbid, std::string data) {
  return ObjectWrite{type, dbid, 0, "n" + std::to_string(dbid), std::move(data)};
}

inline ObjectWrite Del(int type, int64_t dbid) {
  return ObjectWrite{type, dbid, 0, "", std::nullopt};
}

inline std::vector<std::string> ScanAll(Storage& s) {
  std::vector<std::string> out;
  EXPECT_TRUE(s.ScanObjects([&](absl::string_view d) {
                 out.emplace_back(d);
                 return absl::OkStatus();
               }).ok());
  return out;
}

// A new database has a history id, revision 0 and the current schema.
TEST_P(StorageSuite, NewDatabaseMeta) {
  auto s = Open();
  auto meta = s->ReadMeta();
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->revision, 0);
  EXPECT_EQ(meta->schema_version, kSchemaVersion);
  EXPECT_EQ(meta->history_id.size(), 32u);
  EXPECT_EQ(meta->revision_hash, std::string(32, '\0'));
}

// Committed objects, history, sequences and meta survive a reopen.
TEST_P(StorageSuite, CommitIsDurableAcrossReopen) {
  std::string history_id;
  {
    auto s = Open();
    history_id = s->ReadMeta()->history_id;
    CommitBatch b = Batch(1, {Put(3, 1, "a"), Put(3, 2, "b"), Put(4, 1, "c")});
    b.next_dbid = {{3, 3}, {4, 2}};
    ASSERT_TRUE(s->Commit(b).ok());
    ASSERT_TRUE(s->Commit(Batch(2, {Del(3, 1), Put(3, 2, "b2")})).ok());
  }
  auto s = Open();
  auto meta = s->ReadMeta();
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->revision, 2);
  EXPECT_EQ(meta->history_id, history_id);
  EXPECT_EQ(meta->revision_hash, std::string(32, '\2'));
  EXPECT_EQ(meta->next_dbid, (std::map<int, int64_t>{{3, 3}, {4, 2}}));
  EXPECT_EQ(ScanAll(*s), (std::vector<std::string>{"b2", "c"}));
  auto h = s->ReadHistory(0, 10);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->rows.size(), 2u);
  EXPECT_EQ(h->rows[1].data, "change-2");
  EXPECT_EQ(h->oldest_revision, 1);
}

// ReadHistory pages after a revision, in order, within the limit.
TEST_P(StorageSuite, HistoryPaging) {
  auto s = Open();
  for (int r = 1; r <= 10; ++r) ASSERT_TRUE(s->Commit(Batch(r, {Put(1, r, "x")})).ok());
  auto h = s->ReadHistory(4, 3);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->rows.size(), 3u);
  EXPECT_EQ(h->rows[0].revision, 5);
  EXPECT_EQ(h->rows[2].revision, 7);
  EXPECT_TRUE(s->ReadHistory(10, 3)->rows.empty());
}

// Pruning by revision and by time moves the oldest retained revision.
TEST_P(StorageSuite, PruneByCountAndAge) {
  auto s = Open();
  for (int r = 1; r <= 10; ++r) ASSERT_TRUE(s->Commit(Batch(r, {Put(1, r, "x")})).ok());
  auto n = s->PruneHistory(4, 0, 100);  // keep revisions >= 4
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(s->ReadHistory(0, 100)->oldest_revision, 4);
  n = s->PruneHistory(0, 6001, 100);  // committed_at_us = revision * 1000: drop r < 6.001 ms
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(s->ReadHistory(0, 100)->oldest_revision, 7);
  n = s->PruneHistory(100, 0, 2);  // bounded per call
  EXPECT_EQ(*n, 2);
  // With every row pruned the oldest retained revision is the next one.
  ASSERT_TRUE(s->PruneHistory(100, 0, 100).ok());
  EXPECT_EQ(s->ReadHistory(0, 100)->oldest_revision, 11);
}

// A failed commit changes nothing (duplicate history revision).
TEST_P(StorageSuite, FailedCommitChangesNothing) {
  auto s = Open();
  ASSERT_TRUE(s->Commit(Batch(1, {Put(1, 1, "x")})).ok());
  CommitBatch dup = Batch(1, {Put(1, 2, "y")});
  EXPECT_FALSE(s->Commit(dup).ok());
  EXPECT_EQ(ScanAll(*s), (std::vector<std::string>{"x"}));
  EXPECT_EQ(s->ReadMeta()->revision, 1);
  // And the storage is still usable.
  EXPECT_TRUE(s->Commit(Batch(2, {Put(1, 2, "y")})).ok());
}

// Readers see a consistent snapshot while a writer commits.
TEST_P(StorageSuite, ConcurrentReadersDuringCommits) {
  auto s = Open();
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!stop) {
      auto h = s->ReadHistory(0, 1000);
      ASSERT_TRUE(h.ok()) << h.status();
      for (size_t i = 0; i < h->rows.size(); ++i) ASSERT_EQ(h->rows[i].revision, int64_t(i) + 1);
      ++reads;
    }
  });
  for (int r = 1; r <= 200; ++r) ASSERT_TRUE(s->Commit(Batch(r, {Put(1, r, "x")})).ok());
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
}

// The master lease: one holder at a time, a new epoch per holder, and a
// storage that lost it (expired or taken over) cannot commit or prune.
TEST_P(StorageSuite, LeaseFencesTheOldHolder) {
  auto a = Open();
  auto b = Open();
  auto none = a->ReadLease();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->epoch, 0);
  EXPECT_TRUE(none->expired());
  auto got = a->AcquireLease("cs1", "192.0.2.1:9000", absl::Seconds(30));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->epoch, 1);
  auto refused = b->AcquireLease("cs2", "192.0.2.2:9000", absl::Seconds(30));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("held by 'cs1' (192.0.2.1:9000"), std::string::npos)
      << refused.status();
  ASSERT_TRUE(a->Commit(Batch(1, {Put(1, 1, "x")})).ok());
  ASSERT_TRUE(a->RenewLease(absl::Seconds(30)).ok());

  // A restart of the same node takes it at once, with a new epoch; then it
  // lapses and the other node takes over.
  got = a->AcquireLease("cs1", "192.0.2.1:9000", absl::Milliseconds(200));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->epoch, 2);
  absl::SleepFor(absl::Milliseconds(300));
  absl::Status expired = a->Commit(Batch(2, {Put(1, 2, "y")}));
  EXPECT_TRUE(IsLeaseLost(expired)) << expired;
  EXPECT_NE(expired.message().find("expired"), std::string::npos) << expired;
  auto taken = b->AcquireLease("cs2", "192.0.2.2:9000", absl::Seconds(30));
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->epoch, 3);
  absl::Status renew = a->RenewLease(absl::Seconds(30)).status();
  EXPECT_TRUE(IsLeaseLost(renew)) << renew;
  EXPECT_NE(renew.message().find("taken over by 'cs2'"), std::string::npos) << renew;
  absl::Status stale = a->Commit(Batch(2, {Put(1, 2, "y")}));
  EXPECT_TRUE(IsLeaseLost(stale)) << stale;
  EXPECT_TRUE(IsLeaseLost(a->PruneHistory(100, 0, 10).status()));
  ASSERT_TRUE(b->Commit(Batch(2, {Put(1, 3, "z")})).ok());
  auto meta = b->ReadMeta();
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->revision, 2);
  EXPECT_EQ(ScanAll(*b).size(), 2u);  // x and z; y never written
  auto now = a->ReadLease();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->holder, "cs2");
  EXPECT_EQ(now->address, "192.0.2.2:9000");
  EXPECT_EQ(now->epoch, 3);
  EXPECT_FALSE(now->expired());
}

}  // namespace tandem::storage
