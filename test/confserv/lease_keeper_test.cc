// The master lease's timers on simulated time: a renewal extends the lease
// from when it was asked, passing failures are retried while the lease is
// still valid, and the primary steps down once it has run out or at once
// when the database says the lease is someone else's.
#include "confserv/lease_keeper.h"

#include <gtest/gtest.h>

#include "tandem/storage/storage.h"

namespace tandem::confserv {
namespace {

using Verdict = LeaseKeeper::Verdict;

TEST(LeaseKeeperTest, RenewsRetriesAndStepsDownOnTime) {
  SimClock clock;
  LeaseKeeper k(absl::Milliseconds(1500), clock);
  EXPECT_EQ(k.renew_every(), absl::Milliseconds(500));
  k.Granted(clock.Now());
  EXPECT_EQ(k.valid_until(), clock.Now() + absl::Milliseconds(1500));

  // A renewal that took 300 ms counts from when it was asked.
  const absl::Time asked = clock.Now() + absl::Milliseconds(500);
  clock.Advance(absl::Milliseconds(800));
  EXPECT_EQ(k.Renewed(asked, absl::OkStatus()).verdict, Verdict::kKeep);
  EXPECT_EQ(k.valid_until(), asked + absl::Milliseconds(1500));

  // The database does not answer: retried while the lease holds...
  const absl::Status down = absl::UnavailableError("connection refused");
  clock.Advance(absl::Milliseconds(500));
  LeaseKeeper::Decision d = k.Renewed(clock.Now(), down);
  EXPECT_EQ(d.verdict, Verdict::kRetry);
  EXPECT_NE(d.why.find("will retry"), std::string::npos) << d.why;
  clock.Advance(absl::Milliseconds(699));
  EXPECT_EQ(k.Renewed(clock.Now(), down).verdict, Verdict::kRetry);
  // ...and the primary steps down the moment it has run out.
  clock.Advance(absl::Milliseconds(1));
  d = k.Renewed(clock.Now(), down);
  EXPECT_EQ(d.verdict, Verdict::kStepDown);
  EXPECT_NE(d.why.find("before it expired"), std::string::npos) << d.why;
}

TEST(LeaseKeeperTest, LostLeaseStepsDownAtOnce) {
  SimClock clock;
  LeaseKeeper k(absl::Seconds(2), clock);
  k.Granted(clock.Now());
  clock.Advance(absl::Milliseconds(100));
  const LeaseKeeper::Decision d =
      k.Renewed(clock.Now(), storage::LeaseLostError("held by cs2, epoch 8"));
  EXPECT_EQ(d.verdict, Verdict::kStepDown);
  EXPECT_NE(d.why.find("lost the master lease: held by cs2, epoch 8"), std::string::npos) << d.why;
}

}  // namespace
}  // namespace tandem::confserv
