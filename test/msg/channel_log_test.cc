// A Message Server channel on simulated time: sequences, reads onward from
// where a subscriber stopped, retention by count, bytes and age, and the
// gaps a returning subscriber is told about.
#include "msg/channel_log.h"

#include <gtest/gtest.h>

namespace tandem::msg {
namespace {

TEST(ChannelLogTest, SubscribersReadOnwardFromWhereTheyStopped) {
  SimClock clock;
  ChannelLog log("scs_distributed", {}, clock, "h1");
  EXPECT_EQ(log.last_seq(), 0);
  ChannelLog::Read empty = log.ReadFrom(1, 10);
  EXPECT_TRUE(empty.messages.empty());
  EXPECT_FALSE(empty.gap);
  EXPECT_EQ(empty.next, 1);
  for (int i = 1; i <= 5; ++i) {
    auto seq = log.Publish("application scs-r1", "m" + std::to_string(i));
    ASSERT_TRUE(seq.ok());
    EXPECT_EQ(*seq, i);
  }
  ChannelLog::Read r = log.ReadFrom(1, 3);
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].payload, "m1");
  EXPECT_EQ(r.messages[0].publisher, "application scs-r1");
  EXPECT_EQ(r.messages[0].at, clock.Now());
  EXPECT_EQ(r.next, 4);
  r = log.ReadFrom(r.next, 10);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[1].seq, 5);
  EXPECT_EQ(r.next, 6);
  r = log.ReadFrom(r.next, 10);  // caught up: nothing, no gap
  EXPECT_TRUE(r.messages.empty());
  EXPECT_FALSE(r.gap);
  EXPECT_EQ(r.next, 6);
  ASSERT_TRUE(log.Publish("application scs-r1", "m6").ok());
  EXPECT_EQ(log.ReadFrom(6, 10).messages.at(0).payload, "m6");
}

TEST(ChannelLogTest, RetentionDropsWhatIsOldAndReadersAreToldOfTheGap) {
  SimClock clock;
  ChannelOptions o;
  o.max_messages = 3;
  o.max_age = absl::Minutes(1);
  ChannelLog log("c", o, clock, "h1");
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(log.Publish("p", "x").ok());
  EXPECT_EQ(log.kept(), 3u);
  ChannelLog::Read r = log.ReadFrom(2, 10);
  EXPECT_TRUE(r.gap);
  EXPECT_EQ(r.missed, 1) << "2 was dropped; 3, 4, 5 are kept";
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].seq, 3);
  // By age: everything older than a minute goes, even unread.
  clock.Advance(absl::Seconds(61));
  r = log.ReadFrom(6, 10);
  EXPECT_FALSE(r.gap) << "nothing from 6 on was ever published";
  EXPECT_EQ(log.kept(), 0u);
  r = log.ReadFrom(4, 10);
  EXPECT_TRUE(r.gap);
  EXPECT_EQ(r.missed, 2);
  EXPECT_EQ(r.next, 6);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(*log.Publish("p", "y"), 6) << "sequences go on after a trim";
}

TEST(ChannelLogTest, BytesAndOversizeMessages) {
  SimClock clock;
  ChannelOptions o;
  o.max_bytes = 10;
  o.max_message_bytes = 6;
  ChannelLog log("c", o, clock, "h1");
  ASSERT_TRUE(log.Publish("p", "aaaa").ok());
  ASSERT_TRUE(log.Publish("p", "bbbb").ok());
  ASSERT_TRUE(log.Publish("p", "cccc").ok());
  EXPECT_EQ(log.kept(), 2u) << "12 bytes are over the 10 kept";
  EXPECT_EQ(log.kept_bytes(), 8u);
  absl::StatusOr<int64_t> big = log.Publish("p", "1234567");
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("limit is 6"), std::string::npos) << big.status();
  EXPECT_EQ(log.last_seq(), 3) << "nothing kept, no sequence used";
}

