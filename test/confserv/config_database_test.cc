#include "confserv/config_database.h"

#include "confserv/db_fixture.h"
#include "confserv/write_applier.h"

namespace tandem::confserv {
namespace {

using DatabaseTest = DbFixture;

// Create assigns DBIDs and revisions; get by DBID and by name find it.
TEST_F(DatabaseTest, CreateAndGet) {
  auto h = Create(Host("h1"));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->dbid(), 1);
  EXPECT_EQ(h->revision(), 1);
  EXPECT_EQ(h->properties().at("lca_port").int_value(), 4999);  // default filled
  v1::GetRequest get;
  get.set_type(v1::OBJECT_TYPE_HOST);
  get.set_name("h1");
  auto got = db_->Get(get);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->object().dbid(), 1);
  get.set_dbid(1);
  EXPECT_EQ(db_->Get(get)->object().name(), "h1");
  get.set_dbid(2);
  EXPECT_EQ(db_->Get(get).status().code(), absl::StatusCode::kNotFound);
}

// An update with a stale expected revision is refused and changes nothing.
TEST_F(DatabaseTest, StaleUpdateRefused) {
  auto h = Create(Host("h1"));
  ASSERT_TRUE(h.ok());
  v1::ConfigObject v2 = *h;
  (*v2.mutable_properties())["address"].set_string_value("192.0.2.2");
  auto u = Update(v2, h->revision());
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->revision(), 2);
  v1::ConfigObject v3 = *h;
  (*v3.mutable_properties())["address"].set_string_value("192.0.2.3");
  auto stale = Update(v3, h->revision());
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_NE(stale.status().message().find("stale"), std::string::npos);
  v1::GetRequest get;
  get.set_type(v1::OBJECT_TYPE_HOST);
  get.set_dbid(h->dbid());
  EXPECT_EQ(db_->Get(get)->object().properties().at("address").string_value(), "192.0.2.2");
  EXPECT_EQ(db_->revision(), 2);
}

// Delete is refused while another object refers to the target.
TEST_F(DatabaseTest, DeleteRefusedWhileReferenced) {
  auto h = Create(Host("h1"));
  auto a = Create(App("a1", h->dbid()));
  ASSERT_TRUE(a.ok()) << a.status();
  absl::Status st = Delete(v1::OBJECT_TYPE_HOST, h->dbid());
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("'a1'"), std::string::npos) << st;
  EXPECT_NE(st.message().find("Host 'h1' (dbid 1)"), std::string::npos) << st;
  ASSERT_TRUE(Delete(v1::OBJECT_TYPE_APPLICATION, a->dbid()).ok());
  EXPECT_TRUE(Delete(v1::OBJECT_TYPE_HOST, h->dbid()).ok());
}

// Each kind of bad input leaves the configuration unchanged: same revision,
// same objects.
TEST_F(DatabaseTest, BadInputChangesNothing) {
  auto h = Create(Host("h1"));
  ASSERT_TRUE(Create(App("a1", h->dbid())).ok());
  const int64_t rev = db_->revision();
  const auto before = Dump();
  std::vector<std::pair<std::string, absl::Status>> results;
  auto unknown_type = Host("x");
  unknown_type.set_type(static_cast<v1::ObjectType>(77));
  results.emplace_back("unknown type", Create(unknown_type).status());
  results.emplace_back("dangling ref", Create(App("a2", 999)).status());
  results.emplace_back("duplicate name", Create(Host("h1")).status());
  auto big = Host("big");
  (*(*big.mutable_options())["s"].mutable_entries())["k"] = std::string(100000, 'x');
  results.emplace_back("oversized value", Create(big).status());
  auto wrong_kind = Host("w");
  (*wrong_kind.mutable_properties())["lca_port"].set_string_value("http");
  results.emplace_back("wrong kind", Create(wrong_kind).status());
  results.emplace_back("empty operation", Write({v1::Operation()}).status());
  results.emplace_back("delete missing", Delete(v1::OBJECT_TYPE_HOST, 42));
  auto ref_by_bad_name = App("a3", 0);
  (*ref_by_bad_name.mutable_properties())["host"].mutable_ref_value()->set_name("nope");
  results.emplace_back("bad ref name", Create(ref_by_bad_name).status());
  auto self_ref = App("self", 0);
  self_ref.set_dbid(100);
  (*self_ref.mutable_properties())["backup"].mutable_ref_value()->set_dbid(100);
  results.emplace_back("self ref", Create(self_ref).status());
  auto reused = Host("reuse");
  reused.set_dbid(1);
  results.emplace_back("used dbid", Create(reused).status());
  // A transaction whose second operation fails applies neither.
  std::vector<v1::Operation> tx(2);
  *tx[0].mutable_create()->mutable_object() = Host("ok-in-tx");
  *tx[1].mutable_create()->mutable_object() = App("bad-in-tx", 12345);
  results.emplace_back("failed transaction", Write(tx).status());
  for (const auto& [what, st] : results) {
    EXPECT_FALSE(st.ok()) << what;
  }
  EXPECT_NE(results[1].second.message().find("properties.host"), std::string::npos);
  EXPECT_NE(results[10].second.message().find("operation[1]"), std::string::npos);
  EXPECT_EQ(db_->revision(), rev);
  EXPECT_EQ(Dump(), before);
  // And the same after a restart: nothing half-written reached the disk.
  Reopen();
  EXPECT_EQ(db_->revision(), rev);
  EXPECT_EQ(Dump(), before);
}

