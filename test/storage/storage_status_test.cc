// The "committed on the primary, not replicated" status of Commit.
#include <gtest/gtest.h>

#include "tandem/storage/storage.h"

namespace tandem::storage {
namespace {

// Only the status built by CommittedNotReplicatedError is recognized; a plain
// DEADLINE_EXCEEDED (nothing committed) is not.
TEST(StorageStatus, CommittedNotReplicatedIsDistinguishable) {
  absl::Status s = CommittedNotReplicatedError("committed on the primary");
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s.message(), "committed on the primary");
  EXPECT_TRUE(IsCommittedNotReplicated(s));
  EXPECT_FALSE(IsCommittedNotReplicated(absl::DeadlineExceededError("rolled back")));
  EXPECT_FALSE(IsCommittedNotReplicated(absl::OkStatus()));
  absl::Status other = absl::InternalError("x");
  other.SetPayload(kCommittedNotReplicatedPayload, absl::Cord("1"));
  EXPECT_FALSE(IsCommittedNotReplicated(other));
}

}  // namespace
}  // namespace tandem::storage