TEST(ChannelLogTest, NewSubscribersStartAtTheEndOrAtTheOldestKept) {
  SimClock clock;
  ChannelLog log("c", {}, clock, "h1");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log.Publish("p", "x").ok());
  StartPoint p = log.Start("", 0);
  EXPECT_EQ(p.kind, StartKind::kStarted);
  EXPECT_EQ(p.from, 4) << "0: new messages only";
  EXPECT_EQ(log.Start("", 1).from, 1) << "1: everything kept";
  EXPECT_EQ(log.Start("", 99).from, 4) << "beyond the end: the end";
}

// A switchover: the backup had copied 1..3 of history h1 when the primary,
// which had published 1..5, died. The backup goes on in h2 from 4.
TEST(ChannelLogTest, AfterASwitchoverSubscribersAreToldWhatTheOldPrimaryTookWithIt) {
  SimClock clock;
  ChannelLog primary("c", {}, clock, "h1");
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(primary.Publish("p", "m" + std::to_string(i)).ok());
  ChannelSnapshot snap = primary.Snapshot();
  snap.messages.resize(3);
  snap.next_seq = 4;
  ChannelLog backup("c", {}, clock, "mine");
  backup.Replace(snap);
  EXPECT_EQ(backup.history(), "h1") << "the copy follows the primary's history";
  backup.BeginHistory("h2");
  ASSERT_EQ(*backup.Publish("p", "n4"), 4);

  // One that had read up to 3 goes on seamlessly: 4 is the new one's.
  StartPoint p = backup.Start("h1", 4);
  EXPECT_EQ(p.kind, StartKind::kStarted) << p.text;
  EXPECT_EQ(p.from, 4);
  ChannelLog::Read r = backup.ReadFrom(p.from, 10);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].payload, "n4");
  EXPECT_EQ(r.messages[0].history, "h2");

  // One that had read 4 and 5 of h1 is told they are gone, and gets h2's 4.
  p = backup.Start("h1", 6);
  EXPECT_EQ(p.kind, StartKind::kDiverged);
  EXPECT_EQ(p.missed, 2);
  EXPECT_EQ(p.from, 4);
  EXPECT_NE(p.text.find("you received messages 4..5 of history h1"), std::string::npos) << p.text;

  // A history nobody here knows (both servers restarted): from the oldest.
  p = backup.Start("h0", 2);
  EXPECT_EQ(p.kind, StartKind::kUnknownHistory);
  EXPECT_EQ(p.from, 1);
  // The current history: as asked.
  EXPECT_EQ(backup.Start("h2", 5).kind, StartKind::kStarted);
  EXPECT_EQ(backup.Start("h2", 9).kind, StartKind::kDiverged) << "ahead of this server";
}

TEST(ChannelLogTest, CopiedMessagesMustFollowInSequence) {
  SimClock clock;
  ChannelLog primary("c", {}, clock, "h1");
  ChannelLog backup("c", {}, clock, "h0");
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(primary.Publish("p", "x").ok());
    ASSERT_TRUE(backup.Append(primary.ReadFrom(i, 1).messages.at(0)).ok());
  }
  EXPECT_EQ(backup.history(), "h1") << "the unused first history gave way";
  EXPECT_EQ(backup.last_seq(), 3);
  ASSERT_TRUE(primary.Publish("p", "x").ok());
  ASSERT_TRUE(primary.Publish("p", "x").ok());
  absl::Status skipped = backup.Append(primary.ReadFrom(5, 1).messages.at(0));
  EXPECT_EQ(skipped.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(backup.last_seq(), 3) << "nothing kept out of step";
  // A new primary's history in the feed (the partner took over and back).
  primary.BeginHistory("h3");
  ASSERT_TRUE(primary.Publish("p", "y").ok());
  ASSERT_TRUE(backup.Append(primary.ReadFrom(4, 1).messages.at(0)).ok());
  ASSERT_TRUE(backup.Append(primary.ReadFrom(5, 1).messages.at(0)).ok());
  ASSERT_TRUE(backup.Append(primary.ReadFrom(6, 1).messages.at(0)).ok());
  EXPECT_EQ(backup.history(), "h3");
  EXPECT_EQ(backup.Start("h1", 6).kind, StartKind::kStarted) << "h1 ended at 5: 6 follows";
  EXPECT_EQ(backup.Start("h1", 7).kind, StartKind::kDiverged);
}

}  // namespace
}  // namespace tandem::msg