// A transaction may create objects that refer to each other.
TEST_F(DatabaseTest, TransactionWithMutualReferences) {
  auto h = Create(Host("h"));
  std::vector<v1::Operation> tx(2);
  auto p = App("primary", h->dbid());
  p.set_dbid(10);
  (*p.mutable_properties())["backup"].mutable_ref_value()->set_dbid(11);
  auto b = App("backup", h->dbid());
  b.set_dbid(11);
  (*b.mutable_properties())["backup"].mutable_ref_value()->set_dbid(10);
  *tx[0].mutable_create()->mutable_object() = p;
  *tx[1].mutable_create()->mutable_object() = b;
  auto r = Write(tx);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->first_revision, 2);
  EXPECT_EQ(r->last_revision, 3);
}

// DBIDs are never reused, not even after a delete and a restart.
TEST_F(DatabaseTest, DbidsNeverReused) {
  auto h1 = Create(Host("h1"));
  auto h2 = Create(Host("h2"));
  ASSERT_TRUE(Delete(v1::OBJECT_TYPE_HOST, h2->dbid()).ok());
  Reopen();
  auto h3 = Create(Host("h3"));
  ASSERT_TRUE(h3.ok());
  EXPECT_EQ(h3->dbid(), 3);
}

// References may be given by name; they are stored as DBIDs.
TEST_F(DatabaseTest, ReferenceByName) {
  ASSERT_TRUE(Create(Host("h1")).ok());
  auto a = App("a", 0);
  (*a.mutable_properties())["host"].mutable_ref_value()->set_name("h1");
  auto r = Create(a);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->properties().at("host").ref_value().dbid(), 1);
  EXPECT_EQ(r->properties().at("host").ref_value().name(), "");
}

// History holds every change, hash-chained, and survives a restart.
TEST_F(DatabaseTest, HistoryIsHashChained) {
  auto h = Create(Host("h1"));
  for (int i = 0; i < 5; ++i) {
    auto cur = *h;
    (*cur.mutable_properties())["address"].set_string_value("192.0.2." + std::to_string(i + 10));
    h = Update(cur, 0);
    ASSERT_TRUE(h.ok());
  }
  ASSERT_TRUE(Create(Host("h2")).ok());
  ASSERT_TRUE(Delete(v1::OBJECT_TYPE_HOST, 2).ok());
  Reopen();
  auto page = db_->History(0, 100);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->changes.size(), 8u);
  std::string prev(32, '\0');
  for (size_t i = 0; i < page->changes.size(); ++i) {
    const auto& c = page->changes[i];
    EXPECT_EQ(c.revision(), int64_t(i) + 1);
    EXPECT_EQ(c.hash(), ChainHash(prev, c)) << "revision " << c.revision();
    prev = c.hash();
  }
  EXPECT_EQ(page->changes[0].kind(), v1::CHANGE_KIND_CREATED);
  EXPECT_EQ(page->changes[1].before().properties().at("address").string_value(), "192.0.2.1");
  EXPECT_EQ(page->changes[7].kind(), v1::CHANGE_KIND_DELETED);
  EXPECT_EQ(page->changes[7].who(), "test");
  EXPECT_EQ(db_->Info().revision_hash(), prev);
}

