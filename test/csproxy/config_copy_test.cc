#include "csproxy/config_copy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "confserv/write_applier.h"

namespace tandem::csproxy {
namespace {

using ::testing::HasSubstr;

v1::ConfigObject Host(int64_t dbid, const std::string& name, int64_t revision) {
  v1::ConfigObject o;
  o.set_type(v1::OBJECT_TYPE_HOST);
  o.set_dbid(dbid);
  o.set_name(name);
  o.set_enabled(true);
  o.set_revision(revision);
  (*o.mutable_properties())["address"].set_string_value("192.0.2.1");
  return o;
}

// Builds hash-chained changes as the master's write applier does.
class Chain {
 public:
  v1::Change Create(int64_t dbid, const std::string& name) {
    v1::Change c = Next(v1::CHANGE_KIND_CREATED, dbid);
    *c.mutable_after() = Host(dbid, name, c.revision());
    return Seal(c);
  }
  v1::Change Rename(int64_t dbid, const std::string& name) {
    v1::Change c = Next(v1::CHANGE_KIND_UPDATED, dbid);
    *c.mutable_after() = Host(dbid, name, c.revision());
    return Seal(c);
  }
  v1::Change Delete(int64_t dbid) { return Seal(Next(v1::CHANGE_KIND_DELETED, dbid)); }
  const std::string& hash() const { return hash_; }

 private:
  v1::Change Next(v1::ChangeKind kind, int64_t dbid) {
    v1::Change c;
    c.set_revision(++revision_);
    c.set_kind(kind);
    c.set_type(v1::OBJECT_TYPE_HOST);
    c.set_dbid(dbid);
    c.set_who("test");
    return c;
  }
  v1::Change Seal(v1::Change c) {
    hash_ = confserv::ChainHash(hash_, c);
    c.set_hash(hash_);
    return c;
  }
  int64_t revision_ = 0;
  std::string hash_ = std::string(32, '\0');
};

struct Recorder : config::ChangeSubscriber {
  void OnChanges(const std::vector<config::ChangePtr>& changes) override {
    for (const auto& c : changes) revisions.push_back(c->revision());
  }
  void OnShutdown() override { ++shutdowns; }
  std::vector<int64_t> revisions;
  int shutdowns = 0;
};

std::unique_ptr<confserv::ConfigState> EmptyState() {
  return std::make_unique<confserv::ConfigState>();
}

// Create, update and delete are applied and the hash follows the chain.
TEST(ApplyVerified, AppliesAChain) {
  Chain chain;
  confserv::ConfigState state;
  ASSERT_TRUE(ApplyVerified(state, chain.Create(1, "a")).ok());
  ASSERT_TRUE(ApplyVerified(state, chain.Create(2, "b")).ok());
  ASSERT_TRUE(ApplyVerified(state, chain.Rename(1, "a2")).ok());
  ASSERT_TRUE(ApplyVerified(state, chain.Delete(2)).ok());
  EXPECT_EQ(state.Revision(), 4);
  EXPECT_EQ(state.RevisionHash(), chain.hash());
  EXPECT_EQ(state.ObjectCount(), 1);
  EXPECT_EQ(state.FindName({v1::OBJECT_TYPE_HOST, 0, "a2"}), 1);
  EXPECT_EQ(state.FindName({v1::OBJECT_TYPE_HOST, 0, "a"}), 0);
}

// A change whose hash does not chain onto the copy's is refused as a
// diverged history, and nothing changes.
TEST(ApplyVerified, RefusesABrokenChain) {
  Chain chain;
  confserv::ConfigState state;
  ASSERT_TRUE(ApplyVerified(state, chain.Create(1, "a")).ok());
  Chain other;  // another lineage: same revision 2, other content
  (void)other.Create(7, "x");
  v1::Change foreign = other.Create(8, "y");
  absl::Status st = ApplyVerified(state, foreign);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("diverged"));
  EXPECT_EQ(state.Revision(), 1);
  EXPECT_EQ(state.ObjectCount(), 1);
  // A tampered object with the right revision fails too.
  v1::Change tampered = chain.Create(2, "b");
  tampered.mutable_after()->set_name("evil");
  EXPECT_EQ(ApplyVerified(state, tampered).code(), absl::StatusCode::kFailedPrecondition);
}

// A gap (or replay) is ABORTED, not a divergence.
TEST(ApplyVerified, RefusesAGap) {
  Chain chain;
  confserv::ConfigState state;
  v1::Change first = chain.Create(1, "a");
  v1::Change second = chain.Create(2, "b");
  EXPECT_EQ(ApplyVerified(state, second).code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(ApplyVerified(state, first).ok());
  EXPECT_EQ(ApplyVerified(state, first).code(), absl::StatusCode::kAborted);
}

// Without apply_object only the revision and hash move (the listing already
// holds the object).
TEST(ApplyVerified, HashOnly) {
  Chain chain;
  confserv::ConfigState state;
  ASSERT_TRUE(ApplyVerified(state, chain.Create(1, "a"), /*apply_object=*/false).ok());
  EXPECT_EQ(state.Revision(), 1);
  EXPECT_EQ(state.ObjectCount(), 0);
}

// The copy serves Get/List, keeps the last N changes, and answers older
// requests with OUT_OF_RANGE "history expired".
TEST(ConfigCopy, ServesAndKeepsAWindow) {
  ConfigCopy copy(3);
  EXPECT_FALSE(copy.loaded());
  EXPECT_EQ(copy.Get(v1::GetRequest()).status().code(), absl::StatusCode::kInvalidArgument);
  copy.Install(EmptyState(), "hist-1");
  Chain chain;
  std::vector<v1::Change> changes;
  for (int i = 1; i <= 5; ++i) changes.push_back(chain.Create(i, "h" + std::to_string(i)));
  ASSERT_TRUE(copy.Apply(changes).ok());
  EXPECT_EQ(copy.revision(), 5);
  EXPECT_EQ(copy.revision_hash(), chain.hash());
  EXPECT_EQ(copy.history_id(), "hist-1");
  EXPECT_EQ(copy.oldest_revision(), 3);

  v1::GetRequest get;
  get.set_type(v1::OBJECT_TYPE_HOST);
  get.set_name("h4");
  auto got = copy.Get(get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->object().dbid(), 4);
  EXPECT_EQ(got->revision(), 5);

  v1::ListRequest list;
  list.set_type(v1::OBJECT_TYPE_HOST);
  list.set_name_pattern("h[12]");
  auto listed = copy.List(list);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->objects.size(), 2u);
  EXPECT_EQ(listed->revision, 5);

  auto expired = copy.History(1, 0);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(expired.status().message()), HasSubstr("history expired"));
  auto page = copy.History(2, 2);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->changes.size(), 2u);
  EXPECT_EQ(page->changes[0].revision(), 3);
  EXPECT_TRUE(page->more);
  auto tail = copy.History(5, 0);
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE(tail->changes.empty());
  EXPECT_EQ(tail->revision, 5);
}

