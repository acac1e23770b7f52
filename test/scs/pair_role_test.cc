// Which SCS of a pair acts, on simulated time with an in-memory lock and a
// partner that answers or not.
#include "scs/pair_role.h"

#include "gtest/gtest.h"
#include "testing/memory_epoch_store.h"

namespace tandem::scs {
namespace {

using MemoryStore = ::tandem::testing::MemoryEpochStore;

class Partner : public PartnerProbe {
 public:
  bool Alive() override { return alive; }
  bool alive = true;
};

class PairRoleTest : public ::testing::Test {
 protected:
  SimClock clock_;
  MemoryStore store_;
  Partner a_probe_, b_probe_;  // what a sees of b, and b of a
  PairRole a_{"scs-a", {}, clock_, store_, &a_probe_};
  PairRole b_{"scs-b", {}, clock_, store_, &b_probe_};
};

// Both start together: exactly one acts, and the lock says which.
TEST_F(PairRoleTest, OneOfTwoStartingTogetherActs) {
  const auto da = a_.Step();
  const auto db = b_.Step();
  EXPECT_TRUE(da.acting);
  EXPECT_FALSE(db.acting);
  EXPECT_EQ(da.epoch, 1);
  EXPECT_EQ(store_.lock().holder, "scs-a");
  EXPECT_NE(da.change.find("primary with epoch 1"), std::string::npos);
  for (int i = 0; i < 100; ++i) {
    clock_.Advance(absl::Milliseconds(100));
    EXPECT_TRUE(a_.Step().acting);
    EXPECT_FALSE(b_.Step().acting);
  }
  EXPECT_EQ(store_.lock().epoch, 1) << "a running pair writes nothing";
}

// The configured backup leaves a free lock to its partner, whichever starts
// first, and takes it only when the partner stays silent.
TEST_F(PairRoleTest, ConfiguredBackupLeavesAFreeLockToThePrimary) {
  PairRoleOptions o;
  o.configured_backup = true;
  PairRole backup("scs-b", o, clock_, store_, &b_probe_);
  EXPECT_FALSE(backup.Step().acting) << "the lock is free, but it is the partner's to take";
  clock_.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(a_.Step().acting);
  EXPECT_EQ(store_.lock().holder, "scs-a");
  // A partner that never comes: the backup acts after takeover_after.
  MemoryStore empty;
  Partner silent;
  silent.alive = false;
  PairRole alone("scs-b", o, clock_, empty, &silent);
  EXPECT_FALSE(alone.Step().acting);
  clock_.Advance(absl::Milliseconds(2900));
  EXPECT_FALSE(alone.Step().acting);
  clock_.Advance(absl::Milliseconds(200));
  EXPECT_TRUE(alone.Step().acting);
  EXPECT_EQ(empty.lock().holder, "scs-b");
}

// A Message Server that restarts holding the lock lost its memory, its
// partner kept the copy: it does not take the lock back, it waits as for a
// partner's, and the partner (seeing it not act) takes over.
TEST_F(PairRoleTest, WithoutRetakingItsOwnLockARestartedMemberLeavesItToThePartner) {
  store_.Set({"ms-a", 4, 10});
  PairRoleOptions o;
  o.retake_own_lock = false;
  Partner b_acting;  // what the restarted ms-a sees of ms-b: not acting yet
  b_acting.alive = false;
  PairRole restarted("ms-a", o, clock_, store_, &b_acting);
  Partner a_not_acting;
  a_not_acting.alive = false;
  PairRole partner("ms-b", o, clock_, store_, &a_not_acting);
  EXPECT_FALSE(restarted.Step().acting) << "its own lock, but its memory is gone";
  EXPECT_FALSE(partner.Step().acting);
  clock_.Advance(absl::Milliseconds(1500));
  b_acting.alive = false;
  EXPECT_FALSE(restarted.Step().acting);
  clock_.Advance(absl::Milliseconds(1600));
  // Both see the other silent for takeover_after; the swap lets one win.
  const bool b_acts = partner.Step().acting;
  b_acting.alive = b_acts;
  const bool a_acts = restarted.Step().acting;
  EXPECT_NE(a_acts, b_acts) << "exactly one acts";
  EXPECT_EQ(store_.lock().epoch, 5);
}

// The primary stops answering: the backup takes over after takeover_after
// (not before) with a higher epoch; the old one, back, steps down.
TEST_F(PairRoleTest, BackupTakesOverFromASilentPrimary) {
  a_.Step();
  b_.Step();
  b_probe_.alive = false;
  clock_.Advance(absl::Milliseconds(2900));
  EXPECT_FALSE(b_.Step().acting) << "within the takeover time";
  clock_.Advance(absl::Milliseconds(200));
  const auto db = b_.Step();
  EXPECT_TRUE(db.acting);
  EXPECT_EQ(db.epoch, 2);
  EXPECT_NE(db.change.find("took over from scs-a"), std::string::npos) << db.change;
  clock_.Advance(absl::Seconds(1));
  const auto da = a_.Step();
  EXPECT_FALSE(da.acting) << "it re-reads the lock";
  EXPECT_NE(da.change.find("scs-b holds epoch 2"), std::string::npos) << da.change;
}

// An LCA refusal deposes at once; the restarted holder takes its own lock
// back with a new epoch.
TEST_F(PairRoleTest, DeposedAndRestarted) {
  a_.Step();
  a_.Deposed("SCS epoch 1 is older than 2");
  EXPECT_FALSE(a_.Step().acting) << "the partner answers: no retake";
  PairRole restarted("scs-a", {}, clock_, store_, &a_probe_);
  const auto d = restarted.Step();
  EXPECT_TRUE(d.acting) << "the lock is still its own";
  EXPECT_EQ(d.epoch, 2);
}

// Without a partner the SCS takes the lock at once, a new epoch per start.
TEST_F(PairRoleTest, SingleScs) {
  PairRole alone("scs-x", {}, clock_, store_, nullptr);
  EXPECT_TRUE(alone.Step().acting);
  PairRole again("scs-x", {}, clock_, store_, nullptr);
  EXPECT_EQ(again.Step().epoch, 2);
}

}  // namespace
}  // namespace tandem::scs
