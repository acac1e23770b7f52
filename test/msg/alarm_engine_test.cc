// Alarms from the log stream on simulated time, over a real SQLite Log
// Database: a detection id raises an alarm for the application and host that
// logged it (once: again only moves last_seen); the cancel id clears it only
// from them; the cancel timeout clears it when no new detection came; an
// operator clears it by id; a server that takes over loads the active ones
// from the database and its timeouts go on; every change is published.
#include "msg/alarm_engine.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace tandem::msg {
namespace {

logdb::LogEvent Event(const std::string& id, const std::string& app, int64_t message_id,
                      const std::string& host = "h1") {
  return logdb::LogEvent{id,         absl::UnixEpoch(), app, host, logdb::Level::kAlarm,
                         message_id, "text of " + id};
}

class AlarmEngineTest : public ::testing::Test {
 protected:
  AlarmEngineTest() {
    store_ = *logdb::LogStore::OpenSqlite(dir_.file("log.db"));
    rules_ = {{.name = "disk-full", .category = "critical", .detect = 4101, .cancel = 4102},
              {.name = "slow-link",
               .category = "minor",
               .detect = 4201,
               .cancel = 0,
               .timeout = absl::Seconds(60)}};
  }
  std::unique_ptr<AlarmEngine> Engine() {
    return std::make_unique<AlarmEngine>(
        *store_, [this] { return rules_; },
        [this](const logdb::Alarm& a, bool raised) {
          published_.push_back((raised ? "raised " : "cleared ") + a.condition + " " +
                               a.application);
        },
        clock_);
  }

  testing::TempDir dir_;
  std::unique_ptr<logdb::LogStore> store_;
  std::vector<AlarmRule> rules_;
  std::vector<std::string> published_;
  SimClock clock_;
};

TEST_F(AlarmEngineTest, ADetectionRaisesOnceAndItsCancelFromTheSameSourceClears) {
  auto engine = Engine();
  engine->OnEvents({Event("e1", "billing", 4101), Event("e2", "billing", 4101),
                    Event("e3", "pricing", 4101), Event("e4", "billing", 1)});
  std::vector<logdb::Alarm> active = engine->Active();
  ASSERT_EQ(active.size(), 2u) << "one per application; the second detection is the same alarm";
  EXPECT_EQ(published_,
            (std::vector<std::string>{"raised disk-full billing", "raised disk-full pricing"}));
  std::vector<logdb::Alarm> stored = *store_->Alarms(false, 10);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].application, "billing");
  EXPECT_EQ(stored[1].category, "critical");
  EXPECT_EQ(stored[1].text, "text of e1");
  engine->OnEvents({Event("e5", "billing", 4102, "h2")});
  EXPECT_EQ(engine->Active().size(), 2u) << "a cancel from another host clears nothing";
  engine->OnEvents({Event("e6", "billing", 4102)});
  active = engine->Active();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].application, "pricing");
  std::vector<logdb::Alarm> all = *store_->Alarms(true, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[1].active());
  EXPECT_EQ(all[1].cleared_by, "event e6 (message 4102)");
  EXPECT_EQ(published_.back(), "cleared disk-full billing");
}