// A broken change stops Apply; what came before it stays applied and published.
TEST(ConfigCopy, ApplyStopsAtADivergence) {
  ConfigCopy copy(100);
  copy.Install(EmptyState(), "h");
  Recorder rec;
  EXPECT_EQ(copy.Subscribe(&rec), 0);
  Chain chain;
  v1::Change good = chain.Create(1, "a");
  v1::Change bad = chain.Create(2, "b");
  bad.set_hash(std::string(32, 'x'));
  absl::Status st = copy.Apply({good, bad});
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(copy.revision(), 1);
  EXPECT_EQ(rec.revisions, std::vector<int64_t>{1});
  copy.Unsubscribe(&rec);
}

// Install replaces everything and ends the old watchers' streams; Invalidate
// ends them too and stops serving.
TEST(ConfigCopy, InstallAndInvalidateEndWatchers) {
  ConfigCopy copy(100);
  copy.Install(EmptyState(), "h1");
  Recorder rec;
  copy.Subscribe(&rec);
  auto fresh = EmptyState();
  Chain other;
  ASSERT_TRUE(ApplyVerified(*fresh, other.Create(9, "z")).ok());
  copy.Install(std::move(fresh), "h2");
  EXPECT_EQ(rec.shutdowns, 1);
  EXPECT_EQ(copy.revision(), 1);
  EXPECT_EQ(copy.object_count(), 1);
  EXPECT_EQ(copy.history_id(), "h2");
  // The window starts at the installed revision.
  EXPECT_EQ(copy.History(0, 0).status().code(), absl::StatusCode::kOutOfRange);

  Recorder second;
  EXPECT_EQ(copy.Subscribe(&second), 1);
  copy.Invalidate();
  EXPECT_EQ(second.shutdowns, 1);
  EXPECT_FALSE(copy.loaded());
  v1::GetRequest get;
  get.set_type(v1::OBJECT_TYPE_HOST);
  get.set_dbid(9);
  EXPECT_EQ(copy.Get(get).status().code(), absl::StatusCode::kUnavailable);
  Recorder late;
  copy.Subscribe(&late);
  EXPECT_EQ(late.shutdowns, 1);  // new streams end at once until the next Install
}

// WaitForRevision returns once the copy has the revision, or times out.
TEST(ConfigCopy, WaitForRevision) {
  ConfigCopy copy(100);
  copy.Install(EmptyState(), "h");
  Chain chain;
  EXPECT_FALSE(copy.WaitForRevision(1, absl::Milliseconds(20)));
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(50));
    ASSERT_TRUE(copy.Apply({chain.Create(1, "a")}).ok());
  });
  EXPECT_TRUE(copy.WaitForRevision(1, absl::Seconds(5)));
  writer.join();
}

}  // namespace
}  // namespace tandem::csproxy