// Changes beyond the retained count are answered "history expired".
TEST_F(DatabaseTest, HistoryExpiresByCount) {
  Reopen({.max_count = 5, .max_age = absl::Hours(1000)});
  auto h = Create(Host("h"));
  for (int i = 0; i < 20; ++i) h = Update(*h, 0);
  clock_.Advance(absl::Seconds(2));  // pruning runs at most once a second
  h = Update(*h, 0);
  ASSERT_TRUE(h.ok());
  // Pruning runs on the committer thread right after the batch is acknowledged.
  for (int i = 0; i < 50 && db_->History(1, 100).ok(); ++i) absl::SleepFor(absl::Milliseconds(20));
  auto page = db_->History(1, 100);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(page.status().message().find("history expired"), std::string::npos);
  auto recent = db_->History(db_->revision() - 3, 100);
  ASSERT_TRUE(recent.ok()) << recent.status();
  EXPECT_EQ(recent->changes.size(), 3u);
  // Asking from the current revision is never expired.
  EXPECT_TRUE(db_->History(db_->revision(), 10).ok());
}

// Changes older than the retained age expire even without further writes.
TEST_F(DatabaseTest, HistoryExpiresByAge) {
  Reopen({.max_count = 1000, .max_age = absl::Hours(1)});
  auto h = Create(Host("h"));
  h = Update(*h, 0);
  clock_.Advance(absl::Hours(2));
  // The committer wakes once a second to prune.
  for (int i = 0; i < 50 && db_->History(0, 10).ok(); ++i) absl::SleepFor(absl::Milliseconds(100));
  auto page = db_->History(0, 10);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), absl::StatusCode::kOutOfRange);
}

// Concurrent writers are group-committed; every one gets a distinct revision.
TEST_F(DatabaseTest, ConcurrentWritersGroupCommit) {
  constexpr int kThreads = 16, kPerThread = 50;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<int64_t> revisions;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = Create(Host("h-" + std::to_string(t) + "-" + std::to_string(i)));
        ASSERT_TRUE(r.ok()) << r.status();
        std::lock_guard<std::mutex> l(mu);
        revisions.insert(r->revision());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(revisions.size(), size_t(kThreads * kPerThread));
  EXPECT_EQ(*revisions.rbegin(), kThreads * kPerThread);
  Reopen();
  EXPECT_EQ(db_->Info().object_count(), kThreads * kPerThread);
}

// List filters by name pattern, property and option, at one revision.
TEST_F(DatabaseTest, ListFilters) {
  auto h = Create(Host("h"));
  for (int i = 0; i < 5; ++i) {
    auto a = App("app-" + std::to_string(i), h->dbid());
    if (i % 2 == 0) (*(*a.mutable_options())["sml"].mutable_entries())["autostart"] = "true";
    ASSERT_TRUE(Create(a).ok());
  }
  ASSERT_TRUE(Create(App("other", 0)).ok());
  v1::ListRequest req;
  req.set_type(v1::OBJECT_TYPE_APPLICATION);
  EXPECT_EQ(db_->List(req)->objects.size(), 6u);
  req.set_name_pattern("app-*");
  EXPECT_EQ(db_->List(req)->objects.size(), 5u);
  req.set_option("sml/autostart");
  req.set_option_value("true");
  EXPECT_EQ(db_->List(req)->objects.size(), 3u);
  req.clear_name_pattern();
  req.clear_option();
  req.set_property("host");
  req.set_property_value(std::to_string(h->dbid()));
  EXPECT_EQ(db_->List(req)->objects.size(), 5u);
  req.set_limit(2);
  EXPECT_EQ(db_->List(req)->objects.size(), 2u);
  req.set_option("no-slash");
  EXPECT_FALSE(db_->List(req).ok());
}

class Recorder : public config::ChangeSubscriber {
 public:
  void OnChanges(const std::vector<config::ChangePtr>& changes) override {
    std::lock_guard<std::mutex> l(mu);
    for (const auto& c : changes) revisions.push_back(c->revision());
  }
  void OnShutdown() override { shutdown = true; }
  std::mutex mu;
  std::vector<int64_t> revisions;
  std::atomic<bool> shutdown{false};
};

// Subscribers get every change after the revision Subscribe returned, in order.
TEST_F(DatabaseTest, SubscribersSeeEveryChangeInOrder) {
  ASSERT_TRUE(Create(Host("a")).ok());
  Recorder rec;
  EXPECT_EQ(db_->Subscribe(&rec), 1);
  ASSERT_TRUE(Create(Host("b")).ok());
  ASSERT_TRUE(Create(Host("c")).ok());
  EXPECT_FALSE(Create(Host("c")).ok());  // failed writes publish nothing
  db_->Unsubscribe(&rec);
  ASSERT_TRUE(Create(Host("d")).ok());
  EXPECT_EQ(rec.revisions, (std::vector<int64_t>{2, 3}));
  db_->Subscribe(&rec);
  db_->Stop();
  EXPECT_TRUE(rec.shutdown);
}

}  // namespace
}  // namespace tandem::confserv