TEST_F(AlarmEngineTest, ATimeoutClearsWithoutANewDetectionAndAnOperatorByItsId) {
  auto engine = Engine();
  engine->OnEvents({Event("s1", "billing", 4201)});
  clock_.Advance(absl::Seconds(45));
  engine->OnEvents({Event("s2", "billing", 4201)});  // seen again: the timeout starts over
  clock_.Advance(absl::Seconds(45));
  engine->Tick();
  ASSERT_EQ(engine->Active().size(), 1u) << "45 s since the last detection";
  clock_.Advance(absl::Seconds(16));
  engine->Tick();
  EXPECT_TRUE(engine->Active().empty());
  EXPECT_EQ(store_->Alarms(true, 10)->front().cleared_by, "timeout: not detected again within 1m");
  engine->OnEvents({Event("d1", "billing", 4101)});
  const int64_t id = engine->Active().front().id;
  EXPECT_EQ(engine->Clear(id + 100, "person ops").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(engine->Clear(id, "person ops").ok());
  EXPECT_TRUE(engine->Active().empty());
  EXPECT_EQ(store_->Alarms(true, 10)->front().cleared_by, "person ops");
}

TEST_F(AlarmEngineTest, AServerThatTakesOverGoesOnWithTheActiveAlarms) {
  {
    auto first = Engine();
    first->OnEvents({Event("s1", "billing", 4201), Event("d1", "pricing", 4101)});
  }
  clock_.Advance(absl::Seconds(30));
  auto second = Engine();
  ASSERT_TRUE(second->Load().ok());
  ASSERT_EQ(second->Active().size(), 2u);
  second->OnEvents({Event("d2", "pricing", 4101)});
  EXPECT_EQ(second->Active().size(), 2u) << "the loaded alarm, not a new one";
  clock_.Advance(absl::Seconds(31));
  second->Tick();
  ASSERT_EQ(second->Active().size(), 1u) << "the timeout ran from the first server's detection";
  second->OnEvents({Event("c1", "pricing", 4102)});
  EXPECT_TRUE(second->Active().empty());
  EXPECT_EQ(store_->Alarms(false, 10)->size(), 0u);
}

// Forget never waits for the engine (the server's main loop calls it; the
// engine may be stuck in the Log Database): called while the engine holds
// its lock (here from its publish callback), it is done when that call ends.
TEST_F(AlarmEngineTest, ForgetWhileTheEngineIsBusyIsDoneRightAfter) {
  AlarmEngine* engine = nullptr;
  bool forget_on_publish = true;
  AlarmEngine e(
      *store_, [this] { return rules_; },
      [&](const logdb::Alarm&, bool) {
        if (forget_on_publish) engine->Forget();
      },
      clock_);
  engine = &e;
  e.OnEvents({Event("d1", "pricing", 4101)});  // raised and published, under the lock
  forget_on_publish = false;
  // The server that acts now cleared it in the Log Database meanwhile.
  logdb::Alarm a = store_->Alarms(false, 10)->front();
  a.cleared_at = clock_.Now();
  a.cleared_by = "the other server";
  ASSERT_TRUE(store_->SaveAlarm(a).ok());
  EXPECT_TRUE(e.Active().empty()) << "forgotten, so taken from the Log Database again";
}

TEST_F(AlarmEngineTest, ARuleCancelledFromAnyoneClearsWhoeverRaisedIt) {
  rules_.push_back({.name = "sync", .detect = 4301, .cancel = 4302, .cancel_from_anyone = true});
  auto engine = Engine();
  engine->OnEvents({Event("e1", "master-a", 4301, "fw-a"), Event("e2", "master-b", 4301, "fw-b"),
                    Event("e3", "billing", 4101)});
  ASSERT_EQ(engine->Active().size(), 3u);
  // The other master, now primary, says it is whole again; disk-full stays.
  engine->OnEvents({Event("e4", "master-b", 4302, "fw-b")});
  std::vector<logdb::Alarm> active = engine->Active();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].condition, "disk-full");
  engine->OnEvents({Event("e5", "pricing", 4102)});
  EXPECT_EQ(engine->Active().size(), 1u) << "disk-full clears only from billing on h1";
  // A detection older than that cancel (it waited in a buffer) raises
  // nothing; a newer one does.
  logdb::LogEvent stale = Event("e6", "master-a", 4301, "fw-a");
  stale.at = absl::UnixEpoch() - absl::Seconds(1);
  engine->OnEvents({stale});
  EXPECT_EQ(engine->Active().size(), 1u);
  logdb::LogEvent fresh = Event("e7", "master-a", 4301, "fw-a");
  fresh.at = absl::UnixEpoch() + absl::Seconds(1);
  engine->OnEvents({fresh});
  EXPECT_EQ(engine->Active().size(), 2u);
}

TEST_F(AlarmEngineTest, ALogDatabaseFailingForThreeSecondsRaisesItsOwnAlarmUntilItStoresAgain) {
  auto engine = Engine();
  // A dropped connection: one failure, mended by the next append.
  engine->StoreFailed("lms-1", "h9", "connection lost");
  clock_.Advance(absl::Milliseconds(200));
  engine->StoreOk();
  EXPECT_TRUE(engine->Active().empty());
  EXPECT_TRUE(published_.empty()) << "a blip is not an alarm";

  const absl::Time t0 = clock_.Now();
  engine->StoreFailed("lms-1", "h9", "could not connect");
  clock_.Advance(absl::Seconds(2));
  engine->StoreFailed("lms-1", "h9", "could not connect");
  EXPECT_TRUE(engine->Active().empty()) << "not yet 3 s";
  clock_.Advance(absl::Seconds(1));
  engine->StoreFailed("lms-1", "h9", "could not connect");
  std::vector<logdb::Alarm> active = engine->Active();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].condition, kLogDatabaseUnreachable);
  EXPECT_EQ(active[0].application, "lms-1");
  EXPECT_EQ(active[0].host, "h9");
  EXPECT_EQ(active[0].id, 0) << "the Log Database could not take it";
  EXPECT_EQ(active[0].raised_at, t0) << "raised as of the first failure";
  EXPECT_NE(active[0].text.find("could not connect"), std::string::npos) << active[0].text;
  EXPECT_EQ(published_, (std::vector<std::string>{"raised " + std::string(kLogDatabaseUnreachable) +
                                                  " lms-1"}));
  engine->StoreFailed("lms-1", "h9", "could not connect");
  EXPECT_EQ(published_.size(), 1u) << "raised once";
  // An operator cannot clear while nothing can be stored.
  const absl::Status refused = engine->Clear(1, "person ops");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(refused.message().find("cannot be cleared until it does"), std::string::npos)
      << refused;
  // Taking the stored alarms again keeps the one the database never took.
  ASSERT_TRUE(engine->Load().ok());
  EXPECT_EQ(engine->Active().size(), 1u);

  clock_.Advance(absl::Seconds(10));
  engine->StoreOk();
  EXPECT_TRUE(engine->Active().empty());
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[1], "cleared " + std::string(kLogDatabaseUnreachable) + " lms-1");
  std::vector<logdb::Alarm> all = *store_->Alarms(true, 10);
  ASSERT_EQ(all.size(), 1u) << "stored once it could be, with both times";
  EXPECT_EQ(all[0].raised_at, t0);
  EXPECT_EQ(all[0].cleared_at, clock_.Now());
  EXPECT_EQ(all[0].cleared_by, "the Log Database stores again");
}

}  // namespace
}  // namespace tandem::msg
